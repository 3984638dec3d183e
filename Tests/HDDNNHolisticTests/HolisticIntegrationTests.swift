import AsyncHTTPClient
import Foundation
import HDDNNCluster
import HDDNNHolistic
import HDDNNTestSupport
import HDDNNTrust
import NIOCore
import NIOSSL
import Testing

/// The holistic layer over real `hddnn holistic node` processes: two trial parties with their
/// own columns, two cameras and an untrusted cloud, every hop over mutual TLS with each party's
/// domain in its certificates. Queries go through the catalogue; the nodes' access logs show what
/// left them.
@Suite(.serialized) struct HolisticIntegrationTests {
    /// A deployment in a temporary folder, with synthetic party tables (the models run on any
    /// numbers; the test is about where they go) and free ports.
    static func deployment() async throws -> LocalDeployment {
        let dir = try Repository.workspace("holistic")
        for party in ["lab", "clinic"] {
            let card = try PlannerTests.card("actg-\(party)")
            let columns = card.semantics!.columns!
            var csv = "pidnum," + columns.joined(separator: ",") + "\n"
            for id in 1...20 { csv += "\(id)," + columns.indices.map { "\(($0 * 37 + id * 11) % 500)" }.joined(separator: ",") + "\n" }
            try csv.write(to: dir.appendingPathComponent("\(party).csv"), atomically: true, encoding: .utf8)
        }
        let port = { LocalCluster.freeLoopbackPort() }
        let models = Repository.models.appendingPathComponent("holistic").path
        let yaml = """
            defaults: { timeout: 500ms, request_timeout: 30s, benchmark_batch: 20 }
            catalog: { port: \(port()) }
            models: [\(["fmnist-top", "fmnist-bottom", "actg-lab", "actg-clinic"].map { "\(models)/\($0).onnx" }.joined(separator: ", "))]
            nodes:
              - { name: cam-top, role: end, domain: home, port: \(port()), data: { source: fashion-mnist, view: top } }
              - { name: cam-bottom, role: end, domain: home, port: \(port()), data: { source: fashion-mnist, view: bottom } }
              - { name: cloud, role: cloud, trust: undependable, domain: home, port: \(port()) }
              - { name: lab, role: edge, domain: lab, port: \(port()), data: { source: actg175, file: \(dir.path)/lab.csv } }
              - { name: clinic, role: edge, domain: clinic, port: \(port()), data: { source: actg175, file: \(dir.path)/clinic.csv } }
              - { name: archive, role: edge, domain: archive, port: \(port()), data: { source: actg175, file: \(dir.path)/archive.csv } }
            links:
              - { from: "cam-*", to: cloud, latency: 2ms, bandwidth: 1Gbit/s }
            """
        let path = dir.appendingPathComponent("holistic.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try await LocalDeployment.start(configPath: path, executable: Repository.hddnn, logDirectory: dir.appendingPathComponent("logs"))
    }

    static func accessLog(_ d: LocalDeployment, _ node: String) async throws -> [AccessLog.Entry] {
        let spec = try d.catalog.config.topology.node(node)
        return try await d.catalog.client.get([AccessLog.Entry].self, node: spec, path: "/hddnn/v1/access-log")
    }

    @Test func queriesThroughTheCatalogueAndWhatLeavesEachNode() async throws {
        let d = try await Self.deployment()
        defer { Task { await d.stop() } }
        // A node whose data is not on this machine is left out, said so, and the rest serve.
        #expect(d.leftOut.map(\.node) == ["archive"] && d.leftOut.first?.missing.hasSuffix("archive.csv") == true, "\(d.leftOut)")
        #expect(d.catalog.isComplete && !d.catalog.nodes.contains { $0.name == "archive" })

        // Patients: both parties answer, outcomes fused, nothing but outcomes leaves either.
        let patients = try await d.catalog.answer(Query(subject: "actg175-patient", answers: "actg175-event", records: [3, 7, 11]))
        #expect(patients.results.count == 3)
        #expect(patients.results.allSatisfy { abs($0.probabilities.reduce(0, +) - 1) < 1e-5 && $0.labels["label"] != nil })
        #expect(Set(patients.provenance.members.filter(\.used).map(\.model)) == ["actg-clinic", "actg-lab"])
        #expect(patients.provenance.members.allSatisfy { $0.mode == .local && $0.holder == $0.runAt })
        for party in ["lab", "clinic"] {
            let log = try await Self.accessLog(d, party)
            #expect(!log.isEmpty && log.allSatisfy { $0.action == .read && $0.peer == nil && $0.bytes == 0 }, "\(party): \(log)")
        }
        // Each party's answer is 3 x 2 logits plus metadata: no room for 4 or 18 columns of 3 patients... and no column values.
        for m in patients.provenance.members { #expect((m.bytes ?? .max) < 4096, "\(m.model) moved \(m.bytes ?? -1) bytes") }

        // Asking the lab to send its records to the clinic is refused, and nothing moved.
        let lab = try d.catalog.config.topology.node("lab")
        let ids = WireTensor(name: "record_ids", shape: [1], payload: .int64([3]))
        await #expect(throws: NodeClientError.self) {
            _ = try await d.catalog.client.infer(node: lab, model: "actg-lab", inputs: [ids], metadata: nil, parameters: ["hddnn_run_at": .string("clinic")])
        }
        // The clinic refuses raw lab columns, whoever claims to send them.
        let clinic = try d.catalog.config.topology.node("clinic")
        let raw = WireTensor(name: "features", shape: [1, 4], payload: .fp32([1, 2, 3, 4]))
        do {
            _ = try await d.catalog.client.infer(node: clinic, model: "actg-lab", inputs: [raw], metadata: nil,
                                                 parameters: ["hddnn_domain": .string("lab")])
            Issue.record("the clinic took the lab's columns")
        } catch {
            #expect("\(error)".contains("404") || "\(error)".contains("unknown model"), "\(error)")
        }
        #expect(try await Self.accessLog(d, "lab").allSatisfy { $0.action == .read })

        // Images on the untrusted cloud: the cameras send feature maps, never pixels.
        let images = try await d.catalog.answer(Query(subject: "fashion-mnist-image", answers: "clothing-label", levels: [.coarse, .fine],
                                                      records: [0, 1, 2, 3], fusion: .average, placement: .fastestNode))
        #expect(images.results.allSatisfy { $0.labels["fine"] != nil && $0.labels["coarse"] != nil })
        for m in images.provenance.members where m.runAt == "cloud" { #expect(m.mode == .split) }
        let top = try await Self.accessLog(d, "cam-top")
        #expect(!top.contains { $0.action == .sentRaw && $0.peer == "cloud" })
        let cloud = try await Self.accessLog(d, "cloud")
        #expect(!cloud.contains { $0.action == .receivedRaw })

        // A camera's certificate says domain home: its request claiming domain lab does not get
        // raw lab columns into the lab's model.
        let labCard = try PlannerTests.card("actg-lab")
        let camera = NodeClient(origin: "cam-top", topology: d.catalog.config.topology)
        defer { Task { await camera.shutdown() } }
        let columns = WireTensor(name: labCard.input.name, shape: [1] + labCard.sampleShape,
                                 payload: .fp32([Float](repeating: 1, count: labCard.sampleShape.reduce(1, *))))
        do {
            _ = try await camera.infer(node: lab, model: "actg-lab", inputs: [columns], metadata: nil,
                                       parameters: ["hddnn_domain": .string("lab")])
            Issue.record("the lab took raw columns from another domain's node")
        } catch {
            guard case .rejected(_, 403, let message) = error else { Issue.record("expected 403, got \(error)"); return }
            #expect(message.contains("certificate says 'home'"), "\(message)")
        }

        // A raw image sent straight to the cloud is refused.
        let cloudSpec = try d.catalog.config.topology.node("cloud")
        let pixels = WireTensor(name: "image", shape: [1, 1, 14, 28], payload: .uint8([UInt8](repeating: 9, count: 392)))
        await #expect(throws: NodeClientError.self) {
            _ = try await d.catalog.client.infer(node: cloudSpec, model: "fmnist-top", inputs: [pixels], metadata: nil,
                                                 parameters: ["hddnn_domain": .string("home")])
        }
        // A camera that ran its split's head names the version (`/versions/1/infer`): the cloud
        // serves that route (it refuses the catalogue's raw pixels, by privacy, not by 404), and
        // a version it does not have is a 404. Once missing, and met only when the planner put a
        // model on the cloud: under load.
        for (version, expected) in [("1", 403), ("2", 404)] {
            do {
                _ = try await d.catalog.client.infer(node: cloudSpec, model: "fmnist-top", version: version, inputs: [pixels], metadata: nil,
                                                     parameters: ["hddnn_domain": .string("home")])
                Issue.record("the cloud took raw pixels at version \(version)")
            } catch {
                if case .rejected(_, let status, _) = error { #expect(status == expected, "version \(version): \(error)") } else {
                    Issue.record("version \(version): \(error)")
                }
            }
        }

        // A dead sensor: the query is answered from what did answer, and says so.
        d.cluster.kill("cam-bottom")
        let survived = try await d.catalog.answer(Query(subject: "fashion-mnist-image", answers: "clothing-label", records: [0, 1],
                                                        models: ["fmnist-bottom", "fmnist-top"], placement: .atData))
        #expect(survived.provenance.fusion == "fmnist-top" && survived.results.count == 2)
        #expect(survived.provenance.note?.contains("fmnist-bottom") == true, "\(survived.provenance.note ?? "no note")")
        #expect(survived.provenance.members.first { $0.model == "fmnist-bottom" }?.used == false)
    }

    @Test func theCatalogueOverHTTPSWithTokens() async throws {
        let d = try await Self.deployment()
        defer { Task { await d.stop() } }
        let spec = d.catalog.config.catalog
        let tls = try #require(d.catalog.config.topology.tls, "holistic deployments run TLS by default")
        let signer = try TokenSigner.load(from: URL(fileURLWithPath: tls.ca).deletingLastPathComponent(), trustDomain: tls.trustDomain)
        func token(_ scopes: Set<Scope>) async throws -> String {
            try await signer.sign(AccessToken(subject: "analyst", scopes: scopes, audience: ["catalog"], issuer: tls.trustDomain,
                                              notBefore: Date(), expires: Date().addingTimeInterval(600)))
        }
        let base = "https://localhost:\(spec.port)"
        let client = CatalogClient(baseURL: base, caCertificate: tls.ca, token: try await token([.query(subject: "*")]))
        let listing = try await client.listing()
        #expect(Set(listing.models.map(\.name)) == ["actg-clinic", "actg-lab", "fmnist-bottom", "fmnist-top"])
        #expect(listing.models.first { $0.name == "actg-lab" }?.heldBy == ["lab"])
        let answer = try await client.query(Query(subject: "fashion-mnist-image", answers: "clothing-label", records: [5], models: ["fmnist-top"]))
        #expect(answer.provenance.fusion == "fmnist-top" && answer.results.count == 1)
        // A refusal reaches the caller with what is missing.
        do {
            _ = try await client.query(Query(subject: "x-ray", answers: "fracture", records: [1]))
            Issue.record("answered an unknown subject")
        } catch {
            #expect("\(error)".contains("no registered model takes 'x-ray' records"), "\(error)")
        }
        // A token for patients does not ask about images; no token asks about nothing.
        let patients = CatalogClient(baseURL: base, caCertificate: tls.ca, token: try await token([.query(subject: "actg175-patient")]))
        let images = Query(subject: "fashion-mnist-image", answers: "clothing-label", records: [5])
        do { _ = try await patients.query(images); Issue.record("a patients' token asked about images") } catch {
            #expect("\(error)".contains("403") && "\(error)".contains("query:fashion-mnist-image"), "\(error)")
        }
        do { _ = try await CatalogClient(baseURL: base, caCertificate: tls.ca).query(images); Issue.record("answered without a token") } catch {
            #expect("\(error)".contains("401"), "\(error)")
        }
        // Malformed JSON is a 400, not a crash.
        var configuration = HTTPClient.Configuration()
        var t = TLSConfiguration.makeClientConfiguration()
        t.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(tls.ca))
        configuration.tlsConfiguration = t
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var request = HTTPClientRequest(url: "\(base)/hddnn/v1/query")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(try await token([.query(subject: "*")]))")
        request.body = .bytes(ByteBuffer(string: "{\"subject\": 3"))
        let response = try await http.execute(request, timeout: .seconds(10))
        #expect(response.status.code == 400)
        try await http.shutdown()
    }
}
