import Foundation
import SwiftASN1
import X509

/// Decides whether a peer's certificate chain proves a node identity of this project: it must
/// chain to the project's CA (the only trust root), be within its validity, be a leaf (not a CA),
/// carry the extended key usage its side of the connection needs (client authentication for a
/// caller, server authentication for a server), and name exactly one identity of the project's
/// trust domain. The TLS layer hands it the DER chain; it answers the identity or why not.
public struct PeerVerifier: Sendable {
    /// Which side the peer is on.
    public enum Side: Sendable {
        /// The peer connected to us: it needs client authentication.
        case client
        /// We connected to the peer: it needs server authentication.
        case server
    }

    public let root: Certificate
    public let trustDomain: String
    /// Certificates revoked before they expire (by serial number), checked after the chain.
    public let revocations: RevocationList?

    public init(root: Certificate, trustDomain: String, revocations: RevocationList? = nil) {
        self.root = root
        self.trustDomain = trustDomain
        self.revocations = revocations
    }

    /// The identity `chain` (leaf first) proves now.
    public func verify(chain: [Certificate], side: Side) async throws(PeerError) -> NodeIdentity {
        guard let leaf = chain.first else { throw .noCertificate }
        var verifier = Verifier(rootCertificates: CertificateStore([root])) {
            RFC5280Policy()
            LeafUsagePolicy(side: side)
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(chain.dropFirst()))
        switch result {
        case .validCertificate: break
        case .couldNotValidate(let failures):
            throw .untrusted(failures.map { "\($0.policyFailureReason)" }.first ?? "no chain to the project's CA")
        }
        let serial = RevocationList.serial(leaf.serialNumber.bytes)
        if let revocations, revocations.isRevoked(serial: serial) { throw .revoked(serial: serial) }
        let identity: NodeIdentity
        do { identity = try NodeIdentity(certificate: leaf) } catch { throw .identity(error) }
        guard identity.trustDomain == trustDomain else {
            throw .identity(.foreignTrustDomain(found: identity.trustDomain, expected: trustDomain))
        }
        return identity
    }
}

/// The leaf must not be a CA and must carry the side's extended key usage.
struct LeafUsagePolicy: VerifierPolicy {
    let side: PeerVerifier.Side
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        let leaf = chain.leaf
        if let constraints = try? leaf.extensions.basicConstraints, case .isCertificateAuthority = constraints {
            return .failsToMeetPolicy(reason: "the peer presented a CA certificate as its own")
        }
        let needed: ExtendedKeyUsage.Usage = side == .client ? .clientAuth : .serverAuth
        guard let usage = try? leaf.extensions.extendedKeyUsage, usage.contains(needed) else {
            return .failsToMeetPolicy(reason: "the certificate is not for \(side == .client ? "client" : "server") authentication")
        }
        return .meetsPolicy
    }
}

/// Why a peer is not who it must be.
public enum PeerError: Error, Sendable, Equatable, CustomStringConvertible {
    case noCertificate
    case untrusted(String)
    case identity(IdentityError)
    case revoked(serial: String)

    public var description: String {
        switch self {
        case .noCertificate: "the peer presented no certificate; every hop needs a node certificate from `hddnn pki issue`"
        case .untrusted(let why): "the peer's certificate is not trusted: \(why)"
        case .identity(let e): "the peer's certificate names no usable identity: \(e)"
        case .revoked(let serial): "the peer's certificate \(serial) was revoked (\(RevocationList.fileName)); issue it a new one with `hddnn pki issue`"
        }
    }
}
