/// ONNX `ReduceMean` (opset 1, 11, 13: `axes` attribute; 18: `axes` input and `noop_with_empty_axes`).
struct ReduceMeanOperator: Operator {
    let axesAttribute: [Int]?
    let keepDims: Bool
    let noopWithEmptyAxes: Bool

    init(_ ctx: NodeContext) throws(EngineError) {
        axesAttribute = try ctx.ints("axes")
        keepDims = try ctx.int("keepdims", default: 1) != 0
        noopWithEmptyAxes = try ctx.int("noop_with_empty_axes", default: 0) != 0
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, "ReduceMean").requireFloat("ReduceMean")
        let given = inputs.optional(1)?.integers ?? axesAttribute ?? []
        if given.isEmpty && noopWithEmptyAxes { return [x] }
        let axes = try Set(given.isEmpty ? Array(0..<x.rank) : given.map { a throws(EngineError) in try Shape.axis(a, rank: x.rank, op: "ReduceMean") })
        let kept = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        let outStrides = Shape.strides(kept).enumerated().map { axes.contains($0.offset) ? 0 : $0.element }
        var sums = [Double](repeating: 0, count: Shape.count(kept))
        let values = x.floats
        var flat = 0
        forEachIndex(x.shape) { idx in
            var o = 0
            for d in 0..<idx.count { o += idx[d] * outStrides[d] }
            sums[o] += Double(values[flat])
            flat += 1
        }
        let n = Double(axes.reduce(1) { $0 * x.shape[$1] })
        let out = sums.map { Float(n > 0 ? $0 / n : .nan) }
        let shape = keepDims ? kept : x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        return [Tensor(shape: shape, floats: out)]
    }
}
