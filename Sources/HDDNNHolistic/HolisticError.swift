import HDDNNCluster

/// Everything the holistic layer refuses, each saying what to change.
public enum HolisticError: Error, Sendable, CustomStringConvertible {
    /// The deployment file is wrong.
    case config(String)
    /// A data holding cannot be read or does not have what was asked.
    case data(String)
    /// A request would move raw records where the privacy rule forbids.
    case privacy(String)
    /// The planner cannot answer the query as asked (see `PlanError`).
    case plan(PlanError)
    /// Nodes failed while answering.
    case execution(String)

    public var description: String {
        switch self {
        case .config(let m): "configuration: \(m)"
        case .data(let m): "data: \(m)"
        case .privacy(let m): "privacy: \(m)"
        case .plan(let e): "plan: \(e)"
        case .execution(let m): "execution: \(m)"
        }
    }

    /// The protocol error a node answers with.
    var oip: OIPError {
        switch self {
        case .config(let m), .execution(let m): .unavailable(m)
        case .data, .privacy, .plan: .badRequest(description)
        }
    }
}
