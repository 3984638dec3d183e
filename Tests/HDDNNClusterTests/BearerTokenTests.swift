import AsyncHTTPClient
import Crypto
import Foundation
import HDDNNCluster
import HDDNNTestSupport
import HDDNNTrust
import NIOCore
import NIOSSL
import Testing

/// A real `hddnn serve` process under TLS that takes bearer tokens, called by clients without a
/// certificate: a token from `hddnn token issue` is served within its scopes and named in the
/// access log; no token gets only the health routes; every forged or stale token is a 401 that
/// says why, and the node keeps serving.
@Suite(.serialized) struct BearerTokenTests {
    actor Testbed {
        static let shared = Testbed()
        private var state: (cluster: LocalCluster, pki: URL, key: P256.Signing.PrivateKey, base: String)?

        func get() async throws -> (cluster: LocalCluster, pki: URL, key: P256.Signing.PrivateKey, base: String) {
            if let state { return state }
            let dir = try Repository.workspace("tokens")
            let pki = dir.appendingPathComponent("pki")
            try FileManager.default.createDirectory(at: pki, withIntermediateDirectories: true)
            let ca = try CertificateAuthority.create(trustDomain: "hddnn.local")
            try ca.write(to: pki)
            let key = P256.Signing.PrivateKey()
            try TokenSigner(trustDomain: "hddnn.local", key: key).write(to: pki)
            let port = LocalCluster.freeLoopbackPort()
            let yaml = """
                defaults: { benchmark_batch: 8 }
                tls: { ca: \(pki.path)/ca.pem, certificates: \(pki.path) }
                nodes:
                  - { name: end-1, role: end, trust: dependable, model: \(Repository.models.path)/end-mobilenet.onnx, port: \(port) }

                """
            let path = dir.appendingPathComponent("topology.yaml").path
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let topology = try Topology.load(path)
            _ = try ClusterPKI.ensure(topology)
            let cluster = LocalCluster(topology: topology, configPath: path, executable: Repository.hddnn,
                                       logDirectory: dir.appendingPathComponent("logs"))
            try await cluster.start(timeout: 180)
            let made = (cluster, pki, key, "https://localhost:\(port)")
            state = made
            return made
        }
    }

