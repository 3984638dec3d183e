import HDDNNTrust
import Testing

/// The identity a node certificate carries, and every name it must refuse.
@Suite struct NodeIdentityTests {
    @Test func anIdentityReadsBackFromItsURI() throws {
        let id = try NodeIdentity(trustDomain: "hddnn.local", role: .edge, trust: .undependable, domain: "clinic", name: "edge-2")
        #expect(id.uri == "spiffe://hddnn.local/edge/undependable/clinic/edge-2")
        #expect(try NodeIdentity(uri: id.uri) == id)
    }

    @Test(arguments: [
        "https://hddnn.local/edge/dependable/default/edge-1",          // another scheme
        "spiffe://hddnn.local/edge/dependable/default",                // a segment short
        "spiffe://hddnn.local/edge/dependable/default/edge-1/x",       // a segment long
        "spiffe://hddnn.local/edge/dependable/../edge-1",              // traversal
        "spiffe://hddnn.local/edge/dependable/default/..",             // traversal as the name
        "spiffe://hddnn.local/edge/dependable/default/.",
        "spiffe://hddnn.local/edge/dependable//edge-1",                // empty segment
        "spiffe://hddnn.local/edge/dependable/default/edge%2F1",       // escapes
        "spiffe://hddnn.local/edge/dependable/default/edge-1?x=1",     // query
        "spiffe://user@hddnn.local/edge/dependable/default/edge-1",    // user
        "spiffe://hddnn.local:443/edge/dependable/default/edge-1",     // port
        "spiffe://HDDNN.local/edge/dependable/default/edge-1",         // uppercase trust domain
        "spiffe://hddnn.local/admin/dependable/default/edge-1",        // unknown role
        "spiffe://hddnn.local/edge/trusted/default/edge-1",            // unknown trust
        "spiffe://hddnn.local/edge/dependable/default/edge 1",         // space
        "spiffe:///edge/dependable/default/edge-1",                    // no trust domain
    ])
    func aMalformedIdentityIsRefused(uri: String) {
        #expect(throws: IdentityError.self) { try NodeIdentity(uri: uri) }
    }

    @Test func namesThatCannotBeSegmentsAreRefusedWhenMinted() {
        #expect(throws: IdentityError.badSegment("..")) {
            try NodeIdentity(trustDomain: "hddnn.local", role: .end, trust: .dependable, name: "..")
        }
        #expect(throws: IdentityError.badTrustDomain("Bad Domain")) {
            try NodeIdentity(trustDomain: "Bad Domain", role: .end, trust: .dependable, name: "end-1")
        }
    }
}
