/// The engine's own graph: what an importer (ONNX today) produces and what the planner compiles.
///
/// It is deliberately independent of the ONNX protobuf types so that the runtime does not depend on
/// the file format, and so that a partitioned graph can be exported again (`GraphPartition`).
public struct Graph: Sendable {
    public var name: String
    /// Graph inputs the caller must feed (initializers are not listed here).
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    /// Nodes in topological order.
    public var nodes: [Node]
    /// Constant tensors (weights), by value name.
    public var initializers: [String: Tensor]
    /// Version of the default ("ai.onnx") operator set the nodes follow.
    public var opsetVersion: Int
    /// Where the graph came from, carried through to exports and `inspect`.
    public var metadata: ModelMetadata

    public init(name: String, inputs: [ValueInfo], outputs: [ValueInfo], nodes: [Node],
                initializers: [String: Tensor], opsetVersion: Int, metadata: ModelMetadata = .init()) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.nodes = nodes
        self.initializers = initializers
        self.opsetVersion = opsetVersion
        self.metadata = metadata
    }

    /// Number of weights: elements of all float initializers.
    public var parameterCount: Int {
        initializers.values.reduce(0) { $0 + ($1.dataType == .float32 ? $1.count : 0) }
    }
}

/// Provenance of a model file.
public struct ModelMetadata: Sendable, Equatable {
    public var irVersion: Int
    public var producerName: String
    public var producerVersion: String
    public var docString: String

    public init(irVersion: Int = 8, producerName: String = "", producerVersion: String = "", docString: String = "") {
        self.irVersion = irVersion
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.docString = docString
    }
}

/// A named graph input or output with its declared type and shape (nil = symbolic dimension).
public struct ValueInfo: Sendable, Equatable {
    public var name: String
    public var dataType: DataType
    public var shape: [Int?]
    /// Names of symbolic dimensions (such as "batch"), kept for export; nil where the dim is fixed.
    public var dimensionNames: [String?]
    /// False when the model declares no shape at all (any rank is then accepted).
    public var shapeKnown: Bool

    public init(name: String, dataType: DataType, shape: [Int?], dimensionNames: [String?]? = nil, shapeKnown: Bool = true) {
        self.name = name
        self.dataType = dataType
        self.shape = shape
        self.dimensionNames = dimensionNames ?? shape.map { _ in nil }
        self.shapeKnown = shapeKnown
    }

    /// Whether `concrete` agrees with the declared shape (same rank, equal fixed dimensions).
    public func accepts(_ concrete: [Int]) -> Bool {
        guard shapeKnown else { return true }
        guard concrete.count == shape.count else { return false }
        return zip(shape, concrete).allSatisfy { $0 == nil || $0 == $1 }
    }
}

/// One operator application.
public struct Node: Sendable {
    public var name: String
    public var opType: String
    /// Operator-set domain; "" is the default ONNX domain.
    public var domain: String
    /// Input value names in order; "" marks an omitted optional input.
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: Attribute]

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: Attribute] = [:]) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }
}

/// An operator attribute value.
public enum Attribute: Sendable, Equatable {
    case int(Int)
    case ints([Int])
    case float(Float)
    case floats([Float])
    case string(String)
    case strings([String])
    case tensor(Tensor)
    /// An attribute kind the engine has no use for (graphs, sparse tensors, type protos); kept so
    /// that an operator reading it fails with a clear message.
    case unsupported(kind: String)

    var kindName: String {
        switch self {
        case .int: "int"
        case .ints: "ints"
        case .float: "float"
        case .floats: "floats"
        case .string: "string"
        case .strings: "strings"
        case .tensor: "tensor"
        case .unsupported(let kind): kind
        }
    }
}
