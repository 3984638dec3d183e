import HDDNNTrust
import Hummingbird
import NIOCore
import NIOSSL
import X509

/// The request context of every node route: Hummingbird's core context, the connection (so the
/// caller's certificate can be read), and the caller `AuthenticationMiddleware` decided on.
public struct NodeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: (any Channel)?
    /// Who is calling; `.anonymous` until the middleware has run.
    public var caller: Caller = .anonymous

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The identity in the certificate the caller presented at the TLS handshake (already
    /// checked there by `TLSIdentity.verifyCaller`); nil on plain HTTP or without a certificate.
    func peerIdentity() async -> NodeIdentity? {
        guard let channel, let peer = try? await channel.nioSSL_peerCertificate().get() else { return nil }
        guard let certificate = try? Certificate(derEncoded: try peer.toDERBytes()) else { return nil }
        return try? NodeIdentity(certificate: certificate)
    }
}
