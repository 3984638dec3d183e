import Crypto
import Foundation
import SwiftASN1
import X509

/// The project's certificate authority: an ECDSA P-256 key and its self-signed certificate. It
/// signs node certificates (`issue`) and nothing else; nodes need only its certificate, as their
/// one trust root, never its key.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    private let key: Certificate.PrivateKey
    /// The SPIFFE trust domain every identity this CA signs belongs to.
    public let trustDomain: String

    /// The files `write(to:)` leaves: the certificate, and the key beside it.
    public static let certificateFileName = "ca.pem"
    public static let keyFileName = "ca-key.pem"

    /// Where the CA key of the certificate at `certificatePath` is kept: beside it.
    public static func keyPath(beside certificatePath: String) -> String {
        URL(fileURLWithPath: certificatePath).deletingLastPathComponent().appendingPathComponent(keyFileName).path
    }

    /// How long a CA certificate is valid by default: rotate it with `hddnn pki init --force`.
    public static let defaultValidity: TimeInterval = 365 * 86_400
    /// How long a node certificate is valid by default: short, so a stolen one expires soon.
    public static let defaultNodeValidity: TimeInterval = 7 * 86_400

    /// A new CA for `trustDomain`, valid from `now` for `validity` seconds.
    public static func create(trustDomain: String, now: Date = Date(), validity: TimeInterval = defaultValidity) throws -> CertificateAuthority {
        guard NodeIdentity.isTrustDomain(trustDomain) else { throw IdentityError.badTrustDomain(trustDomain) }
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let name = try DistinguishedName {
            OrganizationName("HDDNN")
            CommonName("HDDNN project CA \(trustDomain)")
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: key.publicKey)
            SubjectAlternativeNames([.uniformResourceIdentifier("spiffe://\(trustDomain)")])
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(validity),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: key)
        return CertificateAuthority(certificate: certificate, key: key, trustDomain: trustDomain)
    }

    /// The CA from its PEM files (as `write(to:)` leaves them; the key beside the certificate by default).
    public static func load(certificate certificatePath: String, key: String? = nil) throws(TrustError) -> CertificateAuthority {
        let keyPath = key ?? Self.keyPath(beside: certificatePath)
        let certificate = try PEMFiles.certificate(at: certificatePath)
        let key = try PEMFiles.privateKey(at: keyPath)
        guard key.publicKey == certificate.publicKey else { throw .keyMismatch(certificate: certificatePath, key: keyPath) }
        guard let uri = certificate.uriNames.first, uri.hasPrefix("spiffe://"), !uri.dropFirst(9).contains("/") else {
            throw .notACA(certificatePath, "it names no spiffe://<trust-domain> of its own")
        }
        guard (try? certificate.extensions.basicConstraints) == .isCertificateAuthority(maxPathLength: 0) else {
            throw .notACA(certificatePath, "its basic constraints do not make it a CA")
        }
        return CertificateAuthority(certificate: certificate, key: key, trustDomain: String(uri.dropFirst(9)))
    }

    /// Writes `ca.pem` and `ca-key.pem` into `folder`; the key file is readable by its owner only.
    public func write(to folder: URL) throws(TrustError) {
        try PEMFiles.write(certificate: certificate, to: folder.appendingPathComponent(Self.certificateFileName))
        try PEMFiles.write(key: key, to: folder.appendingPathComponent(Self.keyFileName))
    }

    /// A node certificate: `identity` as its one URI SAN and as a DNS name, further DNS names it is
    /// reached at by foreign clients, server and client authentication, valid from `now` for
    /// `validity` seconds. `serverAuth` / `clientAuth` false leave that usage out (tests use it
    /// for the wrong-usage case).
    ///
    /// No IP address SANs by default: SwiftNIO SSL (and OpenSSL-style checks generally) accept a
    /// server whose certificate names the connected IP address whatever host name was asked
    /// for, so with every node on 127.0.0.1 any node's certificate would pass for any other's.
    public func issue(_ identity: NodeIdentity, dnsNames: [String] = ["localhost"], ipAddresses: [String] = [],
                      now: Date = Date(), validity: TimeInterval = defaultNodeValidity, serverAuth: Bool = true,
                      clientAuth: Bool = true) throws -> IssuedCertificate {
        guard identity.trustDomain == trustDomain else {
            throw IdentityError.foreignTrustDomain(found: identity.trustDomain, expected: trustDomain)
        }
        let nodeKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
        var names: [GeneralName] = [.uniformResourceIdentifier(identity.uri), .dnsName(identity.dnsName)]
        names += dnsNames.map { .dnsName($0) }
        for ip in ipAddresses {
            guard let bytes = IPAddressBytes(ip) else { throw TrustError.badAddress(ip) }
            names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
        }
        var usages: [ExtendedKeyUsage.Usage] = []
        if serverAuth { usages.append(.serverAuth) }
        if clientAuth { usages.append(.clientAuth) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage(usages)
            SubjectKeyIdentifier(hash: nodeKey.publicKey)
            AuthorityKeyIdentifier(keyIdentifier: try certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            SubjectAlternativeNames(names)
        }
        let subject = try DistinguishedName {
            OrganizationName("HDDNN")
            OrganizationalUnitName(identity.domain)
            CommonName(identity.name)
        }
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: nodeKey.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(validity),
            issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: key)
        return IssuedCertificate(identity: identity, certificate: leaf, key: nodeKey)
    }

    /// Signs an arbitrary certificate with this CA (for tests of what a verifier must refuse).
    public func sign(subject: DistinguishedName, publicKey: Certificate.PublicKey, extensions: Certificate.Extensions,
                     notValidBefore: Date, notValidAfter: Date) throws -> Certificate {
        try Certificate(version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                        notValidBefore: notValidBefore, notValidAfter: notValidAfter, issuer: certificate.subject,
                        subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: key)
    }
}

/// A node's certificate and key, as `hddnn pki issue` writes them (`NAME.pem`, `NAME-key.pem`).
public struct IssuedCertificate: Sendable {
    public let identity: NodeIdentity
    public let certificate: Certificate
    public let key: Certificate.PrivateKey

    public func write(to folder: URL) throws(TrustError) {
        try PEMFiles.write(certificate: certificate, to: folder.appendingPathComponent("\(identity.name).pem"))
        try PEMFiles.write(key: key, to: folder.appendingPathComponent("\(identity.name)-key.pem"))
    }
}

extension Certificate {
    /// Every URI SAN of the certificate.
    public var uriNames: [String] {
        guard let sans = try? extensions.subjectAlternativeNames else { return [] }
        return sans.compactMap { if case .uniformResourceIdentifier(let u) = $0 { u } else { nil } }
    }
}

/// The four bytes of an IPv4 address or sixteen of an IPv6 one.
func IPAddressBytes(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
    return nil
}
