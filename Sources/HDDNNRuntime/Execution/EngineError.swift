/// Why the engine refused a model or a request. Each message names the place and what to do.
public indirect enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The model uses an operator (or operator version) this engine has no kernel for.
    case unsupportedOperator(opType: String, domain: String, node: String, opset: Int)
    /// An attribute is missing, has the wrong kind, or a value the operator does not support.
    case invalidAttribute(op: String, name: String, reason: String)
    /// Input tensors do not fit together (shapes do not broadcast, a reshape does not divide...).
    case shapeMismatch(op: String, reason: String)
    /// An operator got an element type it does not compute with.
    case typeMismatch(op: String, expected: String, got: DataType)
    /// A required operator input is absent.
    case missingOperand(op: String, index: Int)
    /// The graph is not well formed (dangling value, cycle, duplicate producer...).
    case invalidGraph(String)
    /// The caller did not provide a graph input.
    case missingInput(name: String, expectedShape: [Int?])
    /// The caller provided an input the graph does not have.
    case unknownInput(name: String, known: [String])
    /// An input's shape contradicts the model's declared shape.
    case inputShape(name: String, expected: [Int?], got: [Int])
    /// An input's element type contradicts the model's declared type.
    case inputType(name: String, expected: DataType, got: DataType)
    /// A failure inside one node, with the node named.
    case inNode(node: String, opType: String, EngineError)
    /// A tensor too large or malformed to allocate.
    case shape(ShapeError)

    public var description: String {
        switch self {
        case let .unsupportedOperator(opType, domain, node, opset):
            "unsupported operator \(domain.isEmpty ? "" : domain + ".")\(opType) (node '\(node)', opset \(opset)); "
                + "run `hddnn inspect --operators` to list supported operators"
        case let .invalidAttribute(op, name, reason):
            "\(op): attribute '\(name)': \(reason)"
        case let .shapeMismatch(op, reason):
            "\(op): \(reason)"
        case let .typeMismatch(op, expected, got):
            "\(op): expected \(expected) input, got \(got)"
        case let .missingOperand(op, index):
            "\(op): required input #\(index) is missing"
        case let .invalidGraph(reason):
            "invalid graph: \(reason)"
        case let .missingInput(name, shape):
            "missing input '\(name)' (shape \(Self.format(shape))); pass it as --input \(name)=FILE.npy"
        case let .unknownInput(name, known):
            "the model has no input '\(name)'; its inputs are \(known.map { "'\($0)'" }.joined(separator: ", "))"
        case let .inputShape(name, expected, got):
            "input '\(name)': expected shape \(Self.format(expected)), got \(got); send NCHW float32 in C order"
        case let .inputType(name, expected, got):
            "input '\(name)': expected \(expected), got \(got)"
        case let .inNode(node, opType, error):
            "node '\(node)' (\(opType)): \(error)"
        case let .shape(error):
            error.description
        }
    }

    /// Formats a declared shape, writing unknown (symbolic) dimensions as `?`.
    static func format(_ shape: [Int?]) -> String {
        "[" + shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]"
    }
}
