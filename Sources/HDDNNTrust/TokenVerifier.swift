import Crypto
import Foundation
import JWTKit

/// A node's check of a bearer token, in this order, each refusal its own `TokenError`:
/// size (at most `maxBytes`), shape (three base64url parts), header (`alg` exactly ES256 and
/// `kid` exactly the project key's, so `alg: none`, HS256 keyed with the public key and tokens
/// of other keys never reach a signature check), signature (jwt-kit, ES256), issuer (the trust
/// domain), audience (this node, or the whole trust domain), then validity (`nbf` and `exp`
/// against the clock given, with `leeway` for clock skew between machines), then the deny list.
public struct TokenVerifier: Sendable {
    public let publicKey: P256.Signing.PublicKey
    public let trustDomain: String
    /// The name this verifier's node answers to in `aud`.
    public let audience: String
    public let leeway: TimeInterval
    public let keyID: String
    /// Tokens revoked before they expire, checked last.
    public let revocations: RevocationList?

    /// Longer is refused before any parsing: a token is a few hundred bytes.
    public static let maxBytes = 4096

    public init(publicKey: P256.Signing.PublicKey, trustDomain: String, audience: String, leeway: TimeInterval = 30,
                revocations: RevocationList? = nil) {
        self.revocations = revocations
        self.publicKey = publicKey
        self.trustDomain = trustDomain
        self.audience = audience
        self.leeway = leeway
        self.keyID = Self.keyID(of: publicKey)
    }

    /// The verifier of `tokens.pem` (`TokenSigner.publicKeyFileName`).
    public static func load(publicKey path: String, trustDomain: String, audience: String,
                            revocations: RevocationList? = nil) throws(TrustError) -> TokenVerifier {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path, "no such file; `hddnn pki init` writes the token key's public half there")
        }
        do {
            let key = try P256.Signing.PublicKey(pemRepresentation: String(decoding: data, as: UTF8.self))
            return TokenVerifier(publicKey: key, trustDomain: trustDomain, audience: audience, revocations: revocations)
        } catch { throw .unreadable(path, "not a PEM P-256 public key (\(error))") }
    }

    /// The start of the SHA-256 of the public key's DER form, in hex.
    public static func keyID(of key: P256.Signing.PublicKey) -> String {
        SHA256.hash(data: key.derRepresentation).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    public func verify(_ token: String, now: Date = Date()) async throws(TokenError) -> AccessToken {
        guard token.utf8.count <= Self.maxBytes else { throw .oversized(bytes: token.utf8.count, limit: Self.maxBytes) }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Self.base64URL(parts[0]),
              let header = try? JSONDecoder().decode(Header.self, from: headerBytes) else {
            throw .malformed("not a JWT (three base64url parts, a JSON header)")
        }
        guard header.alg == "ES256" else { throw .unsupportedAlgorithm(header.alg ?? "none") }
        guard header.kid == keyID else { throw .unknownKey(header.kid ?? "none", expected: keyID) }
        let claims: TokenClaims
        do {
            let keys = JWTKeyCollection()
            await keys.add(ecdsa: try ES256PublicKey(backing: publicKey), kid: JWKIdentifier(string: keyID))
            claims = try await keys.verify(token, as: TokenClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .badSignature
        } catch {
            throw .malformed("\(error)")
        }
        guard claims.iss.value == trustDomain else { throw .wrongIssuer(found: claims.iss.value, expected: trustDomain) }
        guard claims.aud.value.contains(audience) || claims.aud.value.contains(trustDomain) else {
            throw .wrongAudience(found: claims.aud.value, expected: audience)
        }
        guard now.addingTimeInterval(-leeway) < claims.exp.value else { throw .expired(at: claims.exp.value) }
        guard claims.nbf.value <= now.addingTimeInterval(leeway) else { throw .notYetValid(from: claims.nbf.value) }
        if let revocations, revocations.isRevoked(token: claims.jti.value) { throw .revoked(id: claims.jti.value) }
        let scopes = Set(claims.scope.split(separator: " ").compactMap { Scope(String($0)) })
        return AccessToken(subject: claims.sub.value, scopes: scopes, audience: claims.aud.value, issuer: claims.iss.value,
                           notBefore: claims.nbf.value, expires: claims.exp.value, id: claims.jti.value)
    }

    private struct Header: Decodable {
        var alg: String?
        var kid: String?
    }

    static func base64URL(_ part: Substring) -> Data? {
        var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text)
    }
}

/// Why a bearer token was refused; the node answers 401 with this text, which names no secret.
public enum TokenError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case oversized(bytes: Int, limit: Int)
    case unsupportedAlgorithm(String)
    case unknownKey(String, expected: String)
    case badSignature
    case wrongIssuer(found: String, expected: String)
    case wrongAudience(found: [String], expected: String)
    case expired(at: Date)
    case notYetValid(from: Date)
    case revoked(id: String)

    public var description: String {
        switch self {
        case .malformed(let why): "malformed token: \(why)"
        case .oversized(let bytes, let limit): "token of \(bytes) bytes; at most \(limit) are read"
        case .unsupportedAlgorithm(let alg): "token signed with '\(alg)'; this project's tokens are ES256 only"
        case .unknownKey(let kid, let expected): "token signed by key '\(kid)', not the project's token key '\(expected)'; get a new one with `hddnn token issue`"
        case .badSignature: "token signature does not verify with the project's token key"
        case .wrongIssuer(let found, let expected): "token issued by '\(found)', not by trust domain '\(expected)'"
        case .wrongAudience(let found, let expected): "token is for \(found.joined(separator: ", ")), not for '\(expected)'; issue one with --audience \(expected)"
        case .expired(let at): "token expired at \(ISO8601DateFormatter().string(from: at)); get a new one with `hddnn token issue`"
        case .notYetValid(let from): "token is not valid before \(ISO8601DateFormatter().string(from: from))"
        case .revoked(let id): "token \(id) was revoked; get a new one with `hddnn token issue`"
        }
    }
}
