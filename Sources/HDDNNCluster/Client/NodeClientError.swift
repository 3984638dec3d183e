/// Why an exchange with a node failed. `isNodeFailure` separates a node that is gone (dead,
/// unreachable, silent: the fault policies' business) from a node that answered "no" (a bug in
/// the request, not retried elsewhere).
public enum NodeClientError: Error, Sendable, CustomStringConvertible {
    case unreachable(node: String, reason: String)
    case timedOut(node: String, seconds: Double)
    case rejected(node: String, status: Int, message: String)
    case malformedResponse(node: String, reason: String)
    case cancelled(node: String)

    public var isNodeFailure: Bool {
        switch self {
        case .unreachable, .timedOut: true
        // 503/504 from a relay: the node behind it is gone.
        case .rejected(_, let status, _): status == 503 || status == 504
        case .malformedResponse, .cancelled: false
        }
    }

    public var description: String {
        switch self {
        case .unreachable(let node, let reason): "node '\(node)' is unreachable: \(reason)"
        case .timedOut(let node, let s): "node '\(node)' did not answer within \(Quantity.describe(seconds: s))"
        case .rejected(let node, let status, let message): "node '\(node)' answered \(status): \(message)"
        case .malformedResponse(let node, let reason): "node '\(node)' sent a malformed response: \(reason)"
        case .cancelled(let node): "the exchange with '\(node)' was cancelled"
        }
    }
}
