/// ONNX `MaxPool` (opset 1, 8, 10, 11, 12) and `AveragePool` (opset 1, 7, 10, 11, 19), 1-D and 2-D.
struct PoolOperator: Operator {
    let name: String
    let window: WindowAttributes
    let kernelShape: [Int]
    let isMax: Bool
    let countIncludePad: Bool
    let columnMajorIndices: Bool
    /// Whether MaxPool's optional second output (the argmax indices) is read at all.
    let wantsIndices: Bool

    init(_ ctx: NodeContext, max isMax: Bool) throws(EngineError) {
        name = ctx.opType
        self.isMax = isMax
        wantsIndices = isMax && ctx.node.outputs.count > 1 && !ctx.node.outputs[1].isEmpty
        window = try WindowAttributes(ctx, allowsCeilMode: ctx.opset >= 10)
        guard let ks = window.kernelShape else {
            throw .invalidAttribute(op: ctx.opType, name: "kernel_shape", reason: "is required")
        }
        kernelShape = ks
        countIncludePad = try ctx.int("count_include_pad", default: 0) != 0
        let storageOrder = try ctx.int("storage_order", default: 0)
        try ctx.require(storageOrder == 0 || storageOrder == 1, "storage_order", "must be 0 or 1")
        columnMajorIndices = storageOrder == 1
        if !isMax, ctx.opset < 19 {
            try ctx.require(window.dilations == nil || window.dilations!.allSatisfy { $0 == 1 }, "dilations",
                            "AveragePool has no dilations before opset 19")
        }
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, name).requireFloat(name)
        guard x.rank == kernelShape.count + 2 else {
            throw EngineError.shapeMismatch(op: name, reason: "input \(x.shape) does not match a \(kernelShape.count)-D kernel")
        }
        let g = try window.geometry(op: name, spatial: Array(x.shape[2...]), kernel: kernelShape)
        let planes = x.shape[0] * x.shape[1]
        let outShape = Array(x.shape[0..<2]) + g.outputSpatial(rank: x.rank - 2)
        let kernel = Pool2DKernel(kind: isMax ? .max : .average(countIncludePad: countIncludePad), geometry: g)
        var out = [Float](repeating: 0, count: Shape.count(outShape))
        var indices = [Int64](repeating: 0, count: wantsIndices ? out.count : 0)
        x.withFloats { xp in
            out.withUnsafeMutableBufferPointer { op in
                indices.withUnsafeMutableBufferPointer { ip in
                    kernel.run(planes: planes, input: xp.baseAddress!, output: op.baseAddress!,
                               indices: wantsIndices ? ip.baseAddress : nil, columnMajorIndices: columnMajorIndices, context: context)
                }
            }
        }
        var results = [Tensor(shape: outShape, floats: out)]
        if wantsIndices { results.append(Tensor(shape: outShape, int64s: indices)) }
        return results
    }
}

/// ONNX `GlobalAveragePool` and `GlobalMaxPool`: one value per (image, channel), any spatial rank.
struct GlobalPoolOperator: Operator {
    let isMax: Bool

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let op = isMax ? "GlobalMaxPool" : "GlobalAveragePool"
        let x = try inputs.required(0, op).requireFloat(op)
        guard x.rank >= 3 else { throw EngineError.shapeMismatch(op: op, reason: "expected N x C x spatial..., got \(x.shape)") }
        let planes = x.shape[0] * x.shape[1]
        let size = Shape.count(Array(x.shape[2...]))
        var out = [Float](repeating: 0, count: planes)
        x.withFloats { xp in
            for p in 0..<planes {
                let s = xp.baseAddress! + p * size
                if isMax {
                    var m = -Float.infinity
                    for i in 0..<size { m = max(m, s[i]) }
                    out[p] = m
                } else {
                    var acc: Float = 0
                    for i in 0..<size { acc += s[i] }
                    out[p] = acc / Float(size)
                }
            }
        }
        return [Tensor(shape: Array(x.shape[0..<2]) + Array(repeating: 1, count: x.rank - 2), floats: out)]
    }
}
