import Foundation
import HDDNNCluster
import HDDNNRuntime
import HDDNNTestSupport
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing

/// The node's Open Inference Protocol surface, in process (HummingbirdTesting's router client):
/// health and readiness, metadata, inference in both framings, and a 4xx with a message for every
/// kind of bad input, after which the node still serves.
@Suite(.serialized) struct NodeServerTests {
    static let headerLength = HTTPField.Name(OIPCodec.headerLengthField)!

    static func service(maxBody: Int = 8 << 20, node: String = "end-1") throws -> NodeService {
        try NodeService(topology: Fixtures.topology(maxBody: maxBody), node: node)
    }

    func infer(_ client: some TestClientProtocol, model: String = "end-mobilenet", _ body: OIPCodec.EncodedBody,
               headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        if let h = body.headerLength, headers[Self.headerLength] == nil { headers[Self.headerLength] = String(h) }
        return try await client.execute(uri: "/v2/models/\(model)/infer", method: .post, headers: headers,
                                        body: ByteBuffer(bytes: body.bytes))
    }

    func images(_ n: Int) -> WireTensor {
        WireTensor(name: "input", shape: [n, 1, 28, 28], payload: .uint8(SeededData.images(n)))
    }

    @Test func readinessWaitsForTheWarmUpInference() async throws {
        let service = try Self.service()
        let app = Application(router: try NodeServer(service: service).router())
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/v2/health/live", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/v2/health/ready", method: .get).status == .serviceUnavailable)
            #expect(try await client.execute(uri: "/v2/models/end-mobilenet/ready", method: .get).status == .serviceUnavailable)
            let early = try await infer(client, OIPCodec.encodeRequest(id: nil, parameters: nil, inputs: [images(1)], outputs: nil, binary: true))
            #expect(early.status == .serviceUnavailable)
            try await service.warmUp(runs: 1)
            #expect(try await client.execute(uri: "/v2/health/ready", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/v2/models/end-mobilenet/ready", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/v2/models/nope/ready", method: .get).status == .notFound)
            let info = try await client.execute(uri: "/hddnn/v1/node", method: .get)
            let decoded = try JSONDecoder().decode(NodeInfo.self, from: Data(buffer: info.body))
            #expect(decoded.benchmark?.batch == 4 && (decoded.benchmark?.modelSeconds ?? 0) > 0)
            #expect(decoded.heads.map(\.model) == ["edge-resnet"], "a dependable node holds the heads of the undependable nodes above it")
        }
    }

    /// The bodies KServe's and MLServer's clients read, and versions the node does not serve.
    @Test func healthBodiesAndUnknownVersions() async throws {
        let service = try Self.service()
        try await service.warmUp(runs: 1)
        let app = Application(router: try NodeServer(service: service).router())
        try await app.test(.router) { client in
            let live = try await client.execute(uri: "/v2/health/live", method: .get)
            #expect(String(buffer: live.body) == #"{"live":true}"#)
            let ready = try await client.execute(uri: "/v2/health/ready", method: .get)
            #expect(String(buffer: ready.body) == #"{"ready":true}"#)
            let model = try await client.execute(uri: "/v2/models/end-mobilenet/versions/1/ready", method: .get)
            #expect(model.status == .ok && String(buffer: model.body) == #"{"name":"end-mobilenet","ready":true}"#)
            for uri in ["/v2/models/end-mobilenet/versions/99", "/v2/models/end-mobilenet/versions/99/ready"] {
                let r = try await client.execute(uri: uri, method: .get)
                #expect(r.status == .notFound && String(buffer: r.body).contains("no version '99'"), "\(uri)")
            }
            let body = OIPCodec.encodeRequest(id: nil, parameters: nil, inputs: [images(1)], outputs: nil, binary: true)
            #expect(try await infer(client, model: "end-mobilenet/versions/99", body).status == .notFound)
            #expect(try await infer(client, model: "end-mobilenet/versions/1", body).status == .ok)
        }
    }

    @Test func inferenceInBothFramingsMatchesTheEngine() async throws {
        let service = try Self.service()
        try await service.warmUp(runs: 1)
        let input = images(3)
        let expected = try service.model.session.run(["input": input.tensor()])["logits"]!
        let app = Application(router: try NodeServer(service: service).router())
        try await app.test(.router) { client in
            for binary in [true, false] {
                let response = try await infer(client, OIPCodec.encodeRequest(id: "q", parameters: nil, inputs: [input], outputs: nil, binary: binary))
                #expect(response.status == .ok)
                let h = response.headers[Self.headerLength].flatMap { Int($0) }
                #expect((h != nil) == binary)
                let decoded = try OIPCodec.decodeResponse(Array(response.body.readableBytesView), headerLength: h)
                #expect(decoded.response.id == "q" && decoded.response.modelName == "end-mobilenet")
                guard case .fp32(let got) = decoded.outputs[0].payload else { Issue.record("not FP32"); continue }
                #expect(decoded.outputs[0].shape == [3, 5])
                #expect(zip(got, expected.floats).allSatisfy { abs($0 - $1) < 1e-5 })
            }
            let meta = try await client.execute(uri: "/v2/models/end-mobilenet", method: .get)
            let m = try JSONDecoder().decode(ModelMetadataResponse.self, from: Data(buffer: meta.body))
            #expect(m.inputs.first?.name == "input" && m.outputs.first?.shape == [-1, 5])
            let server = try await client.execute(uri: "/v2", method: .get)
            #expect(String(buffer: server.body).contains("binary_tensor_data"))
        }
    }

    @Test func badRequestsGetA4xxAndTheNodeKeepsServing() async throws {
        let service = try Self.service(maxBody: 100_000)
        try await service.warmUp(runs: 1)
        let app = Application(router: try NodeServer(service: service).router())
        try await app.test(.router) { client in
            func expect(_ response: TestResponse, _ status: HTTPResponse.Status, _ message: String,
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
                #expect(response.status == status, sourceLocation: sourceLocation)
                let error = try JSONDecoder().decode(ErrorResponse.self, from: Data(buffer: response.body)).error
                #expect(error.contains(message), "\(error)", sourceLocation: sourceLocation)
            }
            func raw(_ text: String, model: String = "end-mobilenet", headers: HTTPFields = [:]) async throws -> TestResponse {
                try await client.execute(uri: "/v2/models/\(model)/infer", method: .post, headers: headers, body: ByteBuffer(string: text))
            }
            let good = OIPCodec.encodeRequest(id: nil, parameters: nil, inputs: [images(1)], outputs: nil, binary: true)

            try expect(try await raw("{\"inputs\": ["), .badRequest, "not valid JSON")
            try expect(try await infer(client, model: "resnet-9000", good), .notFound, "unknown model 'resnet-9000'")
            let misnamed = WireTensor(name: "pixels", shape: [1, 1, 28, 28], payload: .uint8(SeededData.images(1)))
            try expect(try await infer(client, OIPCodec.encodeRequest(id: nil, parameters: nil, inputs: [misnamed], outputs: nil, binary: true)),
                       .badRequest, "has input 'input'")
            let wrongShape = WireTensor(name: "input", shape: [1, 3, 28, 28], payload: .fp32([Float](repeating: 0, count: 3 * 784)))
            try expect(try await infer(client, OIPCodec.encodeRequest(id: nil, parameters: nil, inputs: [wrongShape], outputs: nil, binary: true)),
                       .badRequest, "does not fit model")
            let wrongType = WireTensor(name: "input", shape: [1, 1, 28, 28], payload: .int64([Int64](repeating: 0, count: 784)))
            try expect(try await infer(client, OIPCodec.encodeRequest(id: nil, parameters: nil, inputs: [wrongType], outputs: nil, binary: true)),
                       .badRequest, "must be FP32 or UINT8")
            let big = OIPCodec.encodeRequest(id: nil, parameters: nil, inputs: [images(200)], outputs: nil, binary: true)
            try expect(try await infer(client, big), .contentTooLarge, "limit of 100000 bytes")
            try expect(try await infer(client, good, headers: [Self.headerLength: String(good.bytes.count + 5)]), .badRequest, "Inference-Header-Content-Length")
            try expect(try await infer(client, good, headers: [Self.headerLength: "twelve"]), .badRequest, "is not a number")
            try expect(try await infer(client, OIPCodec.encodeRequest(id: nil, parameters: nil, inputs: [images(1)], outputs: nil, binary: true),
                                       headers: [Self.headerLength: "10"]), .badRequest, "not valid JSON")
            let routed = TaskMetadata(taskID: "t/1", source: "test", route: ["nowhere"])
            try expect(try await infer(client, model: "edge-resnet", OIPCodec.encodeRequest(id: nil, parameters: routed.parameters, inputs: [images(1)], outputs: nil, binary: true)),
                       .badRequest, "no node named 'nowhere'")

            // Still serving, and the refusals are counted.
            #expect(try await infer(client, good).status == .ok)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("hddnn_requests_total{route=\"infer\",status=\"400\"}"))
            #expect(metrics.contains("hddnn_requests_total{route=\"infer\",status=\"200\"}"))
            #expect(metrics.contains("hddnn_compute_duration_seconds"))
        }
    }

    @Test func undependableNodesRefuseRawTasks() async throws {
        let service = try Self.service(node: "edge-1")
        try await service.warmUp(runs: 1)
        let app = Application(router: try NodeServer(service: service).router())
        try await app.test(.router) { client in
            let task = TaskMetadata(taskID: "t/2", source: "test")
            let response = try await infer(client, model: "edge-resnet",
                                           OIPCodec.encodeRequest(id: nil, parameters: task.parameters, inputs: [images(1)], outputs: nil, binary: true))
            #expect(response.status == .badRequest)
            #expect(String(buffer: response.body).contains("refuses raw HDDNN payloads"))
            // A trace context is passed back.
            let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            let plain = try await infer(client, model: "edge-resnet",
                                        OIPCodec.encodeRequest(id: nil, parameters: nil, inputs: [images(1)], outputs: nil, binary: true),
                                        headers: [HTTPField.Name("traceparent")!: trace])
            #expect(plain.status == .ok)
            #expect(plain.headers[HTTPField.Name("traceparent")!] == trace)
        }
    }

    /// Model names that try to leave the model folder, or to name one, are unknown models; no
    /// refusal body leaks a file path or a stack.
    @Test func modelNamesWithPathTraversalAreUnknownAndErrorsLeakNoPaths() async throws {
        let service = try Self.service()
        try await service.warmUp(runs: 1)
        let app = Application(router: try NodeServer(service: service).router())
        try await app.test(.router) { client in
            let body = OIPCodec.encodeRequest(id: nil, parameters: nil, inputs: [images(1)], outputs: nil, binary: true)
            for name in ["..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "end-mobilenet%2F..%2F..%2Fcloud-wrn", "end-mobilenet.onnx", "%2E%2E"] {
                let metadata = try await client.execute(uri: "/v2/models/\(name)", method: .get)
                #expect(metadata.status == .notFound, "\(name): \(metadata.status)")
                let response = try await infer(client, model: name, body)
                #expect(response.status == .notFound, "\(name): \(response.status)")
                for text in [String(buffer: metadata.body), String(buffer: response.body)] {
                    #expect(!text.contains(Repository.root.path) && !text.contains("/models/") && !text.contains(".onnx\""), "\(name) leaked: \(text)")
                }
            }
            // Malformed bodies: the messages name tensors and sizes, never files.
            let junk = try await client.execute(uri: "/v2/models/end-mobilenet/infer", method: .post, body: ByteBuffer(string: "{not json"))
            #expect(junk.status == .badRequest && !String(buffer: junk.body).contains(Repository.root.path))
            #expect(try await client.execute(uri: "/v2/health/ready", method: .get).status == .ok, "the node keeps serving")
        }
    }
}
