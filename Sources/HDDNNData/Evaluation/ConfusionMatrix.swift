/// Counts of (true label, predicted label) pairs, and the accuracies derived from them.
///
/// Plain accuracy is `trace / total`. Macro accuracy is the mean over classes of per-class
/// recall, `(1/K) * sum_k C[k][k] / sum_j C[k][j]` over the K classes present: Fashion-MNIST's
/// coarse classes are unbalanced (tops are 40% of the test set, bags 10%), so plain accuracy
/// alone would hide a weak minority class. This is what training/train.py's `metrics` computes.
public struct ConfusionMatrix: Sendable, Equatable {
    public let labels: [String]
    /// `counts[truth][predicted]`.
    public private(set) var counts: [[Int]]

    public init(labels: [String]) {
        self.labels = labels
        counts = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
    }

    public mutating func add(truth: Int, predicted: Int) {
        counts[truth][predicted] += 1
    }

    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { labels.indices.reduce(0) { $0 + counts[$1][$1] } }
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Samples whose true label is `k`.
    public func support(_ k: Int) -> Int { counts[k].reduce(0, +) }

    /// Share of class `k`'s samples predicted as `k`; nil when the class has no samples.
    public func recall(_ k: Int) -> Double? {
        let n = support(k)
        return n == 0 ? nil : Double(counts[k][k]) / Double(n)
    }

    /// Mean recall over the classes that have samples.
    public var macroAccuracy: Double {
        let recalls = labels.indices.compactMap(recall)
        return recalls.isEmpty ? 0 : recalls.reduce(0, +) / Double(recalls.count)
    }

    /// The same predictions one level up: both the truth and the prediction go through
    /// `mapping` (a taxonomy's `fineToCoarse`), which is how a fine model's coarse accuracy is
    /// defined, so fine and coarse models can be compared on coarse labels.
    public func mapped(through mapping: [Int], labels coarse: [String]) -> ConfusionMatrix {
        var out = ConfusionMatrix(labels: coarse)
        for t in labels.indices {
            for p in labels.indices where counts[t][p] > 0 { out.counts[mapping[t]][mapping[p]] += counts[t][p] }
        }
        return out
    }

    /// The `limit` most frequent mistakes, largest first: (true label, predicted label, count).
    public func topConfusions(_ limit: Int) -> [(truth: String, predicted: String, count: Int)] {
        var pairs = [(truth: String, predicted: String, count: Int)]()
        for t in labels.indices {
            for p in labels.indices where t != p && counts[t][p] > 0 { pairs.append((labels[t], labels[p], counts[t][p])) }
        }
        return Array(pairs.sorted { $0.count != $1.count ? $0.count > $1.count : ($0.truth, $0.predicted) < ($1.truth, $1.predicted) }.prefix(limit))
    }
}
