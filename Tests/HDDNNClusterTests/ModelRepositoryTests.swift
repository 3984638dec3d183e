import Foundation
import HDDNNCluster
import HDDNNData
import HDDNNRuntime
import HDDNNTestSupport
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing

/// A node's models in and out at run time (Triton's model repository extension) and ONNX models
/// served without a card, in process over plain HTTP (the admin scope under TLS is
/// `BearerTokenTests`' and `MutualTLSTests`'): versions side by side, requests in flight finishing
/// on the version they started on, names and links that would read outside the folder refused.
@Suite(.serialized) struct ModelRepositoryTests {
    /// A model folder: the end device's model (and card) flat, `plain-net` in versions 1 and 2
    /// (no cards), `bare.onnx` (no card), and `escape.onnx`, a link to a file outside.
    static func folder() throws -> URL {
        let dir = try Repository.workspace("repository")
        let fm = FileManager.default
        let models = Repository.models
        for file in ["end-mobilenet.onnx", "end-mobilenet.card.json"] {
            try fm.copyItem(at: models.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        for (version, source) in [("1", "end-mobilenet.onnx"), ("2", "edge-resnet.onnx")] {
            let v = dir.appendingPathComponent("plain-net/\(version)")
            try fm.createDirectory(at: v, withIntermediateDirectories: true)
            try fm.copyItem(at: models.appendingPathComponent(source), to: v.appendingPathComponent("model.onnx"))
        }
        try fm.copyItem(at: models.appendingPathComponent("end-mobilenet.onnx"), to: dir.appendingPathComponent("bare.onnx"))
        let outside = try Repository.workspace("outside")
        try fm.copyItem(at: models.appendingPathComponent("end-mobilenet.onnx"), to: outside.appendingPathComponent("x.onnx"))
        try fm.createSymbolicLink(at: dir.appendingPathComponent("escape.onnx"), withDestinationURL: outside.appendingPathComponent("x.onnx"))
        return dir
    }

    static func service(model: URL, slowdown: Double = 1) throws -> NodeService {
        var defaults = Topology.Defaults()
        defaults.benchmarkBatch = 4
        let topology = try Topology(nodes: [NodeSpec(name: "end-1", role: .end, trust: .dependable, model: model.path, port: 1,
                                                     slowdown: slowdown)],
                                    defaults: defaults, baseDirectory: Repository.root)
        return try NodeService(topology: topology, node: "end-1")
    }

    static func post(_ client: some TestClientProtocol, _ uri: String, _ body: String = "") async throws -> (HTTPResponse.Status, String) {
        let r = try await client.execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
        return (r.status, String(buffer: r.body))
    }

    static func fp32(_ n: Int) -> WireTensor {
        WireTensor(name: "input", shape: [n, 1, 28, 28], payload: .fp32((0..<(n * 784)).map { Float($0 % 251) / 250 }))
    }

    static func infer(_ client: some TestClientProtocol, _ path: String, _ input: WireTensor,
                      parameters: HDDNNCluster.Parameters? = nil) async throws -> (HTTPResponse.Status, OIPCodec.DecodedResponse?, String) {
        let body = OIPCodec.encodeRequest(id: nil, parameters: parameters, inputs: [input], outputs: nil, binary: false)
        let r = try await client.execute(uri: "/v2/models/\(path)/infer", method: .post, body: ByteBuffer(bytes: body.bytes))
        let decoded = r.status == .ok ? try OIPCodec.decodeResponse(Array(r.body.readableBytesView), headerLength: nil) : nil
        return (r.status, decoded, String(buffer: r.body))
    }

    /// An ONNX file with no card beside it: metadata from the graph, inference on its own
    /// inputs and outputs, and the HDDNN side (node info, task metadata) refused with what the
    /// card must add.
    @Test func aModelWithoutACardIsServedAsAPlainOIPModel() async throws {
        let dir = try Self.folder()
        let service = try Self.service(model: dir.appendingPathComponent("bare.onnx"))
        try await service.warmUp(runs: 1)
        #expect(service.model.card == nil && service.split == nil)
        let app = Application(router: try NodeServer(service: service).router())
        try await app.test(.router) { client in
            let meta = try await client.execute(uri: "/v2/models/bare", method: .get)
            let m = try JSONDecoder().decode(ModelMetadataResponse.self, from: Data(buffer: meta.body))
            #expect(m.platform == "onnx" && m.versions == ["1"])
            #expect(m.inputs.map(\.name) == ["input"] && m.inputs[0].datatype == "FP32" && m.inputs[0].shape == [-1, 1, 28, 28])
            #expect(m.outputs.map(\.name) == ["logits"])

            let input = Self.fp32(2)
            let (status, answer, text) = try await Self.infer(client, "bare", input)
            try #require(status == .ok, "\(text)")
            let expected = try service.model.session.run(["input": input.tensor()])["logits"]!
            guard case .fp32(let got) = answer?.outputs.first?.payload else { Issue.record("no FP32 logits: \(text)"); return }
            #expect(answer?.outputs.first?.shape == [2, 5] && zip(got, expected.floats).allSatisfy { abs($0 - $1) < 1e-5 })
            #expect(answer?.response.modelVersion == "1")

            // Pixels as UINT8 mean nothing without a card's value range.
            let pixels = WireTensor(name: "input", shape: [1, 1, 28, 28], payload: .uint8(SeededData.images(1)))
            let (s1, _, t1) = try await Self.infer(client, "bare", pixels)
            #expect(s1 == .badRequest && t1.contains("is FP32, the request sends UINT8"), "\(t1)")
            let wrong = WireTensor(name: "input", shape: [1, 3, 28, 28], payload: .fp32([Float](repeating: 0, count: 3 * 784)))
            let (s2, _, t2) = try await Self.infer(client, "bare", wrong)
            #expect(s2 == .badRequest && t2.contains("has shape [-1, 1, 28, 28]"), "\(t2)")
            // An HDDNN task, and the scheduler's question, get what the card must add.
            let task = TaskMetadata(taskID: "t1", source: "end-1")
            let (s3, _, t3) = try await Self.infer(client, "bare", input, parameters: task.parameters)
            #expect(s3 == .badRequest && t3.contains("hddnn card init"), "\(t3)")
            let info = try await client.execute(uri: "/hddnn/v1/node", method: .get)
            #expect(info.status == .conflict && String(buffer: info.body).contains("output.level"), "\(String(buffer: info.body))")
            #expect(!String(buffer: info.body).contains("\"card\""))
        }
    }

    /// Triton's repository routes: the index, loading a model in two versions, requests by
    /// version and without, unloading, and every request that would leave the folder refused.
    @Test func modelsAndVersionsComeAndGo() async throws {
        let dir = try Self.folder()
        let service = try Self.service(model: dir.appendingPathComponent("end-mobilenet.onnx"))
        try await service.warmUp(runs: 1)
        let app = Application(router: try NodeServer(service: service).router())
        try await app.test(.router) { client in
            let (s0, index0) = try await Self.post(client, "/v2/repository/index")
            #expect(s0 == .ok)
            let entries = try JSONDecoder().decode([RepositoryIndexEntry].self, from: Data(index0.utf8))
            #expect(entries.map(\.name) == ["bare", "end-mobilenet", "plain-net"], "\(index0)")
            #expect(entries.first { $0.name == "end-mobilenet" }?.state == .ready)
            #expect(entries.first { $0.name == "plain-net" }?.state == .unavailable)
            #expect(try await Self.infer(client, "plain-net", Self.fp32(1)).0 == .notFound)

            let (s1, loaded) = try await Self.post(client, "/v2/repository/models/plain-net/load")
            #expect(s1 == .ok && loaded.contains(#""versions":["1","2"]"#) && loaded.contains(#""kind":"plain""#), "\(loaded)")
            let latest = try await Self.infer(client, "plain-net", Self.fp32(1))
            #expect(latest.1?.response.modelVersion == "2" && latest.1?.outputs.first?.shape == [1, 10], "\(latest.2)")
            let first = try await Self.infer(client, "plain-net/versions/1", Self.fp32(1))
            #expect(first.1?.response.modelVersion == "1" && first.1?.outputs.first?.shape == [1, 5], "\(first.2)")
            let (s99, _, t99) = try await Self.infer(client, "plain-net/versions/99", Self.fp32(1))
            #expect(s99 == .notFound && t99.contains("serves version 1, 2"), "\(t99)")
            let meta = try await client.execute(uri: "/v2/models/plain-net/versions/1", method: .get)
            #expect(String(buffer: meta.body).contains(#""versions":["1","2"]"#))
            let (sReady, ready) = try await Self.post(client, "/v2/repository/index", #"{"ready": true}"#)
            #expect(sReady == .ok && !ready.contains("bare") && ready.contains(#""version":"2""#), "\(ready)")

            #expect(try await Self.post(client, "/v2/repository/models/plain-net/unload").0 == .ok)
            #expect(try await Self.infer(client, "plain-net", Self.fp32(1)).0 == .notFound)
            let (sAgain, again) = try await Self.post(client, "/v2/repository/models/plain-net/unload")
            #expect(sAgain == .notFound && again.contains("not loaded"), "\(again)")

            // The node's own model stays; a name or link that leaves the folder reads nothing.
            let (sPinned, pinned) = try await Self.post(client, "/v2/repository/models/end-mobilenet/unload")
            #expect(sPinned == .conflict && pinned.contains("own model"), "\(pinned)")
            for name in ["..", ".hidden", "a%2F..%2F..%2Fetc", "%2E%2E", "plain-net%2F1"] {
                let (s, body) = try await Self.post(client, "/v2/repository/models/\(name)/load")
                #expect(s == .badRequest && body.contains("not a model name"), "\(name): \(s) \(body)")
            }
            let (sLink, link) = try await Self.post(client, "/v2/repository/models/escape/load")
            #expect(sLink == .badRequest && link.contains("outside the node's model folder") && !link.contains("/tmp"), "\(link)")
            let (sMissing, missing) = try await Self.post(client, "/v2/repository/models/nothing/load")
            #expect(sMissing == .notFound && missing.contains("nothing/<version>/model.onnx"), "\(missing)")
            let (sFile, file) = try await Self.post(client, "/v2/repository/models/bare/load",
                                                    #"{"parameters": {"file:1/model.onnx": "AAAA"}}"#)
            #expect(sFile == .badRequest && file.contains("takes no load parameters"), "\(file)")
            #expect(try await Self.post(client, "/v2/repository/models/bare/load", "{not json").0 == .badRequest)
            // Still serving.
            #expect(try await Self.infer(client, "end-mobilenet", Self.fp32(1)).0 == .ok)
        }
    }

    /// A new version of the node's own model rolled out under load: every request answers, each
    /// on version 1 or 2 and never a mix, those sent after the load on 2; the benchmark and the
    /// node's description follow the new version.
    @Test func aNewVersionRollsOutWhileRequestsRun() async throws {
        let dir = try Self.folder()
        let service = try Self.service(model: dir.appendingPathComponent("end-mobilenet.onnx"), slowdown: 3)
        try await service.warmUp(runs: 1)
        #expect(try service.info.model.version == "1")
        let v2 = dir.appendingPathComponent("end-mobilenet/2")
        try FileManager.default.createDirectory(at: v2, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Repository.models.appendingPathComponent("end-mobilenet.onnx"), to: v2.appendingPathComponent("model.onnx"))
        try FileManager.default.copyItem(at: Repository.models.appendingPathComponent("end-mobilenet.card.json"), to: v2.appendingPathComponent("model.card.json"))

        let app = Application(router: try NodeServer(service: service).router())
        try await app.test(.router) { client in
            let pixels = WireTensor(name: "input", shape: [8, 1, 28, 28], payload: .uint8(SeededData.images(8)))
            let versions = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var seen: [String] = []
                        for _ in 0..<6 {
                            let (status, answer, text) = try await Self.infer(client, "end-mobilenet", pixels)
                            #expect(status == .ok, "\(text)")
                            seen.append(answer?.response.modelVersion ?? "?")
                        }
                        return seen
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(20))
                    let (status, body) = try await Self.post(client, "/v2/repository/models/end-mobilenet/load")
                    #expect(status == .ok && body.contains(#""versions":["1","2"]"#) && body.contains(#""benchmark":"queued""#), "\(body)")
                    return []
                }
                var all: [String] = []
                for try await seen in group { all += seen }
                return all
            }
            #expect(versions.count == 24 && Set(versions).isSubset(of: ["1", "2"]), "\(versions)")
            let after = try await Self.infer(client, "end-mobilenet", pixels)
            #expect(after.1?.response.modelVersion == "2")
            let pinned = try await Self.infer(client, "end-mobilenet/versions/1", pixels)
            #expect(pinned.1?.response.modelVersion == "1", "version 1 stays for heads cut by it")
        }
        #expect(try service.info.model.version == "2")
        // The new version's benchmark follows in the executor's queue.
        for _ in 0..<200 where (try? service.info.benchmark?.version) != "2" { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try service.info.benchmark?.version == "2")
    }
}
