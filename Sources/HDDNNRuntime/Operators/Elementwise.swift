/// ONNX `Add`, `Sub`, `Mul`, `Div` (opset 7, 13, 14) on float32 and int64, with broadcasting.
struct BinaryOperator: Operator {
    enum Kind: String, Sendable { case add = "Add", sub = "Sub", mul = "Mul", div = "Div" }
    let kind: Kind

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let op = kind.rawValue
        let a = try inputs.required(0, op), b = try inputs.required(1, op)
        guard a.dataType == b.dataType else {
            throw EngineError.shapeMismatch(op: op, reason: "operands have different types, \(a.dataType) and \(b.dataType)")
        }
        let shape = try Shape.broadcast(a.shape, b.shape, op: op)
        switch (a.storage, b.storage) {
        case let (.float32(x), .float32(y)):
            let r: [Float]
            switch kind {
            case .add: r = broadcastBinary(x, a.shape, y, b.shape, outShape: shape, +)
            case .sub: r = broadcastBinary(x, a.shape, y, b.shape, outShape: shape, -)
            case .mul: r = broadcastBinary(x, a.shape, y, b.shape, outShape: shape, *)
            case .div: r = broadcastBinary(x, a.shape, y, b.shape, outShape: shape, /)
            }
            return [Tensor(shape: shape, floats: r)]
        case let (.int64(x), .int64(y)):
            if kind == .div, y.contains(0) { throw EngineError.shapeMismatch(op: op, reason: "integer division by zero") }
            let r: [Int64]
            switch kind {
            case .add: r = broadcastBinary(x, a.shape, y, b.shape, outShape: shape, &+)
            case .sub: r = broadcastBinary(x, a.shape, y, b.shape, outShape: shape, &-)
            case .mul: r = broadcastBinary(x, a.shape, y, b.shape, outShape: shape, &*)
            case .div: r = broadcastBinary(x, a.shape, y, b.shape, outShape: shape, /)
            }
            return [Tensor(shape: shape, int64s: r)]
        default:
            throw EngineError.typeMismatch(op: op, expected: "float32 or int64", got: a.dataType)
        }
    }
}

/// The pointwise activations (`Relu`, `LeakyRelu`, `Sigmoid`, `Tanh`, `HardSigmoid`, `HardSwish`)
/// and `Clip` with constant bounds.
struct ActivationOperator: Operator {
    let name: String
    let activation: Activation

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, name).requireFloat(name)
        // Copied and activated in one pass (the input is still referenced, so not in place).
        let v = [Float](unsafeUninitializedCapacity: x.count) { out, n in
            x.withFloats { activation.apply(from: $0.baseAddress!, to: out.baseAddress!, count: $0.count) }
            n = x.count
        }
        return [Tensor(shape: x.shape, floats: v)]
    }
}

/// ONNX `Clip` (opset 6: `min`/`max` attributes; 11, 12, 13: optional inputs), float32 and int64.
struct ClipOperator: Operator {
    let minAttribute: Float
    let maxAttribute: Float

    init(_ ctx: NodeContext) throws(EngineError) {
        minAttribute = try ctx.float("min", default: -.greatestFiniteMagnitude)
        maxAttribute = try ctx.float("max", default: .greatestFiniteMagnitude)
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, "Clip")
        for i in [1, 2] {
            if let bound = inputs.optional(i), bound.count != 1 {
                throw EngineError.shapeMismatch(op: "Clip", reason: "bound #\(i) must be a scalar, got \(bound.shape)")
            }
        }
        switch x.storage {
        case .float32(var v):
            let lo = inputs.optional(1)?.floats[0] ?? minAttribute
            let hi = inputs.optional(2)?.floats[0] ?? maxAttribute
            v.withUnsafeMutableBufferPointer { Activation.clip(min: lo, max: hi).apply($0.baseAddress!, count: $0.count) }
            return [Tensor(shape: x.shape, floats: v)]
        case .int64(let v):
            let lo = inputs.optional(1)?.int64s[0] ?? .min
            let hi = inputs.optional(2)?.int64s[0] ?? .max
            return [Tensor(shape: x.shape, int64s: v.map { Swift.min(Swift.max($0, lo), hi) })]
        }
    }
}

/// ONNX `Identity`, and `Dropout` at inference (a pass-through; the optional mask is refused at load).
struct IdentityOperator: Operator {
    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        [try inputs.required(0, "Identity")]
    }
}
