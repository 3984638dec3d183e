import Foundation

/// Every fusion fitted and measured on a validation set (`hddnn holistic fit` writes
/// `models/holistic/fusions.json`): which members, which method, how well it did, and the
/// stacker's weights. The planner chooses among these: the best score whose predicted time fits
/// the query's deadline (the vision paper's "trading accuracy for time").
public struct FusionTable: Codable, Sendable, Equatable {
    /// How the table was made (command, validation records).
    public var fitted: String
    public var entries: [Entry]

    public struct Entry: Codable, Sendable, Equatable {
        public var subject: String
        public var answers: String
        /// Member model names, in the order the stacker takes them (sorted).
        public var members: [String]
        public var method: FusionMethod
        public var validation: Score
        public var stacker: Stacker?

        public init(subject: String, answers: String, members: [String], method: FusionMethod, validation: Score, stacker: Stacker? = nil) {
            self.subject = subject
            self.answers = answers
            self.members = members
            self.method = method
            self.validation = validation
            self.stacker = stacker
        }

        public var name: String { method == .single ? members[0] : "\(method.rawValue)(\(members.joined(separator: ", ")))" }
    }

    /// How well a model or fusion did on some records.
    public struct Score: Codable, Sendable, Equatable {
        public var records: Int
        public var accuracy: Double
        /// Two-class answers: the area under the ROC curve of the second class.
        public var auc: Double?

        /// What the planner ranks by: AUC when there is one (the trial's outcome is imbalanced,
        /// so accuracy flatters the majority class), else accuracy.
        public var rank: Double { auc ?? accuracy }

        public init(records: Int, accuracy: Double, auc: Double? = nil) {
            self.records = records
            self.accuracy = accuracy
            self.auc = auc
        }
    }

    public init(fitted: String, entries: [Entry]) {
        self.fitted = fitted
        self.entries = entries
    }

    public static func load(_ url: URL) throws(HolisticError) -> FusionTable {
        do { return try JSONDecoder().decode(FusionTable.self, from: Data(contentsOf: url)) } catch {
            throw .config("cannot read the fusion table \(url.path): \(error); `hddnn holistic fit` writes it")
        }
    }

    public func write(_ url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url)
    }

    public func entries(subject: String, answers: String) -> [Entry] {
        entries.filter { $0.subject == subject && $0.answers == answers }
    }
}

extension FusionTable.Score {
    /// Scores probabilities `[N x classes]` against labels.
    public static func measure(_ p: [Float], labels: [Int], classes: Int) -> FusionTable.Score {
        let predicted = Fusion.argmax(p, classes: classes)
        let correct = zip(predicted, labels).filter { $0 == $1 }.count
        let auc = classes == 2 ? areaUnderROC(scores: (0..<labels.count).map { Double(p[$0 * 2 + 1]) }, labels: labels) : nil
        return .init(records: labels.count, accuracy: Double(correct) / Double(max(1, labels.count)), auc: auc)
    }

    /// The rank statistic (Mann-Whitney U / (n+ n-)), ties at their mean rank.
    public static func areaUnderROC(scores: [Double], labels: [Int]) -> Double? {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var ranks = [Double](repeating: 0, count: scores.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            for k in i...j { ranks[order[k]] = Double(i + j) / 2 + 1 }
            i = j + 1
        }
        let positives = labels.filter { $0 == 1 }.count, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let sum = zip(ranks, labels).filter { $1 == 1 }.map(\.0).reduce(0, +)
        return (sum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
    }
}
