import Crypto
import Foundation
import JWTKit

/// The JWT claims of the project's tokens (RFC 7519), as jwt-kit codes them. Times are checked
/// by `TokenVerifier` against the clock it is given, not here.
struct TokenClaims: JWTPayload {
    var iss: IssuerClaim
    var sub: SubjectClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim
    var iat: IssuedAtClaim
    var jti: IDClaim
    /// Space-separated scopes, as OAuth 2.0 writes them (RFC 8693 §4.2).
    var scope: String

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// The project's token-signing key: an ECDSA P-256 key of its own (never the CA's, so a token
/// can never pass for a certificate or the other way round), kept beside the CA key by
/// `hddnn pki init`. `hddnn token issue` signs with it (ES256); nodes hold only its public half,
/// `tokens.pem`, and verify with `TokenVerifier`.
public struct TokenSigner: Sendable {
    let key: P256.Signing.PrivateKey
    public let trustDomain: String

    public static let keyFileName = "tokens-key.pem"
    public static let publicKeyFileName = "tokens.pem"
    /// The longest a token may live: a leaked one stops working within a day.
    public static let maxLifetime: TimeInterval = 86_400

    public init(trustDomain: String, key: P256.Signing.PrivateKey = .init()) {
        self.key = key
        self.trustDomain = trustDomain
    }

    /// The signer from `tokens-key.pem` in `folder` (the CA's folder).
    public static func load(from folder: URL, trustDomain: String) throws(TrustError) -> TokenSigner {
        let path = folder.appendingPathComponent(keyFileName).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path, "no such file; `hddnn pki init` creates the token-signing key beside the CA")
        }
        do { return TokenSigner(trustDomain: trustDomain, key: try P256.Signing.PrivateKey(pemRepresentation: String(decoding: data, as: UTF8.self))) } catch {
            throw .unreadable(path, "not a PEM P-256 private key (\(error))")
        }
    }

    /// Writes `tokens-key.pem` (owner-only) and `tokens.pem` (the public key nodes verify with) into `folder`.
    public func write(to folder: URL) throws(TrustError) {
        try PEMFiles.write(text: key.pemRepresentation, to: folder.appendingPathComponent(Self.keyFileName), mode: 0o600)
        try PEMFiles.write(text: key.publicKey.pemRepresentation, to: folder.appendingPathComponent(Self.publicKeyFileName), mode: 0o644)
    }

    /// The public half, which nodes verify with.
    public var publicKey: P256.Signing.PublicKey { key.publicKey }

    /// The key id tokens name in their header: the start of the public key's SHA-256.
    public var keyID: String { TokenVerifier.keyID(of: key.publicKey) }

    /// Signs `token` (ES256, `kid` = `keyID`). Refuses a lifetime over `maxLifetime`, an empty
    /// subject, audience or scope list, and an issuer other than this trust domain.
    public func sign(_ token: AccessToken) async throws -> String {
        guard !token.subject.isEmpty, !token.audience.isEmpty, !token.scopes.isEmpty else {
            throw TokenError.malformed("a token needs a subject, an audience and at least one scope")
        }
        guard token.issuer == trustDomain else { throw TokenError.wrongIssuer(found: token.issuer, expected: trustDomain) }
        let lifetime = token.expires.timeIntervalSince(token.notBefore)
        guard lifetime > 0, lifetime <= Self.maxLifetime else {
            throw TokenError.malformed("a token lives more than 0 s and at most \(Int(Self.maxLifetime / 3600)) h (asked: \(Int(lifetime)) s)")
        }
        let claims = TokenClaims(iss: .init(value: token.issuer), sub: .init(value: token.subject), aud: .init(value: token.audience),
                                 exp: .init(value: token.expires), nbf: .init(value: token.notBefore), iat: .init(value: Date()),
                                 jti: .init(value: token.id), scope: token.scopes.sorted().map(\.description).joined(separator: " "))
        let keys = JWTKeyCollection()
        let kid = JWKIdentifier(string: keyID)
        await keys.add(ecdsa: try ES256PrivateKey(backing: key), kid: kid)
        return try await keys.sign(claims, kid: kid)
    }
}