    /// A client with the project CA as its only root and no certificate of its own.
    func client(_ pki: URL) throws -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.appendingPathComponent("ca.pem").path))
        configuration.tlsConfiguration = tls
        configuration.dnsOverride = ["localhost": "127.0.0.1"]
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func call(_ http: HTTPClient, _ url: String, token: String? = nil, body: String? = nil) async throws -> (status: Int, body: String, authenticate: String?) {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)),
                response.headers.first(name: "WWW-Authenticate"))
    }

    /// An `infer` token for end-1 from `hddnn token issue`, as a user gets one.
    static func issue(subject: String, pki: URL) throws -> String {
        let issued = try ProcessRunner().run("token", "issue", "--dir", pki.path, "--subject", subject, "--scope", "infer",
                                             "--audience", "end-1", "--valid", "10m")
        try #require(issued.status == 0, "\(issued.stderr)")
        return issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let inferBody = #"{"inputs":[{"name":"input","shape":[1,1,28,28],"datatype":"FP32","data":[\#(Array(repeating: "0.5", count: 784).joined(separator: ","))]}]}"#

    @Test func aTokenFromTheCLIIsServedWithinItsScopesAndTheAccessLogNamesItsSubject() async throws {
        let (cluster, pki, _, base) = try await Testbed.shared.get()
        let token = try Self.issue(subject: "alice", pki: pki)
        let http = try client(pki)
        defer { _ = http.shutdown() }
        #expect(try await call(http, "\(base)/v2/models/end-mobilenet", token: token).status == 200)
        let answer = try await call(http, "\(base)/v2/models/end-mobilenet/infer", token: token, body: Self.inferBody)
        #expect(answer.status == 200 && answer.body.contains("logits"), "\(answer.body)")
        // No `metrics` scope.
        let metrics = try await call(http, "\(base)/metrics", token: token)
        #expect(metrics.status == 403 && metrics.body.contains("metrics"), "\(metrics.body)")
        // `hddnn token show` reads it back as a node would.
        let shown = try ProcessRunner().run("token", "show", "--dir", pki.path, "--audience", "end-1", token)
        #expect(shown.status == 0 && shown.stdout.contains("alice") && shown.stdout.contains("infer"), "\(shown.stdout)\(shown.stderr)")
        // The access log names the caller of every request.
        try await Task.sleep(for: .milliseconds(200))
        let log = cluster.logTail("end-1", lines: 400)
        #expect(log.contains("POST /v2/models/end-mobilenet/infer 200") && log.contains("caller=token:alice"), "\(log.suffix(2000))")
    }

    @Test func aCallerWithoutCertificateOrTokenGetsOnlyTheHealthRoutes() async throws {
        let (_, pki, _, base) = try await Testbed.shared.get()
        let http = try client(pki)
        defer { _ = http.shutdown() }
        #expect(try await call(http, "\(base)/v2/health/live").status == 200)
        #expect(try await call(http, "\(base)/v2/health/ready").status == 200)
        for path in ["/v2", "/v2/models/end-mobilenet", "/metrics", "/hddnn/v1/node"] {
            let got = try await call(http, base + path)
            #expect(got.status == 401 && got.authenticate?.hasPrefix("Bearer") == true, "\(path): \(got.status) \(got.body)")
            #expect(got.body.contains("bearer token"), "\(path): \(got.body)")
        }
        let infer = try await call(http, "\(base)/v2/models/end-mobilenet/infer", body: Self.inferBody)
        #expect(infer.status == 401)
    }

    /// The model repository answers admin tokens only: no token is a 401, an `infer` token a
    /// 403 naming the scope; an admin token lists the folder and loads from it, is refused
    /// unloading the node's own model, and reads nothing outside the folder.
    @Test func theRepositoryRoutesNeedTheAdminScope() async throws {
        let (_, pki, key, base) = try await Testbed.shared.get()
        let forged = ForgedTokens(key: key, audience: "end-1")
        let http = try client(pki)
        defer { _ = http.shutdown() }
        let user = forged.signed(forged.claims(scope: "infer metrics"))
        for path in ["/v2/repository/index", "/v2/repository/models/edge-resnet/load", "/v2/repository/models/end-mobilenet/unload"] {
            let none = try await call(http, base + path, body: "{}")
            #expect(none.status == 401, "\(path): \(none.status) \(none.body)")
            let refused = try await call(http, base + path, token: user, body: "{}")
            #expect(refused.status == 403 && refused.body.contains("admin"), "\(path): \(refused.status) \(refused.body)")
        }
        let admin = forged.signed(forged.claims(scope: "admin"))
        let index = try await call(http, "\(base)/v2/repository/index", token: admin, body: "{}")
        #expect(index.status == 200 && index.body.contains(#""name":"edge-resnet""#), "\(index.body)")
        let load = try await call(http, "\(base)/v2/repository/models/edge-resnet/load", token: admin, body: "{}")
        #expect(load.status == 200 && load.body.contains(#""kind":"hddnn""#), "\(load.body)")
        let unload = try await call(http, "\(base)/v2/repository/models/end-mobilenet/unload", token: admin, body: "{}")
        #expect(unload.status == 409, "\(unload.body)")
        let walk = try await call(http, "\(base)/v2/repository/models/..%2F..%2F..%2Fetc%2Fpasswd/load", token: admin, body: "{}")
        #expect(walk.status == 400 && !walk.body.contains("root:"), "\(walk.body)")
        #expect(try await call(http, "\(base)/v2/repository/models/edge-resnet/unload", token: admin, body: "{}").status == 200)
    }

    /// A token revoked with `hddnn token revoke` is refused within a second or so, by a node
    /// that was not restarted; other tokens are still served.
    @Test func aRevokedTokenIsRefusedWithoutARestart() async throws {
        let (_, pki, key, base) = try await Testbed.shared.get()
        let token = try Self.issue(subject: "bob", pki: pki)
        let http = try client(pki)
        defer { _ = http.shutdown() }
        #expect(try await call(http, "\(base)/v2/models/end-mobilenet", token: token).status == 200)
        let revoked = try ProcessRunner().run("token", "revoke", "--dir", pki.path, token)
        #expect(revoked.status == 0 && revoked.stdout.contains("revoked token"), "\(revoked.stdout)\(revoked.stderr)")
        try await Task.sleep(for: .milliseconds(1200))
        let refused = try await call(http, "\(base)/v2/models/end-mobilenet", token: token)
        #expect(refused.status == 401 && refused.body.contains("was revoked"), "\(refused.status) \(refused.body)")
        let other = ForgedTokens(key: key, audience: "end-1")
        #expect(try await call(http, "\(base)/v2/models/end-mobilenet", token: other.signed(other.claims())).status == 200)
    }

    @Test func everyForgedOrStaleTokenIsRefusedAndTheNodeKeepsServing() async throws {
        let (_, pki, key, base) = try await Testbed.shared.get()
        let forged = ForgedTokens(key: key, audience: "end-1")
        let http = try client(pki)
        defer { _ = http.shutdown() }
        for attack in forged.attacks() {
            let got = try await call(http, "\(base)/v2/models/end-mobilenet/infer", token: attack.token, body: Self.inferBody)
            #expect(got.status == 401, "\(attack.name): \(got.status) \(got.body)")
            #expect(got.body.contains(attack.refusal), "\(attack.name): \(got.body)")
            #expect(!got.body.contains(pki.path) && !got.body.contains("logits"), "\(attack.name) leaked: \(got.body)")
        }
        // Not `Bearer`: refused too.
        #expect(try await call(http, "\(base)/v2", token: nil).status == 401)
        // A token with the `metrics` scope reads the counters, which saw every refusal.
        let good = forged.signed(forged.claims(scope: "infer metrics"))
        #expect(try await call(http, "\(base)/v2/models/end-mobilenet/infer", token: good, body: Self.inferBody).status == 200)
        let metrics = try await call(http, "\(base)/metrics", token: good)
        let denials = metrics.body.split(separator: "\n").first { $0.hasPrefix("hddnn_authorization_denials_total") }
        #expect(denials.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0 >= Double(forged.attacks().count), "\(denials ?? "no counter")")
    }
}
