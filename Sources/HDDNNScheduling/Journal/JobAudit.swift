/// The promise every job makes, checked from the journal's rows rather than from the run's own
/// counters: every task ends with exactly one final result (a fine label, or the coarse label
/// with the reason it is final) or is counted lost with its reason; no task is left half-way,
/// and no second final result was ever offered for a task (`duplicates`).
public struct JobAudit: Sendable, Codable, Equatable {
    public var tasks: Int
    /// Tasks whose final result is a fine label (from one node, or escalated).
    public var fine: Int
    /// Tasks whose final result is the coarse label, by reason.
    public var coarseFinal: Int
    /// Lost tasks and why.
    public var lost: [Lost]
    /// Tasks that ended neither done nor lost (the invariant broken).
    public var unfinished: [Int]
    /// Done tasks whose row lacks what a final result needs (coarse labels of the task's size,
    /// a label source, fine labels of the task's size when the source is fine).
    public var malformed: [Int]
    /// Second final results the journal refused.
    public var duplicates: Int

    public struct Lost: Sendable, Codable, Equatable {
        public var task: Int
        public var firstImage: Int
        public var count: Int
        public var reason: LossReason?
    }

    public init(rows: [Journal.TaskRow], duplicates: Int) {
        tasks = rows.count
        self.duplicates = duplicates
        var fine = 0, coarse = 0
        var lost: [Lost] = [], unfinished: [Int] = [], malformed: [Int] = []
        for r in rows {
            switch r.state {
            case .pending, .coarse:
                unfinished.append(r.index)
            case .lost:
                lost.append(Lost(task: r.index, firstImage: r.firstImage, count: r.count, reason: r.lossReason))
            case .done:
                guard let source = r.labelSource, r.coarse?.count == r.count, !source.isFine || r.fine?.count == r.count else {
                    malformed.append(r.index)
                    continue
                }
                if source.isFine { fine += 1 } else { coarse += 1 }
            }
        }
        self.fine = fine
        self.coarseFinal = coarse
        self.lost = lost
        self.unfinished = unfinished
        self.malformed = malformed
    }

    /// Every task done exactly once or lost with a reason.
    public var holds: Bool {
        unfinished.isEmpty && malformed.isEmpty && duplicates == 0 && lost.allSatisfy { $0.reason != nil }
    }

    /// What broke, in words (empty when `holds`).
    public var violations: [String] {
        var v: [String] = []
        if !unfinished.isEmpty { v.append("tasks \(unfinished.map(String.init).joined(separator: ", ")) ended without a final result") }
        if !malformed.isEmpty { v.append("tasks \(malformed.map(String.init).joined(separator: ", ")) are done without complete labels") }
        if duplicates > 0 { v.append("\(duplicates) second final result(s) were offered") }
        let unexplained = lost.filter { $0.reason == nil }.map(\.task)
        if !unexplained.isEmpty { v.append("lost tasks \(unexplained.map(String.init).joined(separator: ", ")) have no reason") }
        return v
    }
}
