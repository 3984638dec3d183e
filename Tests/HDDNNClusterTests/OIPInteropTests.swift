import AsyncHTTPClient
import Foundation
import HDDNNCluster
import HDDNNData
import HDDNNRuntime
import HDDNNTestSupport
import Testing

/// A client this project did not write, Triton's `tritonclient.http`, calls a real `hddnn serve`
/// process: health, readiness, metadata, inference with binary and JSON tensors, and a malformed
/// request whose message reaches the client.
///
/// `make test` installs the client into `.venv-oip` and sets HDDNN_REQUIRE_OIP=1, so on CI a
/// missing client fails the test; a plain `swift test` without the venv skips it, saying so.
@Suite struct OIPInteropTests {
    static var python: String? {
        if let p = ProcessInfo.processInfo.environment["HDDNN_OIP_PYTHON"] { return p }
        let venv = Repository.root.appendingPathComponent(".venv-oip/bin/python").path
        return FileManager.default.fileExists(atPath: venv) ? venv : nil
    }

    @Test func tritonClientCallsANode() async throws {
        guard let python = Self.python else {
            if ProcessInfo.processInfo.environment["HDDNN_REQUIRE_OIP"] == "1" {
                Issue.record("tritonclient is not installed: run `make oip-venv`")
            } else {
                print("OIPInteropTests skipped: no .venv-oip (make oip-venv installs tritonclient[http])")
            }
            return
        }
        let port = LocalCluster.freeLoopbackPort()
        let server = Process()
        server.executableURL = Repository.hddnn
        server.arguments = ["serve", "--model", Repository.models.appendingPathComponent("end-mobilenet.onnx").path,
                            "--role", "end", "--port", String(port), "--exit-with-parent", "--log-level", "error"]
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        // Ready only after the warm-up inference.
        var ready = false
        for _ in 0..<600 where !ready {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v2/health/ready")
            request.method = .GET
            ready = (try? await HTTPClient.shared.execute(request, timeout: .seconds(1)))?.status == .ok
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(ready, "the node never became ready")

        let client = Process()
        client.executableURL = URL(fileURLWithPath: python)
        client.arguments = [Repository.root.appendingPathComponent("scripts/oip_interop.py").path, "http://127.0.0.1:\(port)", "end-mobilenet"]
        let out = Pipe(), err = Pipe()
        client.standardOutput = out
        client.standardError = err
        try client.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        client.waitUntilExit()
        try #require(client.terminationStatus == 0, "tritonclient failed: \(errors)")
        let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(result["live"] as? Bool == true && result["ready"] as? Bool == true && result["model_ready"] as? Bool == true)
        let metadata = try #require(result["metadata"] as? [String: Any])
        #expect(metadata["name"] as? String == "end-mobilenet")

        let x = Tensor(shape: [2, 1, 28, 28], floats: (0..<(2 * 784)).map { Float($0 % 251) / 250 })
        let model = try CardedModel.load(onnx: Repository.models.appendingPathComponent("end-mobilenet.onnx"))
        let expected = try model.session.run(["input": x])["logits"]!.floats
        for key in ["binary", "json"] {
            let rows = try #require(result[key] as? [[Double]], "\(key) logits")
            let got = rows.flatMap { $0 }.map(Float.init)
            #expect(got.count == expected.count)
            #expect(zip(got, expected).allSatisfy { abs($0 - $1) < 1e-4 }, "\(key) logits differ from the engine's")
        }
        #expect(result["id_True"] as? String == "interop-True")
        #expect((result["bad"] as? String)?.contains("does not fit model") == true, "\(result["bad"] ?? "")")
    }
}
