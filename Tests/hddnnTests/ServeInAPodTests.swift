import AsyncHTTPClient
import Foundation
import HDDNNCluster
import HDDNNTestSupport
import Testing

/// `hddnn serve` as a KServe pod runs it: the model from a mounted folder, served under the
/// InferenceService's name, on all interfaces, and stopped by SIGTERM without dropping the
/// request it is answering.
@Suite(.serialized) struct ServeInAPodTests {
    @Test func sigtermFinishesTheRequestInFlightThenExitsZero() async throws {
        // KServe's storage initializer leaves the model (and here its card) in /mnt/models.
        let mount = try Repository.workspace("pod").appendingPathComponent("mnt-models")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        for file in ["edge-resnet.onnx", "edge-resnet.card.json"] {
            try FileManager.default.copyItem(at: Repository.root.appendingPathComponent("models/\(file)"), to: mount.appendingPathComponent(file))
        }
        let port = LocalCluster.freeLoopbackPort()
        let p = Process()
        p.executableURL = Repository.hddnn
        p.arguments = ["serve", "--model", mount.path, "--model-name", "edge-1", "--host", "0.0.0.0", "--port", "\(port)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }

        let spec = NodeSpec(name: "edge-1", role: .edge, trust: .dependable, model: mount.path, host: "127.0.0.1", port: port)
        let topology = try Topology(nodes: [spec], baseDirectory: mount)
        let client = NodeClient(origin: "kubelet", topology: topology, emulateSilentFailures: false)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var ready = false
        for _ in 0..<600 where !ready {
            ready = await client.isReady(spec, timeout: 1)
            if !ready { try await Task.sleep(for: .milliseconds(200)) }
        }
        try #require(ready, "the node never became ready")

        // The InferenceService's name is the model's second name.
        let images = 4096   // NodeService.maxBatch: seconds of compute on this CPU
        let request = Task {
            try await client.infer(node: spec, model: "edge-1", inputs: [WireTensor(name: "input", shape: [images, 1, 28, 28],
                                                                                    payload: .uint8(SeededData.images(images)))],
                                   metadata: nil, timeout: 300)
        }
        // SIGTERM only once the node says the request is in flight.
        var inFlight = false
        for _ in 0..<300 where !inFlight {
            let metrics = try? await http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(5))
            let text = try await metrics?.body.collect(upTo: 1 << 20)
            inFlight = text.map { String(buffer: $0) }?.contains("hddnn_requests_in_flight 1") ?? false
            if !inFlight { try await Task.sleep(for: .milliseconds(20)) }
        }
        try #require(inFlight, "the request never showed as in flight")
        kill(p.processIdentifier, SIGTERM)

        let answer = try await request.value
        #expect(answer.outputs.first?.shape == [images, 10], "the request in flight was answered whole")
        #expect(answer.response.modelName == "edge-1" || answer.response.modelName == "edge-resnet")
        let exited = await Self.waitForExit(p, seconds: 30)
        #expect(exited && p.terminationStatus == 0 && p.terminationReason == .exit, "status \(p.terminationStatus)")
        #expect(!ClusterCLITests.listening(port))
        try await http.shutdown()
        await client.shutdown()
    }

    @Test func aMountedFolderMustHoldOneModel() throws {
        let mount = try Repository.workspace("pod-two")
        for file in ["edge-resnet.onnx", "end-mobilenet.onnx"] {
            try FileManager.default.copyItem(at: Repository.root.appendingPathComponent("models/\(file)"), to: mount.appendingPathComponent(file))
        }
        let two = try CLITests.hddnn(["serve", "--model", mount.path, "--port", "0"])
        #expect(two.status != 0 && two.stderr.contains("holds several models (edge-resnet.onnx, end-mobilenet.onnx)"), "\(two.stderr)")
        let empty = try Repository.workspace("pod-empty")
        let none = try CLITests.hddnn(["serve", "--model", empty.path, "--port", "0"])
        #expect(none.status != 0 && none.stderr.contains("no model in"), "\(none.stderr)")
        let bad = try CLITests.hddnn(["serve", "--model", "models/edge-resnet.onnx", "--model-name", "../x", "--port", "0"])
        #expect(bad.status != 0 && bad.stderr.contains("../x"), "\(bad.stderr)")
    }

    static func waitForExit(_ p: Process, seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return !p.isRunning
    }
}
