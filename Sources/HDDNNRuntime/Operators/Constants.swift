/// ONNX `Constant` (opset 9, 11, 12, 13, 19, 21): the value is known at load.
struct ConstantOperator: Operator {
    let value: Tensor

    init(_ ctx: NodeContext) throws(EngineError) {
        let a = ctx.node.attributes
        if case .tensor(let t)? = a["value"] { value = t }
        else if case .float(let f)? = a["value_float"] { value = Tensor(scalar: f) }
        else if case .floats(let f)? = a["value_floats"] { value = Tensor(shape: [f.count], floats: f) }
        else if case .int(let i)? = a["value_int"] { value = Tensor(shape: [], int64s: [Int64(i)]) }
        else if case .ints(let i)? = a["value_ints"] { value = Tensor(shape: [i.count], int64s: i.map { Int64($0) }) }
        else {
            throw .invalidAttribute(op: "Constant", name: a.keys.sorted().first ?? "value",
                                    reason: "only value, value_float(s) and value_int(s) are supported")
        }
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] { [value] }
}

/// ONNX `Cast` (opset 6, 9, 13, 19, 21) between float32 and int64 (float to int truncates toward zero).
struct CastOperator: Operator {
    let target: DataType

    /// ONNX `TensorProto.DataType` codes of the types the engine computes with.
    static let onnxCodes: [Int: DataType] = [1: .float32, 7: .int64]

    init(_ ctx: NodeContext) throws(EngineError) {
        let to = try ctx.int("to", default: 0)
        guard let t = Self.onnxCodes[to] else {
            throw .invalidAttribute(op: "Cast", name: "to", reason: "element type code \(to) is not supported (float32 = 1, int64 = 7)")
        }
        target = t
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, "Cast")
        switch (x.storage, target) {
        case (.float32, .float32), (.int64, .int64): return [x]
        case (.int64(let v), .float32): return [Tensor(shape: x.shape, floats: v.map { Float($0) })]
        case (.float32(let v), .int64):
            return [Tensor(shape: x.shape, int64s: v.map { $0.isFinite && abs($0) < 9.2e18 ? Int64($0) : ($0 < 0 ? .min : .max) })]
        }
    }
}
