/// How the outcomes of independently trained models become one answer.
public enum FusionMethod: String, Codable, Sendable, CaseIterable {
    /// One model's outcome as it is.
    case single
    /// The mean of the members' class probabilities (DDNN's average pooling of device outputs).
    case average
    /// Each class's largest probability over the members, renormalised (DDNN's max pooling).
    case max
    /// A logistic regression over the members' log-probabilities, fitted on a validation set
    /// (`Stacker`): it learns how far to trust each member for each class.
    case stacker
}

/// The arithmetic of fusion, on row-major `[records x classes]` probabilities.
public enum Fusion {
    /// Row-wise softmax of logits (max-subtracted, so large logits do not overflow).
    public static func probabilities(logits: [Float], classes: Int) -> [Float] {
        precondition(classes > 0 && logits.count % classes == 0, "logits must be [N x \(classes)]")
        var out = [Float](repeating: 0, count: logits.count)
        for r in 0..<(logits.count / classes) {
            let row = logits[(r * classes)..<((r + 1) * classes)]
            let top = row.max()!
            var sum: Float = 0
            for (j, v) in row.enumerated() { let e = expf(v - top); out[r * classes + j] = e; sum += e }
            for j in 0..<classes { out[r * classes + j] /= sum }
        }
        return out
    }

    /// Fuses members' probabilities (each `[records x classes]`, members in the stacker's order).
    public static func combine(_ members: [[Float]], classes: Int, method: FusionMethod, stacker: Stacker? = nil) throws(HolisticError) -> [Float] {
        guard let first = members.first else { throw .execution("nothing to fuse: no member answered") }
        guard members.allSatisfy({ $0.count == first.count }) else {
            throw .execution("members answered different numbers of records or classes: \(members.map(\.count))")
        }
        switch method {
        case .single:
            guard members.count == 1 else { throw .execution("'single' takes one member, got \(members.count)") }
            return first
        case .average:
            var out = [Float](repeating: 0, count: first.count)
            for m in members { for i in out.indices { out[i] += m[i] } }
            let k = Float(members.count)
            return out.map { $0 / k }
        case .max:
            var out = first
            for m in members.dropFirst() { for i in out.indices { out[i] = Swift.max(out[i], m[i]) } }
            for r in 0..<(out.count / classes) {
                let range = (r * classes)..<((r + 1) * classes)
                let sum = out[range].reduce(0, +)
                for i in range { out[i] /= sum }
            }
            return out
        case .stacker:
            guard let stacker else { throw .execution("the stacker fusion needs fitted weights (hddnn holistic fit)") }
            return try stacker.predict(members, classes: classes)
        }
    }

    /// Probabilities of the coarse classes: each the sum of its fine classes' (`fineToCoarse`).
    public static func coarse(_ fine: [Float], classes: Int, fineToCoarse: [Int], coarseClasses: Int) -> [Float] {
        var out = [Float](repeating: 0, count: fine.count / classes * coarseClasses)
        for r in 0..<(fine.count / classes) {
            for j in 0..<classes { out[r * coarseClasses + fineToCoarse[j]] += fine[r * classes + j] }
        }
        return out
    }

    /// Argmax of each row.
    public static func argmax(_ p: [Float], classes: Int) -> [Int] {
        (0..<(p.count / classes)).map { r in
            let row = p[(r * classes)..<((r + 1) * classes)]
            return row.indices.max { row[$0] < row[$1] }! - r * classes
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
