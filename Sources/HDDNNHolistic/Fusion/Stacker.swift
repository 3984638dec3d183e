#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A learned fusion: multinomial logistic regression from the members' log-probabilities
/// (standardised) to the classes, fitted by full-batch gradient descent with L2 on outcomes
/// only -- the members' answers on a validation set and its labels, never their inputs. DDNN and
/// stacked generalisation (Wolpert 1992) in one small, deterministic fit.
public struct Stacker: Codable, Sendable, Equatable {
    /// Per-feature mean and std of the fit set's features (K members x C classes).
    public var mean: [Float]
    public var std: [Float]
    /// `[features x classes]`, row-major, and the class biases.
    public var weights: [Float]
    public var bias: [Float]
    public var classes: Int

    /// Log-probabilities below this are clipped (a member's 0 would be minus infinity).
    static let floor: Float = -16

    static func features(_ members: [[Float]], classes: Int) -> (values: [Float], count: Int) {
        let records = members[0].count / classes
        let width = members.count * classes
        var x = [Float](repeating: 0, count: records * width)
        for (k, m) in members.enumerated() {
            for r in 0..<records {
                for j in 0..<classes { x[r * width + k * classes + j] = Swift.max(Self.floor, logf(m[r * classes + j])) }
            }
        }
        return (x, width)
    }

    /// Fits on members' probabilities (each `[records x classes]`) and the true classes.
    public static func fit(_ members: [[Float]], labels: [Int], classes: Int, iterations: Int = 400,
                           learningRate: Float = 0.5, l2: Float = 1e-3) -> Stacker {
        var (x, width) = features(members, classes: classes)
        let n = labels.count
        var mean = [Float](repeating: 0, count: width), std = [Float](repeating: 0, count: width)
        for r in 0..<n { for f in 0..<width { mean[f] += x[r * width + f] } }
        mean = mean.map { $0 / Float(n) }
        for r in 0..<n { for f in 0..<width { let d = x[r * width + f] - mean[f]; std[f] += d * d } }
        std = std.map { Swift.max(1e-4, ($0 / Float(n)).squareRoot()) }
        for r in 0..<n { for f in 0..<width { x[r * width + f] = (x[r * width + f] - mean[f]) / std[f] } }

        var w = [Float](repeating: 0, count: width * classes), b = [Float](repeating: 0, count: classes)
        var p = [Float](repeating: 0, count: classes)
        for _ in 0..<iterations {
            var gw = [Float](repeating: 0, count: width * classes), gb = [Float](repeating: 0, count: classes)
            for r in 0..<n {
                logits(x, row: r, width: width, w, b, classes: classes, into: &p)
                p[labels[r]] -= 1
                for j in 0..<classes { gb[j] += p[j] }
                for f in 0..<width {
                    let v = x[r * width + f]
                    if v == 0 { continue }
                    for j in 0..<classes { gw[f * classes + j] += v * p[j] }
                }
            }
            let scale = learningRate / Float(n)
            for i in w.indices { w[i] -= scale * gw[i] + learningRate * l2 * w[i] }
            for j in 0..<classes { b[j] -= scale * gb[j] }
        }
        return Stacker(mean: mean, std: std, weights: w, bias: b, classes: classes)
    }

    /// Softmax of the linear model for row `r` of standardised features.
    private static func logits(_ x: [Float], row r: Int, width: Int, _ w: [Float], _ b: [Float], classes: Int, into p: inout [Float]) {
        for j in 0..<classes { p[j] = b[j] }
        for f in 0..<width {
            let v = x[r * width + f]
            for j in 0..<classes { p[j] += v * w[f * classes + j] }
        }
        let top = p.max()!
        var sum: Float = 0
        for j in 0..<classes { p[j] = expf(p[j] - top); sum += p[j] }
        for j in 0..<classes { p[j] /= sum }
    }

    /// Fused probabilities for members' probabilities, in the order the stacker was fitted on.
    public func predict(_ members: [[Float]], classes: Int) throws(HolisticError) -> [Float] {
        var (x, width) = Self.features(members, classes: classes)
        guard classes == self.classes, width == mean.count else {
            throw .execution("the stacker was fitted on \(mean.count / self.classes) members of \(self.classes) classes, got \(members.count) of \(classes)")
        }
        let n = x.count / width
        for r in 0..<n { for f in 0..<width { x[r * width + f] = (x[r * width + f] - mean[f]) / std[f] } }
        var out = [Float](repeating: 0, count: n * classes)
        var p = [Float](repeating: 0, count: classes)
        for r in 0..<n {
            Self.logits(x, row: r, width: width, weights, bias, classes: classes, into: &p)
            for j in 0..<classes { out[r * classes + j] = p[j] }
        }
        return out
    }
}
