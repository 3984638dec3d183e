/// A request a node cannot serve, with the HTTP status the protocol answers it with. The node
/// replies `{"error": description}` and goes on serving.
public enum OIPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 400: the request is malformed or disagrees with the model (shape, datatype, framing).
    case badRequest(String)
    /// 401: the caller proved no identity (no client certificate, and no valid bearer token).
    case unauthorized(String)
    /// The authenticated caller may not do this (its certificate's identity decides, never a header).
    case forbidden(String)
    /// 404: no such model on this node.
    case unknownModel(String, served: [String])
    /// 404: the model is served, but not in this version.
    case unknownVersion(model: String, version: String, served: [String])
    /// 404: something else the path names is not there (a model in the repository folder).
    case notFound(String)
    /// 409: the request contradicts the node's state (unloading its own model; asking a node
    /// that serves a model without a card for what only a card says).
    case conflict(String)
    /// 413: the body exceeds the node's configured limit.
    case bodyTooLarge(limit: Int)
    /// 503: the node is not ready or a node further along the route could not be reached.
    case unavailable(String)
    /// 504: the route's next node did not answer within the communication timeout.
    case timedOut(String)
    /// 500: the engine failed on a request that passed validation.
    case engine(String)

    public var status: Int {
        switch self {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .unknownModel, .unknownVersion, .notFound: 404
        case .conflict: 409
        case .bodyTooLarge: 413
        case .unavailable: 503
        case .timedOut: 504
        case .engine: 500
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let m): m
        case .unauthorized(let m): m
        case .forbidden(let m): m
        case .unknownModel(let name, let served): "unknown model '\(name)'; this node serves \(served.joined(separator: ", "))"
        case .unknownVersion(let model, let version, let served):
            "model '\(model)' has no version '\(version)'; this node serves version \(served.joined(separator: ", "))"
        case .notFound(let m): m
        case .conflict(let m): m
        case .bodyTooLarge(let limit): "request body is larger than this node's limit of \(limit) bytes (topology defaults.max_body)"
        case .unavailable(let m): m
        case .timedOut(let m): m
        case .engine(let m): "inference failed: \(m)"
        }
    }
}

extension OIPError {
    /// What a node answers when a peer it passed the request on to failed: the peer's own
    /// refusal (a 4xx) stays a 400 with its message; a timeout is a 504; anything else a 503.
    public init(forwardingTo peer: String, failed error: NodeClientError) {
        switch error {
        case .timedOut: self = .timedOut("'\(peer)' did not answer in time: \(error)")
        case .rejected(_, let status, let message) where status < 500: self = .badRequest("'\(peer)' refused the request: \(message)")
        default: self = .unavailable("'\(peer)' failed: \(error)")
        }
    }
}
