import AsyncHTTPClient
import Foundation
import HDDNNCluster
import HDDNNTestSupport
import HDDNNTrust
import NIOSSL
import Testing

/// Real `hddnn serve` processes under the topology's mutual TLS, attacked by clients holding
/// every kind of wrong certificate: each is refused at the handshake or with a 403, nothing is
/// believed from headers or bodies, and the node keeps serving.
@Suite(.serialized) struct MutualTLSTests {
    /// end-1 (dependable) and edge-1 (undependable), with the project's PKI in a temporary folder
    /// and the wrong certificates an attacker might hold beside it. The nodes take no tokens
    /// (`tls.tokens` names no file), so a client certificate is required at the handshake
    /// (BearerTokenTests runs a node that takes them).
    actor Testbed {
        static let shared = Testbed()
        private var state: (LocalCluster, TLSSettings, URL)?

        func get() async throws -> (cluster: LocalCluster, tls: TLSSettings, dir: URL) {
            if let state { return state }
            let dir = try Repository.workspace("mtls")
            let pki = dir.appendingPathComponent("pki")
            try FileManager.default.createDirectory(at: pki, withIntermediateDirectories: true)
            let ca = try CertificateAuthority.create(trustDomain: "hddnn.local")
            try ca.write(to: pki)
            let (endPort, edgePort) = (LocalCluster.freeLoopbackPort(), LocalCluster.freeLoopbackPort())
            let yaml = """
                defaults: { timeout: 300ms, benchmark_batch: 8 }
                tls: { ca: \(pki.path)/ca.pem, certificates: \(pki.path), tokens: \(pki.path)/none/tokens.pem }
                nodes:
                  - { name: end-1, role: end, trust: dependable, model: \(Repository.models.path)/end-mobilenet.onnx, port: \(endPort) }
                  - { name: edge-1, role: edge, trust: undependable, model: \(Repository.models.path)/edge-resnet.onnx, port: \(edgePort) }

                """
            let path = dir.appendingPathComponent("topology.yaml").path
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let topology = try Topology.load(path)
            func id(_ name: String, _ role: NodeIdentity.Role, _ trust: NodeIdentity.Trust) throws -> NodeIdentity {
                try NodeIdentity(trustDomain: "hddnn.local", role: role, trust: trust, name: name)
            }
            try ca.issue(try id("end-1", .end, .dependable)).write(to: pki)
            try ca.issue(try id("edge-1", .edge, .undependable)).write(to: pki)
            try ca.issue(try id("coordinator", .coordinator, .dependable)).write(to: pki)
            // What an attacker might hold, each under its own name in the same folder.
            func save(_ issued: IssuedCertificate, as name: String) throws {
                try PEMFiles.write(certificate: issued.certificate, to: pki.appendingPathComponent("\(name).pem"))
                try PEMFiles.write(key: issued.key, to: pki.appendingPathComponent("\(name)-key.pem"))
            }
            let impostorCA = try CertificateAuthority.create(trustDomain: "hddnn.local")
            try save(try impostorCA.issue(try id("coordinator", .coordinator, .dependable)), as: "other-ca")
            try save(try ca.issue(try id("coordinator", .coordinator, .dependable), now: Date().addingTimeInterval(-10 * 86_400), validity: 86_400), as: "expired")
            try save(try ca.issue(try id("coordinator", .coordinator, .dependable), now: Date().addingTimeInterval(10 * 86_400)), as: "not-yet")
            try save(try ca.issue(try id("coordinator", .coordinator, .dependable), clientAuth: false), as: "server-only")
            // A good certificate whose key was stolen, revoked on the list beside the CA.
            let stolen = try ca.issue(try id("coordinator", .coordinator, .dependable))
            try save(stolen, as: "revoked")
            try RevocationList.append("certificate", RevocationList.serial(stolen.certificate.serialNumber.bytes),
                                      to: pki.appendingPathComponent(RevocationList.fileName).path, note: "test")
            let cluster = LocalCluster(topology: topology, configPath: path, executable: Repository.hddnn,
                                       logDirectory: dir.appendingPathComponent("logs"))
            try await cluster.start(timeout: 180)
            state = (cluster, topology.tls!, dir)
            return (cluster, topology.tls!, dir)
        }
    }

