import Foundation
import HDDNNCluster
import HDDNNTrust
import Testing

/// Who may call what (`Caller.authorize`), the table of docs/security.md: a node certificate
/// opens every route but admin ones, a token exactly its scopes, nobody only the health routes.
@Suite struct CallerTests {
    let node = Caller.node(try! NodeIdentity(trustDomain: "hddnn.local", role: .edge, trust: .dependable, name: "edge-1"))
    func client(_ scopes: Set<Scope>) -> Caller {
        .client(AccessToken(subject: "alice", scopes: scopes, audience: ["edge-1"], issuer: "hddnn.local",
                            notBefore: Date(), expires: Date().addingTimeInterval(60)))
    }

    func status(_ caller: Caller, _ permission: Permission) -> Int {
        do { try caller.authorize(permission); return 200 } catch { return error.status }
    }

    @Test func aNodeCertificateOpensEveryRouteButAdmin() {
        for p in [Permission.health, .read, .infer, .metrics, .query(subject: "17")] { #expect(status(node, p) == 200, "\(p)") }
        #expect(status(node, .admin) == 403)
    }

    @Test func aTokenOpensExactlyItsScopes() {
        let infer = client([.infer])
        #expect(status(infer, .read) == 200 && status(infer, .infer) == 200 && status(infer, .health) == 200)
        #expect(status(infer, .metrics) == 403 && status(infer, .admin) == 403 && status(infer, .query(subject: "17")) == 403)
        let admin = client([.admin])
        #expect(status(admin, .admin) == 200 && status(admin, .infer) == 403, "admin does not imply infer")
        let patient = client([.query(subject: "17")])
        #expect(status(patient, .query(subject: "17")) == 200 && status(patient, .query(subject: "18")) == 403)
        #expect(status(patient, .authenticated) == 200 && status(client([.query(subject: "*")]), .query(subject: "18")) == 200)
    }

    @Test func nobodyGetsOnlyHealthAndPlainHTTPAsksNothing() {
        #expect(status(.anonymous, .health) == 200)
        for p in [Permission.read, .infer, .metrics, .admin, .authenticated] { #expect(status(.anonymous, p) == 401, "\(p)") }
        for p in [Permission.read, .infer, .metrics, .admin] { #expect(status(.plain, p) == 200, "\(p)") }
    }
}
