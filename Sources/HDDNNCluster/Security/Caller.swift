import HDDNNTrust

/// Who made a request, as the connection or a token proves it; never what a header or body
/// field claims. Decided once per request by `AuthenticationMiddleware`.
public enum Caller: Sendable, Equatable, CustomStringConvertible {
    /// Plain HTTP (`tls: off`): nobody is authenticated, and the topology said so.
    case plain
    /// A process of the project, by the certificate it presented at the TLS handshake.
    case node(NodeIdentity)
    /// A client that is not a node, by a bearer token the project signed.
    case client(AccessToken)
    /// TLS without a certificate or a token: the health routes answer it, nothing else.
    case anonymous

    /// The node identity, when the caller is a node.
    public var node: NodeIdentity? { if case .node(let id) = self { id } else { nil } }

    /// How the access log names the caller.
    public var description: String {
        switch self {
        case .plain: "unauthenticated (plain HTTP)"
        case .node(let id): id.uri
        case .client(let token): token.caller
        case .anonymous: "anonymous"
        }
    }

    /// Whether the caller may do `permission`; the refusal says what would let it.
    public func authorize(_ permission: Permission) throws(OIPError) {
        switch (self, permission) {
        case (_, .health), (.plain, _): return
        case (.client, .authenticated): return
        case (.node, .admin):
            throw .forbidden("admin routes need a token with the admin scope; a node certificate is not enough")
        case (.node, _): return
        case (.client(let token), _):
            let needed = permission.scopes
            guard needed.contains(where: token.allows) else {
                throw .forbidden("token of '\(token.subject)' lacks the scope \(needed.map(\.description).sorted().joined(separator: " or ")) for this route")
            }
        case (.anonymous, _):
            throw .unauthorized("this node takes callers with a project certificate or a bearer token (Authorization: Bearer, from `hddnn token issue`)")
        }
    }
}

/// What a route needs of its caller.
public enum Permission: Sendable, Equatable {
    /// Liveness and readiness: anyone who completed the TLS handshake (Kubernetes probes).
    case health
    /// Any node or token client, whatever its scopes (the route then asks for more itself, as
    /// the catalogue's query routes do once they have read the query's subject).
    case authenticated
    /// Server and model metadata, the node's description.
    case read
    case infer
    case metrics
    case admin
    /// Registering with the holistic catalogue: nodes (and admin tokens).
    case register
    /// A catalogue query about records of one subject (what a record is: a card's
    /// `semantics.subject`, such as actg175-patient).
    case query(subject: String)

    /// The token scopes any one of which grants it.
    var scopes: [Scope] {
        switch self {
        case .health, .authenticated: []
        case .read, .infer: [.infer]
        case .metrics: [.metrics]
        case .admin, .register: [.admin]
        case .query(let subject): [.query(subject: subject), .query(subject: "*")]
        }
    }
}
