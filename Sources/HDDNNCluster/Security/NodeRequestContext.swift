import HDDNNTrust
import Hummingbird
import NIOCore
import NIOSSL
import X509

/// The request context of every node route: Hummingbird's core context plus the connection, so a
/// handler can ask who the caller is. The answer comes from the certificate the caller presented
/// at the TLS handshake (already checked there by `TLSIdentity.verifyCaller`), never from
/// headers or body fields; on plain HTTP there is none.
public struct NodeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The caller's identity, or nil on a plain-HTTP connection.
    public func caller() async -> NodeIdentity? {
        guard let channel, let peer = try? await channel.nioSSL_peerCertificate().get() else { return nil }
        guard let certificate = try? Certificate(derEncoded: try peer.toDERBytes()) else { return nil }
        return try? NodeIdentity(certificate: certificate)
    }
}
