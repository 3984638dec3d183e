import Foundation

/// What a bearer token lets a client that is not a node do: callers with a node certificate are
/// authorized by their identity instead, and admin routes need a token whatever the caller.
public enum Scope: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// Model metadata and inference on the token's audience.
    case infer
    /// Prometheus metrics.
    case metrics
    /// Admin routes (loading and unloading models, and the like); it does not imply the others.
    case admin
    /// Queries about the records of one subject (a patient of ACTG 175, say) in the catalogue.
    case query(subject: String)

    /// "infer", "metrics", "admin" or "query:<subject>"; nil for anything else.
    public init?(_ text: String) {
        switch text {
        case "infer": self = .infer
        case "metrics": self = .metrics
        case "admin": self = .admin
        default:
            guard text.hasPrefix("query:"), text.count > 6, !text.contains(where: \.isWhitespace) else { return nil }
            self = .query(subject: String(text.dropFirst(6)))
        }
    }

    public var description: String {
        switch self {
        case .infer: "infer"
        case .metrics: "metrics"
        case .admin: "admin"
        case .query(let subject): "query:\(subject)"
        }
    }

    public static func < (a: Scope, b: Scope) -> Bool { a.description < b.description }
}

/// A verified bearer token: who it was issued to, what for, to which nodes, and for how long.
/// Only `TokenVerifier` makes one from a token's text, after its signature, issuer, audience and
/// validity have been checked.
public struct AccessToken: Sendable, Equatable {
    /// The client's name (`sub`), as the access log writes it.
    public var subject: String
    public var scopes: Set<Scope>
    /// Node names, or the trust domain for every node of it (`aud`).
    public var audience: [String]
    /// The trust domain that issued it (`iss`).
    public var issuer: String
    public var notBefore: Date
    public var expires: Date
    /// The token's unique id (`jti`), for the access log and revocation lists.
    public var id: String

    public init(subject: String, scopes: Set<Scope>, audience: [String], issuer: String, notBefore: Date, expires: Date,
                id: String = UUID().uuidString.lowercased()) {
        self.subject = subject
        self.scopes = scopes
        self.audience = audience
        self.issuer = issuer
        self.notBefore = notBefore
        self.expires = expires
        self.id = id
    }

    public func allows(_ scope: Scope) -> Bool { scopes.contains(scope) }

    /// How the access log names the caller.
    public var caller: String { "token:\(subject)" }
}
