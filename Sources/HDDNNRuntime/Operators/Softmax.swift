import Foundation

/// ONNX `Softmax` and `LogSoftmax`.
///
/// Before opset 13 the input is coerced to 2-D at `axis` (default 1) and normalised over the
/// flattened trailing block; from opset 13 it is normalised along `axis` alone (default -1).
struct SoftmaxOperator: Operator {
    let name: String
    let axis: Int
    let log: Bool
    let coerceTo2D: Bool

    init(_ ctx: NodeContext, log: Bool) throws(EngineError) {
        name = ctx.opType
        self.log = log
        coerceTo2D = ctx.opset < 13
        axis = try ctx.int("axis", default: coerceTo2D ? 1 : -1)
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, name).requireFloat(name)
        let a = try Shape.axis(axis, rank: x.rank, op: name)
        let outer = Shape.count(Array(x.shape[..<a]))
        let inner: Int, length: Int
        if coerceTo2D {
            length = Shape.count(Array(x.shape[a...])); inner = 1
        } else {
            length = x.rank == 0 ? 1 : x.shape[a]; inner = Shape.count(Array(x.shape[(a + 1)...]))
        }
        var v = x.floats
        v.withUnsafeMutableBufferPointer { p in
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = p.baseAddress! + o * length * inner + i
                    var m = -Float.infinity
                    for j in 0..<length { m = max(m, base[j * inner]) }
                    if log {
                        // y = x - max - log(sum(exp(x - max))), without overwriting x first.
                        var sum: Float = 0
                        for j in 0..<length { sum += exp(base[j * inner] - m) }
                        let shift = m + Foundation.log(sum)
                        for j in 0..<length { base[j * inner] -= shift }
                    } else {
                        var sum: Float = 0
                        for j in 0..<length { let e = exp(base[j * inner] - m); base[j * inner] = e; sum += e }
                        let inv = 1 / sum
                        for j in 0..<length { base[j * inner] *= inv }
                    }
                }
            }
        }
        return [Tensor(shape: x.shape, floats: v)]
    }
}
