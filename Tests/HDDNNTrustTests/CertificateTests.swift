import Crypto
import Foundation
import HDDNNTestSupport
import HDDNNTrust
import SwiftASN1
import Testing
import X509

/// Node certificates as the CA issues them, and every forged or misused one the verifier refuses.
@Suite struct CertificateTests {
    let ca: CertificateAuthority
    let verifier: PeerVerifier
    let edge: NodeIdentity

    init() throws {
        ca = try CertificateAuthority.create(trustDomain: "hddnn.local")
        verifier = PeerVerifier(root: ca.certificate, trustDomain: "hddnn.local")
        edge = try NodeIdentity(trustDomain: "hddnn.local", role: .edge, trust: .dependable, name: "edge-1")
    }

    @Test func anIssuedCertificateProvesItsIdentityOnBothSides() async throws {
        let issued = try ca.issue(edge, dnsNames: ["localhost", "edge-1.lab"], ipAddresses: ["127.0.0.1", "::1"])
        #expect(try await verifier.verify(chain: [issued.certificate], side: .client) == edge)
        #expect(try await verifier.verify(chain: [issued.certificate], side: .server) == edge)
        let sans = try #require(try issued.certificate.extensions.subjectAlternativeNames)
        #expect(sans.contains(.dnsName("edge-1.lab")) && sans.contains(.uniformResourceIdentifier(edge.uri)))
        #expect(sans.contains(.dnsName("edge-1.edge.dependable.default.node.hddnn.local")), "the identity as a DNS name too")
        #expect(sans.count == 6)
        #expect(issued.certificate.notValidAfter.timeIntervalSince(issued.certificate.notValidBefore) <= 7 * 86_400 + 600, "short validity")
        #expect(try issued.certificate.extensions.basicConstraints == .notCertificateAuthority)
    }

    @Test func aCertificateFromAnotherCAWithTheSameIdentityIsRefused() async throws {
        let other = try CertificateAuthority.create(trustDomain: "hddnn.local")
        let forged = try other.issue(edge)
        await #expect(throws: PeerError.self) { try await verifier.verify(chain: [forged.certificate], side: .client) }
        // Sending the impostor CA along as an intermediate does not help.
        await #expect(throws: PeerError.self) { try await verifier.verify(chain: [forged.certificate, other.certificate], side: .client) }
    }

    @Test func expiredAndNotYetValidCertificatesAreRefused() async throws {
        let old = try ca.issue(edge, now: Date().addingTimeInterval(-30 * 86_400), validity: 86_400)
        await #expect(throws: PeerError.self) { try await verifier.verify(chain: [old.certificate], side: .client) }
        let future = try ca.issue(edge, now: Date().addingTimeInterval(30 * 86_400))
        await #expect(throws: PeerError.self) { try await verifier.verify(chain: [future.certificate], side: .client) }
    }

    @Test func aServerOnlyCertificateCannotActAsAClient() async throws {
        let serverOnly = try ca.issue(edge, clientAuth: false)
        #expect(try await verifier.verify(chain: [serverOnly.certificate], side: .server) == edge)
        do {
            _ = try await verifier.verify(chain: [serverOnly.certificate], side: .client)
            Issue.record("a server-only certificate was accepted from a client")
        } catch {
            #expect("\(error)".contains("client authentication"), "\(error)")
        }
    }

    @Test func aNodeCertificateCannotSignAnother() async throws {
        // A node's own key signs a certificate for a node it is not.
        let node = try ca.issue(edge)
        let victim = try NodeIdentity(trustDomain: "hddnn.local", role: .cloud, trust: .dependable, name: "cloud")
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let forged = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: key.publicKey, notValidBefore: Date().addingTimeInterval(-60),
            notValidAfter: Date().addingTimeInterval(3600), issuer: node.certificate.subject,
            subject: try DistinguishedName { CommonName("cloud") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                try ExtendedKeyUsage([.clientAuth, .serverAuth])
                SubjectAlternativeNames([.uniformResourceIdentifier(victim.uri)])
            }, issuerPrivateKey: node.key)
        await #expect(throws: PeerError.self) { try await verifier.verify(chain: [forged, node.certificate], side: .client) }
    }

    @Test func certificatesNamingNoneSeveralOrForeignIdentitiesAreRefused() async throws {
        func signed(_ names: [GeneralName]) throws -> Certificate {
            let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
            return try ca.sign(subject: try DistinguishedName { CommonName("x") }, publicKey: key.publicKey,
                               extensions: try Certificate.Extensions {
                                   Critical(BasicConstraints.notCertificateAuthority)
                                   try ExtendedKeyUsage([.clientAuth, .serverAuth])
                                   SubjectAlternativeNames(names)
                               }, notValidBefore: Date().addingTimeInterval(-60), notValidAfter: Date().addingTimeInterval(3600))
        }
        let cases: [([GeneralName], PeerError)] = [
            ([.dnsName("localhost")], .identity(.noIdentity)),
            ([.uniformResourceIdentifier(edge.uri), .uniformResourceIdentifier("spiffe://hddnn.local/cloud/dependable/default/cloud")],
             .identity(.severalIdentities([edge.uri, "spiffe://hddnn.local/cloud/dependable/default/cloud"]))),
            ([.uniformResourceIdentifier("spiffe://other.org/edge/dependable/default/edge-1")],
             .identity(.foreignTrustDomain(found: "other.org", expected: "hddnn.local"))),
            ([.uniformResourceIdentifier("spiffe://hddnn.local/edge/dependable/../edge-1")],
             .identity(.badSegment(".."))),
        ]
        for (names, expected) in cases {
            await #expect(throws: expected) { try await verifier.verify(chain: [try signed(names)], side: .client) }
        }
        await #expect(throws: PeerError.noCertificate) { try await verifier.verify(chain: [], side: .client) }
    }

    @Test func theCAIsNotANodeAndAForeignIdentityIsNotIssued() async throws {
        await #expect(throws: PeerError.self) { try await verifier.verify(chain: [ca.certificate], side: .client) }
        let foreign = try NodeIdentity(trustDomain: "other.org", role: .edge, trust: .dependable, name: "edge-1")
        #expect(throws: IdentityError.self) { try ca.issue(foreign) }
    }

    @Test func theCAAndCertificatesSurviveTheirFilesAndTheKeyStaysPrivate() async throws {
        let dir = try Repository.workspace("pki")
        try ca.write(to: dir)
        let loaded = try CertificateAuthority.load(certificate: dir.appendingPathComponent("ca.pem").path,
                                                   key: dir.appendingPathComponent("ca-key.pem").path)
        #expect(loaded.certificate == ca.certificate && loaded.trustDomain == "hddnn.local")
        let mode = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("ca-key.pem").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try loaded.issue(edge).write(to: dir)
        let cert = try PEMFiles.certificate(at: dir.appendingPathComponent("edge-1.pem").path)
        #expect(try await verifier.verify(chain: [cert], side: .client) == edge)
        #expect(throws: TrustError.self) { try CertificateAuthority.load(certificate: dir.appendingPathComponent("edge-1.pem").path,
                                                                         key: dir.appendingPathComponent("edge-1-key.pem").path) }
        #expect(throws: TrustError.self) { try PEMFiles.certificate(at: dir.appendingPathComponent("missing.pem").path) }
    }
}