    /// A client presenting `process`'s certificate from the PKI folder (or none), addressing
    /// nodes by their identities like NodeClient does.
    func client(_ process: String?, topology: Topology, tls: TLSSettings, maximumTLS: TLSVersion? = nil) throws -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        var t: TLSConfiguration
        if let process { t = try TLSIdentity(settings: tls, process: process).clientConfiguration } else {
            t = TLSConfiguration.makeClientConfiguration()
            t.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(tls.ca))
        }
        if let maximumTLS { t.maximumTLSVersion = maximumTLS; t.minimumTLSVersion = .tlsv1 }
        configuration.tlsConfiguration = t
        configuration.dnsOverride = Dictionary(uniqueKeysWithValues: topology.nodes.map { (TLSIdentity.host(of: $0, tls: tls), $0.host) })
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func ready(_ http: HTTPClient, _ url: String) async -> Result<Int, any Error> {
        do {
            let response = try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            return .success(Int(response.status.code))
        } catch { return .failure(error) }
    }

    @Test func theProjectsCertificatesPassAndEveryWrongOneIsRefusedAtTheHandshake() async throws {
        let (cluster, tls, _) = try await Testbed.shared.get()
        let end = try cluster.topology.node("end-1")
        let url = "\(cluster.topology.baseURL(end))/v2/health/ready"
        #expect(url.hasPrefix("https://end-1.end.dependable.default.node.hddnn.local:"))

        let good = try client("coordinator", topology: cluster.topology, tls: tls)
        #expect(try await ready(good, url).get() == 200)
        try await good.shutdown()

        for attacker in [nil, "other-ca", "expired", "not-yet", "server-only", "revoked"] as [String?] {
            let http = try client(attacker, topology: cluster.topology, tls: tls)
            if case .success(let status) = await ready(http, url) {
                Issue.record("\(attacker ?? "no certificate") got \(status) from a TLS node")
            }
            try await http.shutdown()
        }
        // TLS 1.1 and older are refused too.
        let old = try client("coordinator", topology: cluster.topology, tls: tls, maximumTLS: .tlsv11)
        if case .success = await ready(old, url) { Issue.record("a TLS 1.1 client was served") }
        try await old.shutdown()

        // Plain HTTP to the TLS port gets no answer.
        let plain = HTTPClient(eventLoopGroupProvider: .singleton)
        if case .success(let status) = await ready(plain, "http://\(end.host):\(end.port)/v2/health/ready") {
            Issue.record("plain HTTP was answered with \(status)")
        }
        try await plain.shutdown()

        // The node kept serving, and counted the refusals.
        let after = try client("coordinator", topology: cluster.topology, tls: tls)
        #expect(try await ready(after, url).get() == 200)
        let metrics = try await after.execute(HTTPClientRequest(url: "\(cluster.topology.baseURL(end))/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await metrics.body.collect(upTo: 1 << 20))
        let failures = text.split(separator: "\n").first { $0.hasPrefix("hddnn_tls_handshake_failures_total") }
        #expect(failures.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0 >= 4, "\(failures ?? "no counter")")
        try await after.shutdown()
    }

    @Test func anUndependableCallerMayNotSendRawDataWhateverItsBodySays() async throws {
        let (cluster, _, _) = try await Testbed.shared.get()
        let end = try cluster.topology.node("end-1")
        // edge-1 is undependable by its certificate; its request claims to come from end-1.
        let edgeClient = NodeClient(origin: "edge-1", topology: cluster.topology)
        defer { Task { await edgeClient.shutdown() } }
        let images = WireTensor(name: "input", shape: [2, 1, 28, 28], payload: .uint8(SeededData.images(2)))
        do {
            _ = try await edgeClient.infer(node: end, model: "end-mobilenet", inputs: [images],
                                           metadata: TaskMetadata(taskID: "attack/1", source: "end-1"), timeout: 30)
            Issue.record("an undependable caller handed a node raw data")
        } catch {
            guard case .rejected(_, 403, let message) = error else { Issue.record("expected 403, got \(error)"); return }
            #expect(message.contains("undependable by its certificate"), "\(message)")
            #expect(!message.contains("/"), "the refusal leaks no file paths: \(message)")
        }
        // Asking end-1 to relay the raw images on does not launder them either.
        do {
            _ = try await edgeClient.infer(node: end, model: "edge-resnet", inputs: [images],
                                           metadata: TaskMetadata(taskID: "attack/2", source: "end-1", route: ["edge-1"]), timeout: 30)
            Issue.record("an undependable caller had raw data relayed")
        } catch {
            guard case .rejected(_, 403, _) = error else { Issue.record("expected 403 for a relayed raw payload, got \(error)"); return }
        }
        // The coordinator (dependable) is served.
        let coordinator = NodeClient(origin: "coordinator", topology: cluster.topology)
        defer { Task { await coordinator.shutdown() } }
        let answer = try await coordinator.infer(node: end, model: "end-mobilenet", inputs: [images],
                                                 metadata: TaskMetadata(taskID: "ok/1", source: "coordinator"), timeout: 30)
        #expect(answer.outputs.first?.shape == [2, 5])
    }

    /// A node certificate, even the coordinator's, does not make its holder an administrator:
    /// the model repository's routes need a token with the admin scope.
    @Test func aNodeCertificateCannotLoadOrUnloadModels() async throws {
        let (cluster, _, _) = try await Testbed.shared.get()
        let end = try cluster.topology.node("end-1")
        let coordinator = NodeClient(origin: "coordinator", topology: cluster.topology)
        defer { Task { await coordinator.shutdown() } }
        for path in ["/v2/repository/index", "/v2/repository/models/edge-resnet/load", "/v2/repository/models/end-mobilenet/unload"] {
            do {
                _ = try await coordinator.post(RepositoryIndexRequest(), as: [RepositoryIndexEntry].self, node: end, path: path, timeout: 30)
                Issue.record("\(path) answered a node certificate")
            } catch {
                guard case .rejected(_, 403, let message) = error else { Issue.record("\(path): expected 403, got \(error)"); continue }
                #expect(message.contains("admin scope"), "\(message)")
            }
        }
        // Still serving, still on its one model.
        let images = WireTensor(name: "input", shape: [1, 1, 28, 28], payload: .uint8(SeededData.images(1)))
        let answer = try await coordinator.infer(node: end, model: "end-mobilenet", inputs: [images], metadata: nil, timeout: 30)
        #expect(answer.outputs.first?.shape == [1, 5])
        do {
            _ = try await coordinator.infer(node: end, model: "edge-resnet", inputs: [images], metadata: nil, timeout: 30)
            Issue.record("edge-resnet was loaded on end-1")
        } catch {
            guard case .rejected(_, 404, _) = error else { Issue.record("expected 404, got \(error)"); return }
        }
    }

    @Test func aTopologyThatLiesAboutANodesTrustFailsBeforeTheBodyLeaves() async throws {
        let (cluster, _, _) = try await Testbed.shared.get()
        // The coordinator's copy claims edge-1 is dependable, so raw images would go to it.
        var lying = cluster.topology
        lying.nodes = lying.nodes.map { n in var n = n; if n.name == "edge-1" { n.trust = .dependable }; return n }
        let client = NodeClient(origin: "coordinator", topology: lying)
        defer { Task { await client.shutdown() } }
        let edge = try lying.node("edge-1")
        let images = WireTensor(name: "input", shape: [1, 1, 28, 28], payload: .uint8(SeededData.images(1)))
        do {
            _ = try await client.infer(node: edge, model: "edge-resnet", inputs: [images],
                                       metadata: TaskMetadata(taskID: "lie/1", source: "coordinator"), timeout: 30)
            Issue.record("raw data went to a node whose certificate says undependable")
        } catch {
            guard case .unreachable = error else { Issue.record("expected the handshake to fail, got \(error)"); return }
        }
        #expect(!cluster.logTail("edge-1", lines: 200).contains("lie/1"), "the request never reached edge-1")
    }
}
