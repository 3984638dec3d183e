import Foundation

/// ONNX `BatchNormalization` at inference (opset 7, 9, 14, 15):
/// `y = scale * (x - mean) / sqrt(var + epsilon) + bias`, per channel (axis 1).
///
/// Computed as one multiply-add per element with `s = scale / sqrt(var + epsilon)` and
/// `t = bias - mean * s`. The planner folds it into a preceding convolution when it can.
struct BatchNormalizationOperator: Operator {
    let epsilon: Float

    init(_ ctx: NodeContext) throws(EngineError) {
        epsilon = try ctx.float("epsilon", default: 1e-5)
        if ctx.opset < 9 {
            try ctx.require(try ctx.int("spatial", default: 1) == 1, "spatial", "only spatial=1 is supported")
        }
        try ctx.require(try ctx.int("training_mode", default: 0) == 0, "training_mode", "training is not supported; export the model in eval mode")
        try ctx.require(!(1..<5).contains { ctx.hasOutput($0) }, "outputs", "running statistics outputs (training) are not supported")
    }

    /// Per-channel `(s, t)` for the folded form `y = s * x + t`.
    static func affine(scale: [Float], bias: [Float], mean: [Float], variance: [Float], epsilon: Float) -> ([Float], [Float]) {
        var s = [Float](repeating: 0, count: scale.count), t = s
        for c in 0..<scale.count {
            s[c] = scale[c] / (variance[c] + epsilon).squareRoot()
            t[c] = bias[c] - mean[c] * s[c]
        }
        return (s, t)
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let op = "BatchNormalization"
        let x = try inputs.required(0, op).requireFloat(op)
        let params = try (1...4).map { try inputs.required($0, op).requireFloat(op) }
        guard x.rank >= 2 else { throw EngineError.shapeMismatch(op: op, reason: "input \(x.shape) has no channel axis") }
        let channels = x.shape[1]
        for p in params where p.shape != [channels] {
            throw EngineError.shapeMismatch(op: op, reason: "parameter of shape \(p.shape) does not match \(channels) channels")
        }
        let (s, t) = Self.affine(scale: params[0].floats, bias: params[1].floats, mean: params[2].floats,
                                 variance: params[3].floats, epsilon: epsilon)
        let plane = Shape.count(Array(x.shape[2...]))
        // Written straight into a new buffer: one read and one write per element (a copy of the
        // input updated in place would read and write it twice).
        let v = [Float](unsafeUninitializedCapacity: x.count) { out, n in
            x.withFloats { xp in
                let pointers = UnsafeSendable((xp.baseAddress!, out.baseAddress!))
                context.parallelFor(x.shape[0] * channels) { job in
                    let (src, dst) = pointers.pointer
                    let c = job % channels, sc = s[c], tc = t[c]
                    let from = src + job * plane, to = dst + job * plane
                    for i in 0..<plane { to[i] = from[i] * sc + tc }
                }
            }
            n = x.count
        }
        return [Tensor(shape: x.shape, floats: v)]
    }
}
