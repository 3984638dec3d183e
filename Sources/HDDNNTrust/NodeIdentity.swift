import Foundation
import X509

/// Who a node is, as its certificate proves it: one SPIFFE-style URI SAN,
///
///     spiffe://<trust-domain>/<role>/<trust>/<domain>/<name>
///
/// e.g. `spiffe://hddnn.local/edge/dependable/clinic/edge-1`. The node's name, role, trust and
/// data domain travel together in one name the CA signed, so a server decides what a caller may
/// send or ask from this alone, never from headers or body fields (HDDNN §3.5: raw data only to
/// dependable nodes; the holistic layer: records only within their domain).
public struct NodeIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What a node does in the system. `coordinator` is `hddnn run`, `catalog` the holistic
    /// catalogue; both hold client certificates like the nodes.
    public enum Role: String, Sendable, Codable, CaseIterable {
        case end, edge, cloud, service, coordinator, catalog
    }

    /// Whether raw data may reach the node (HDDNN §3.5).
    public enum Trust: String, Sendable, Codable, CaseIterable {
        case dependable, undependable
    }

    public var trustDomain: String
    public var role: Role
    public var trust: Trust
    /// The data domain the node belongs to (the party that runs it); "default" in a single-party topology.
    public var domain: String
    public var name: String

    public init(trustDomain: String, role: Role, trust: Trust, domain: String = "default", name: String) throws(IdentityError) {
        guard Self.isTrustDomain(trustDomain) else { throw .badTrustDomain(trustDomain) }
        for segment in [domain, name] where !Self.isSegment(segment) { throw .badSegment(segment) }
        self.trustDomain = trustDomain
        self.role = role
        self.trust = trust
        self.domain = domain
        self.name = name
    }

    /// The URI SAN.
    public var uri: String { "spiffe://\(trustDomain)/\(role.rawValue)/\(trust.rawValue)/\(domain)/\(name)" }

    /// The same identity as a DNS name, `<name>.<role>.<trust>.<domain>.node.<trust-domain>`, which
    /// node certificates also carry. A sender addresses a node by this name (resolved to the
    /// node's address by the client, not by DNS), so the TLS handshake's hostname check proves,
    /// before any body leaves, that the peer is the node, role and trust the sender expects.
    public var dnsName: String { "\(name).\(role.rawValue).\(trust.rawValue).\(domain).node.\(trustDomain)".lowercased() }

    public var description: String { uri }

    /// Parses a URI SAN, refusing anything this version does not write: another scheme, a user,
    /// port, query or fragment, empty, `.` or `..` segments, percent escapes, or a role or trust
    /// it does not know.
    public init(uri: String) throws(IdentityError) {
        let prefix = "spiffe://"
        guard uri.hasPrefix(prefix) else { throw .notSPIFFE(uri) }
        let rest = uri.dropFirst(prefix.count)
        guard !rest.contains(where: { "?#%@:\\".contains($0) }) else { throw .malformed(uri, "no query, fragment, escape, user or port may appear") }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5 else { throw .malformed(uri, "expected spiffe://<trust-domain>/<role>/<trust>/<domain>/<name>") }
        guard let role = Role(rawValue: parts[1]) else { throw .malformed(uri, "unknown role '\(parts[1])'") }
        guard let trust = Trust(rawValue: parts[2]) else { throw .malformed(uri, "unknown trust '\(parts[2])'") }
        try self.init(trustDomain: parts[0], role: role, trust: trust, domain: parts[3], name: parts[4])
    }

    /// The identity a certificate names: its one URI SAN, parsed. A certificate with none or with
    /// several names no identity. (Whether to trust the certificate is `PeerVerifier`'s question.)
    public init(certificate: Certificate) throws(IdentityError) {
        let uris = certificate.uriNames
        guard !uris.isEmpty else { throw .noIdentity }
        guard uris.count == 1 else { throw .severalIdentities(uris) }
        try self.init(uri: uris[0])
    }

    /// Lowercase letters, digits, dots, dashes and underscores, as SPIFFE trust domains are.
    static func isTrustDomain(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 255 && s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || "._-".contains($0)) }
            && s != "." && s != ".."
    }

    /// A path segment: letters, digits, dots, dashes, underscores; never `.` or `..`.
    static func isSegment(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 128 && s != "." && s != ".." && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }
}

/// Why a name or certificate does not prove an identity; each says what to fix.
public enum IdentityError: Error, Sendable, Equatable, CustomStringConvertible {
    case badTrustDomain(String)
    case badSegment(String)
    case notSPIFFE(String)
    case malformed(String, String)
    case noIdentity
    case severalIdentities([String])
    case foreignTrustDomain(found: String, expected: String)

    public var description: String {
        switch self {
        case .badTrustDomain(let d): "trust domain '\(d)' must be lowercase letters, digits, '.', '-' or '_'"
        case .badSegment(let s): "'\(s)' cannot be a name or domain in an identity: use letters, digits, '.', '-' or '_' (not '.' or '..')"
        case .notSPIFFE(let u): "URI SAN '\(u)' is not a spiffe:// identity"
        case .malformed(let u, let why): "URI SAN '\(u)' is malformed: \(why)"
        case .noIdentity: "the certificate carries no spiffe:// URI SAN, so it names no node; issue node certificates with `hddnn pki issue`"
        case .severalIdentities(let uris): "the certificate carries \(uris.count) URI SANs (\(uris.joined(separator: ", "))); a node certificate names exactly one identity"
        case .foreignTrustDomain(let found, let expected): "identity belongs to trust domain '\(found)', this project's is '\(expected)'"
        }
    }
}
