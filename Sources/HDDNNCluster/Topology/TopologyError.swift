/// Why a topology file cannot be used; each case says what to change.
public enum TopologyError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalidYAML(path: String, reason: String)
    case badQuantity(field: String, value: String, expected: String)
    case duplicateNode(String)
    case unknownNode(String, known: [String])
    case noNodes(role: NodeRole)
    case invalidField(field: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read topology '\(path)': \(reason)"
        case .invalidYAML(let path, let reason): "topology '\(path)' is not a valid topology file: \(reason)"
        case .badQuantity(let field, let value, let expected): "\(field): '\(value)' is not \(expected)"
        case .duplicateNode(let name): "node '\(name)' is declared twice; node names must be unique"
        case .unknownNode(let name, let known): "no node named '\(name)' in the topology (nodes: \(known.joined(separator: ", ")))"
        case .noNodes(let role): "the topology has no \(role.rawValue) node; add one under `nodes:`"
        case .invalidField(let field, let reason): "\(field): \(reason)"
        }
    }
}
