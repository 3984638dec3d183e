import Crypto
import Foundation
import HDDNNTrust

/// Bearer tokens as an attacker writes them: JWTs put together by hand (never through jwt-kit,
/// the library under test), one per published way of getting a forged or stale token past a
/// verifier, each beside the `TokenError` a node must answer it with.
public struct ForgedTokens: Sendable {
    public let key: P256.Signing.PrivateKey
    public let trustDomain: String
    public let audience: String

    public init(key: P256.Signing.PrivateKey, trustDomain: String = "hddnn.local", audience: String) {
        self.key = key
        self.trustDomain = trustDomain
        self.audience = audience
    }

    /// Claims of a good token for `audience`, valid for an hour from a minute ago.
    public func claims(scope: String = "infer", now: Date = Date()) -> [String: Any] {
        ["iss": trustDomain, "sub": "mallory", "aud": [audience], "iat": now.timeIntervalSince1970,
         "nbf": now.addingTimeInterval(-60).timeIntervalSince1970, "exp": now.addingTimeInterval(3600).timeIntervalSince1970,
         "jti": UUID().uuidString, "scope": scope]
    }

    public var keyID: String { TokenVerifier.keyID(of: key.publicKey) }

    /// A token signed ES256 with `key` (the project's key: a valid token when the claims are).
    public func signed(_ claims: [String: Any], header: [String: Any]? = nil, with signer: P256.Signing.PrivateKey? = nil) -> String {
        let signer = signer ?? key
        let input = Self.part(header ?? ["alg": "ES256", "typ": "JWT", "kid": TokenVerifier.keyID(of: signer.publicKey)]) + "." + Self.part(claims)
        let signature = try! signer.signature(for: Data(input.utf8)).rawRepresentation
        return input + "." + Self.base64URL(signature)
    }

    /// Every attack, by name, with what the node must say (a fragment of the `TokenError` text).
    public func attacks(now: Date = Date()) -> [(name: String, token: String, refusal: String)] {
        let good = claims(now: now)
        var expired = good
        expired["exp"] = now.addingTimeInterval(-3600).timeIntervalSince1970
        expired["nbf"] = now.addingTimeInterval(-7200).timeIntervalSince1970
        var future = good
        future["nbf"] = now.addingTimeInterval(3600).timeIntervalSince1970
        future["exp"] = now.addingTimeInterval(7200).timeIntervalSince1970
        var elsewhere = good
        elsewhere["aud"] = ["edge-9"]
        var foreign = good
        foreign["iss"] = "evil.example"
        let other = P256.Signing.PrivateKey()
        let none = Self.part(["alg": "none", "typ": "JWT", "kid": keyID]) + "." + Self.part(good) + "."
        // HS256 keyed with the public key's PEM: the classic algorithm-confusion attack.
        let hsInput = Self.part(["alg": "HS256", "typ": "JWT", "kid": keyID]) + "." + Self.part(good)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(hsInput.utf8), using: SymmetricKey(data: Data(key.publicKey.pemRepresentation.utf8)))
        let hs256 = hsInput + "." + Self.base64URL(Data(mac))
        // A good token whose claims were changed after signing (scope raised to admin).
        let real = signed(good).split(separator: ".")
        var raised = good
        raised["scope"] = "infer admin"
        let tampered = "\(real[0]).\(Self.part(raised)).\(real[2])"
        return [
            ("alg none", none, "'none'"),
            ("HS256 keyed with the public key", hs256, "'HS256'"),
            ("expired", signed(expired), "expired"),
            ("not yet valid", signed(future), "not valid before"),
            ("wrong audience", signed(elsewhere), "not for"),
            ("foreign issuer", signed(foreign), "issued by"),
            ("unknown key id", signed(good, with: other), "not the project's token key"),
            ("another key under the project's key id", signed(good, header: ["alg": "ES256", "typ": "JWT", "kid": keyID], with: other), "signature"),
            ("tampered claims", tampered, "signature"),
            ("oversized", signed(good.merging(["pad": String(repeating: "A", count: 5000)]) { a, _ in a }), "at most"),
            ("not a JWT", "not-a-token", "malformed"),
        ]
    }

    static func part(_ object: [String: Any]) -> String {
        base64URL(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
