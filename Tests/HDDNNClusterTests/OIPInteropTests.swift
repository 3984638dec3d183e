import AsyncHTTPClient
import Foundation
import HDDNNCluster
import HDDNNData
import HDDNNRuntime
import HDDNNTestSupport
import NIOSSL
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

    /// The python of `venv` (`.venv-oip`: tritonclient; `.venv-kserve`: the KServe SDK), or nil
    /// with the test skipped (or failed under HDDNN_REQUIRE_OIP).
    static func requirePython(_ venv: String = ".venv-oip") -> String? {
        if venv == ".venv-oip", let python { return python }
        if let path = Repository.python(venv: venv) { return path }
        let target = venv == ".venv-oip" ? "oip-venv" : "kserve-venv"
        if Repository.requiresInterop {
            Issue.record("\(venv) is missing: run `make \(target)`")
        } else {
            print("OIPInteropTests skipped: no \(venv) (make \(target) installs it)")
        }
        return nil
    }

    /// Waits for `url` (a health route) to answer 200.
    static func waitReady(_ url: String, http: HTTPClient = .shared) async throws {
        var ready = false
        for _ in 0..<600 where !ready {
            ready = (try? await http.execute(HTTPClientRequest(url: url), timeout: .seconds(1)))?.status == .ok
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(ready, "the node never became ready")
    }

    /// Runs scripts/oip_interop.py and checks what tritonclient got against the engine's own answer.
    static func interop(_ python: String, _ arguments: [String]) throws -> [String: Any] {
        let run = try ProcessRunner(executable: URL(fileURLWithPath: python))
            .run([Repository.root.appendingPathComponent("scripts/oip_interop.py").path] + arguments, timeout: 300)
        try #require(run.status == 0, "tritonclient failed: \(run.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
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
        return result
    }

    @Test func tritonClientCallsANode() async throws {
        guard let python = Self.requirePython() else { return }
        let port = LocalCluster.freeLoopbackPort()
        let server = Process()
        server.executableURL = Repository.hddnn
        server.arguments = ["serve", "--model", Repository.models.appendingPathComponent("end-mobilenet.onnx").path,
                            "--role", "end", "--port", String(port), "--exit-with-parent", "--log-level", "error"]
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        // Ready only after the warm-up inference.
        try await Self.waitReady("http://127.0.0.1:\(port)/v2/health/ready")
        _ = try Self.interop(python, ["http://127.0.0.1:\(port)", "end-mobilenet"])
    }

    /// A node under TLS that takes tokens, with the PKI and a token for `subject` from the CLI.
    struct TLSNode {
        let server: Process
        let port: Int
        let ca: String
        let token: String
    }

    static func tlsNode(subject: String) async throws -> TLSNode {
        let dir = try Repository.workspace("oip-tls")
        let port = LocalCluster.freeLoopbackPort()
        let topology = dir.appendingPathComponent("topology.yaml").path
        try """
            defaults: { benchmark_batch: 8 }
            tls: { ca: pki/ca.pem, certificates: pki }
            nodes:
              - { name: end-1, role: end, trust: dependable, model: \(Repository.models.path)/end-mobilenet.onnx, port: \(port) }

            """.write(toFile: topology, atomically: true, encoding: .utf8)
        let cli = ProcessRunner()
        let pki = dir.appendingPathComponent("pki").path
        for step in [["pki", "init", "--dir", pki], ["pki", "issue", "--config", topology]] {
            let r = try cli.run(step)
            try #require(r.status == 0, "hddnn \(step.joined(separator: " ")): \(r.stderr)")
        }
        let issued = try cli.run("token", "issue", "--config", topology, "--subject", subject, "--scope", "infer", "--audience", "end-1")
        try #require(issued.status == 0, "\(issued.stderr)")
        let server = Process()
        server.executableURL = Repository.hddnn
        server.arguments = ["serve", "--config", topology, "--node", "end-1", "--exit-with-parent", "--log-level", "error"]
        try server.run()
        var configuration = HTTPClient.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile("\(pki)/ca.pem"))
        configuration.tlsConfiguration = tls
        configuration.dnsOverride = ["localhost": "127.0.0.1"]
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { _ = http.shutdown() }
        try await waitReady("https://localhost:\(port)/v2/health/ready", http: http)
        return TLSNode(server: server, port: port, ca: "\(pki)/ca.pem", token: issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The same over HTTPS: the project CA as tritonclient's only root, a token from
    /// `hddnn token issue` on every call but the health checks, and a call without it refused.
    @Test func tritonClientCallsANodeOverHTTPSWithAToken() async throws {
        guard let python = Self.requirePython() else { return }
        let node = try await Self.tlsNode(subject: "tritonclient")
        defer { node.server.terminate(); node.server.waitUntilExit() }
        let result = try Self.interop(python, ["https://localhost:\(node.port)", "end-mobilenet", "--ca", node.ca, "--token", node.token])
        #expect((result["without_token"] as? String)?.contains("bearer token") == true, "\(result["without_token"] ?? "")")
    }

    /// KServe's own SDK (InferenceRESTClient, protocol v2) over HTTPS with a token: its health
    /// checks read the bodies, its inference matches the engine, and a call without the token is refused.
    @Test func kserveSDKCallsANodeOverHTTPSWithAToken() async throws {
        guard let python = Self.requirePython(".venv-kserve") else { return }
        let node = try await Self.tlsNode(subject: "kserve")
        defer { node.server.terminate(); node.server.waitUntilExit() }
        let run = try ProcessRunner(executable: URL(fileURLWithPath: python))
            .run([Repository.root.appendingPathComponent("scripts/kserve_interop.py").path, "https://localhost:\(node.port)",
                  "end-mobilenet", "--ca", node.ca, "--token", node.token], timeout: 300)
        try #require(run.status == 0, "the KServe SDK failed: \(run.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(result["live"] as? Bool == true && result["ready"] as? Bool == true && result["model_ready"] as? Bool == true, "\(result)")
        let x = Tensor(shape: [2, 1, 28, 28], floats: (0..<(2 * 784)).map { Float($0 % 251) / 250 })
        let model = try CardedModel.load(onnx: Repository.models.appendingPathComponent("end-mobilenet.onnx"))
        let expected = try model.session.run(["input": x])["logits"]!.floats
        let got = try #require(result["json"] as? [[Double]]).flatMap { $0 }.map(Float.init)
        #expect(got.count == expected.count && zip(got, expected).allSatisfy { abs($0 - $1) < 1e-4 }, "logits differ from the engine's")
        #expect(result["id"] as? String == "kserve-1")
        #expect(result["model_ready_without_token"] as? Bool == false, "a model-ready check without the token must not read ready")
        #expect((result["without_token"] as? String)?.contains("401") == true, "\(result["without_token"] ?? "")")
    }
}
