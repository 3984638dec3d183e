/// A compiled operator: everything decided when the model loads, so that `run` only computes.
///
/// Factories (see `OperatorRegistry`) read and validate a node's attributes once, prepack constant
/// weights, and refuse anything unsupported at load time with the node named. `run` receives the
/// node's inputs in order (`nil` for an omitted optional input) and returns its outputs in order.
/// It throws `EngineError` only.
public protocol Operator: Sendable {
    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor]

    /// Multiply-accumulates this node performs for the given concrete input shapes (0 for
    /// operators that do no multiply-accumulate work). Feeds `hddnn inspect`'s MACs per sample and
    /// the per-operator profile.
    func macs(inputShapes: [[Int]?], outputShapes: [[Int]]) -> Int

    /// Inputs whose constant values the operator copied (packed) at load; the session passes
    /// `nil` for them and does not keep the raw tensor alive for this operator.
    func prepackedInputs() -> Set<Int>
}

extension Operator {
    public func macs(inputShapes: [[Int]?], outputShapes: [[Int]]) -> Int { 0 }
    public func prepackedInputs() -> Set<Int> { [] }
}

/// The load-time view of a node that operator factories read.
public struct NodeContext: Sendable {
    public let node: Node
    /// Version of the default operator set the model imports.
    public let opset: Int
    /// Values known at load time (initializers), so factories can prepack weights.
    public let constants: [String: Tensor]
    /// The kernel table operators with their own kernels use.
    public let kernels: KernelTable
    /// Whether convolutions may choose Winograd (`SessionOptions.winograd`).
    public let winograd: Bool

    public init(node: Node, opset: Int, constants: [String: Tensor], kernels: KernelTable = .detected,
                winograd: Bool = true) {
        self.node = node
        self.opset = opset
        self.constants = constants
        self.kernels = kernels
        self.winograd = winograd
    }

    public var opType: String { node.opType }

    /// The constant behind input `index`, if that input is an initializer.
    public func constantInput(_ index: Int) -> Tensor? {
        guard index < node.inputs.count, !node.inputs[index].isEmpty else { return nil }
        return constants[node.inputs[index]]
    }

    /// Whether input `index` is present (not omitted).
    public func hasInput(_ index: Int) -> Bool { index < node.inputs.count && !node.inputs[index].isEmpty }

    /// Whether output `index` is requested.
    public func hasOutput(_ index: Int) -> Bool { index < node.outputs.count && !node.outputs[index].isEmpty }

    // MARK: Attributes

    public func int(_ name: String, default value: Int) throws(EngineError) -> Int {
        try int(name) ?? value
    }

    public func int(_ name: String) throws(EngineError) -> Int? {
        switch node.attributes[name] {
        case nil: return nil
        case .int(let v): return v
        case let other?: throw .invalidAttribute(op: opType, name: name, reason: "expected an int, got \(other.kindName)")
        }
    }

    public func ints(_ name: String) throws(EngineError) -> [Int]? {
        switch node.attributes[name] {
        case nil: return nil
        case .ints(let v): return v
        case .int(let v): return [v]
        case let other?: throw .invalidAttribute(op: opType, name: name, reason: "expected ints, got \(other.kindName)")
        }
    }

    public func float(_ name: String, default value: Float) throws(EngineError) -> Float {
        switch node.attributes[name] {
        case nil: return value
        case .float(let v): return v
        case .int(let v): return Float(v)
        case let other?: throw .invalidAttribute(op: opType, name: name, reason: "expected a float, got \(other.kindName)")
        }
    }

    public func string(_ name: String, default value: String) throws(EngineError) -> String {
        switch node.attributes[name] {
        case nil: return value
        case .string(let v): return v
        case let other?: throw .invalidAttribute(op: opType, name: name, reason: "expected a string, got \(other.kindName)")
        }
    }

    /// Refuses the node unless `condition` holds; for attribute values the engine does not implement.
    public func require(_ condition: Bool, _ name: String, _ reason: @autoclosure () -> String) throws(EngineError) {
        if !condition { throw .invalidAttribute(op: opType, name: name, reason: reason()) }
    }
}

// MARK: Helpers operators share at run time

extension Array where Element == Tensor? {
    /// Input `index`, which the operator requires.
    @inlinable
    func required(_ index: Int, _ op: String) throws -> Tensor {
        guard index < count, let t = self[index] else { throw EngineError.missingOperand(op: op, index: index) }
        return t
    }

    /// Optional input `index`.
    @inlinable
    func optional(_ index: Int) -> Tensor? { index < count ? self[index] : nil }
}

extension Tensor {
    /// Throws unless the tensor holds float32.
    @inlinable
    func requireFloat(_ op: String) throws -> Tensor {
        guard dataType == .float32 else { throw EngineError.typeMismatch(op: op, expected: "float32", got: dataType) }
        return self
    }
}
