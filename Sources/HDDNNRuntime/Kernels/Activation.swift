import Foundation

/// Pointwise activations: the ONNX operators of that name, and the epilogue a convolution or GEMM
/// can apply to its output while it is still in cache (fusion is the planner's business).
public enum Activation: Sendable, Equatable {
    case identity
    case relu
    case leakyRelu(alpha: Float)
    case clip(min: Float, max: Float)
    case sigmoid
    case tanh
    case hardSigmoid(alpha: Float, beta: Float)
    case hardSwish

    /// Applies the activation to `count` floats in place.
    @inlinable
    public func apply(_ p: UnsafeMutablePointer<Float>, count: Int) {
        if self == .identity { return }
        apply(from: p, to: p, count: count)
    }

    /// `to[i] = activation(from[i])` for `count` floats (`to` may be `from`).
    @inlinable
    public func apply(from src: UnsafePointer<Float>, to p: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .identity:
            if UnsafePointer(p) != src { p.update(from: src, count: count) }
        case .relu:
            for i in 0..<count { p[i] = Swift.max(src[i], 0) }
        case .leakyRelu(let alpha):
            for i in 0..<count { let x = src[i]; p[i] = x < 0 ? alpha * x : x }
        case .clip(let lo, let hi):
            for i in 0..<count { p[i] = Swift.min(Swift.max(src[i], lo), hi) }
        case .sigmoid:
            for i in 0..<count { p[i] = Activation.sigmoid(src[i]) }
        case .tanh:
            for i in 0..<count { p[i] = Foundation.tanh(src[i]) }
        case .hardSigmoid(let alpha, let beta):
            for i in 0..<count { p[i] = Swift.max(0, Swift.min(1, alpha * src[i] + beta)) }
        case .hardSwish:
            for i in 0..<count { let x = src[i]; p[i] = x * Swift.max(0, Swift.min(1, x / 6 + 0.5)) }
        }
    }

    /// Numerically stable logistic function (no overflow for large |x|).
    @inlinable
    static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + exp(-x)) }
        let e = exp(x)
        return e / (1 + e)
    }
}
