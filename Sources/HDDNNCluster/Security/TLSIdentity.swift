import Foundation
import HDDNNTrust
import Logging
import NIOCore
import NIOSSL
import X509

/// One process's side of the topology's mutual TLS: its own certificate and key, the project CA
/// as its only trust root, and the identity every node of the topology must prove.
///
/// - as a server it asks every caller for a certificate and accepts only those `PeerVerifier`
///   accepts (the CA's, valid, client authentication, one identity of the trust domain);
/// - as a client it addresses each node by the node's identity as a DNS name, resolved to the
///   node's address by the client itself (AsyncHTTPClient's `dnsOverride`), so the handshake's
///   hostname check proves, before a body leaves, that the peer is that node with that role and
///   trust, on HTTP/1.1 and HTTP/2 alike. A topology that claims another trust for a node than
///   its certificate does fails that check.
public struct TLSIdentity: Sendable {
    public let settings: TLSSettings
    /// This process (a node's name, or `coordinator`).
    public let process: String
    public let root: Certificate
    public let verifier: PeerVerifier
    let chain: [NIOSSLCertificate]
    let key: NIOSSLPrivateKey
    let rootNIO: NIOSSLCertificate

    /// Loads `process`'s certificate and key and the CA from `settings`' files.
    public init(settings: TLSSettings, process: String) throws(TLSSetupError) {
        self.settings = settings
        self.process = process
        do {
            root = try PEMFiles.certificate(at: settings.ca)
            guard let first = try NIOSSLCertificate.fromPEMFile(settings.ca).first else { throw TrustError.unreadable(settings.ca, "no certificate") }
            rootNIO = first
        } catch { throw .missing(what: "the CA certificate", path: settings.ca, reason: "\(error)") }
        do {
            chain = try NIOSSLCertificate.fromPEMFile(settings.certificate(of: process))
            key = try NIOSSLPrivateKey(file: settings.key(of: process), format: .pem)
        } catch {
            throw .missing(what: "the certificate of '\(process)'", path: settings.certificate(of: process), reason: "\(error)")
        }
        verifier = PeerVerifier(root: root, trustDomain: settings.trustDomain, revocations: RevocationList(besideCA: settings.ca))
    }

    /// The identity `node` must prove, from the topology's own description of it.
    public static func identity(of node: NodeSpec, tls: TLSSettings) -> NodeIdentity? {
        try? NodeIdentity(trustDomain: tls.trustDomain, role: node.identityRole ?? NodeIdentity.Role(rawValue: node.role.rawValue) ?? .service,
                          trust: node.trust == .dependable ? .dependable : .undependable, domain: node.domain ?? tls.domain, name: node.name)
    }

    /// The host name a client uses for `node` under TLS.
    public static func host(of node: NodeSpec, tls: TLSSettings) -> String {
        identity(of: node, tls: tls)?.dnsName ?? node.host
    }

    /// TLS for connections this process makes: its certificate, the CA as the only root, TLS 1.2+.
    public var clientConfiguration: TLSConfiguration {
        var c = TLSConfiguration.makeClientConfiguration()
        c.minimumTLSVersion = .tlsv12
        c.trustRoots = .certificates([rootNIO])
        c.certificateChain = chain.map { .certificate($0) }
        c.privateKey = .privateKey(key)
        c.certificateVerification = .fullVerification
        return c
    }

    /// TLS for connections this process accepts, TLS 1.2+: a client certificate, when presented,
    /// is checked by `verifyCaller`; `clientCertificateRequired` false lets callers without one
    /// (token clients) complete the handshake.
    public func serverConfiguration(clientCertificateRequired: Bool = true) -> TLSConfiguration {
        var c = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        c.minimumTLSVersion = .tlsv12
        c.trustRoots = .certificates([rootNIO])
        c.certificateVerification = clientCertificateRequired ? .noHostnameVerification : .optionalVerification
        return c
    }

    /// The handshake's check of a caller's chain: the whole of `PeerVerifier`, so a caller whose
    /// certificate names no identity of the project never gets to send a byte of HTTP.
    public func verifyCaller(_ certificates: [NIOSSLCertificate], logger: Logger,
                             refused: @Sendable (String) -> Void) async -> NIOSSLVerificationResult {
        do {
            let chain = try certificates.map { try Certificate(derEncoded: try $0.toDERBytes()) }
            _ = try await verifier.verify(chain: chain, side: .client)
            return .certificateVerified
        } catch {
            logger.warning("TLS handshake refused", metadata: ["reason": "\(error)"])
            refused("\(error)")
            return .failed
        }
    }
}

/// Why a process cannot take part in the topology's TLS; each says what to run.
public enum TLSSetupError: Error, Sendable, CustomStringConvertible {
    case missing(what: String, path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let what, let path, let reason):
            "cannot load \(what) from \(path) (\(reason)); create them with `hddnn pki init` and `hddnn pki issue --config <topology>`, or set `tls: off` for plain HTTP"
        }
    }
}
