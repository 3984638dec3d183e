import Foundation
import HDDNNCluster

/// Fits and measures fusions from outcomes gathered through the catalogue: each model answers
/// the labelled records where its data lives, then every subset of the models is fused every way
/// (`FusionMethod`) and scored. Only outcomes and labels are used -- what the vision paper calls
/// sharing outcomes, not data.
public struct FusionFitter: Sendable {
    public var catalog: Catalog
    /// Records per query (a node runs a query's records as one batch).
    public var chunk: Int

    public init(catalog: Catalog, chunk: Int = 500) {
        self.catalog = catalog
        self.chunk = chunk
    }

    /// Each model's class probabilities on `records`, asked at the data (`at-data`, one model per query).
    public func outcomes(of models: [String], on records: LabeledRecords,
                         progress: (@Sendable (String) -> Void)? = nil) async throws(HolisticError) -> [String: [Float]] {
        var result: [String: [Float]] = [:]
        for model in models {
            var probabilities: [Float] = []
            for start in stride(from: 0, to: records.ids.count, by: chunk) {
                let ids = Array(records.ids[start..<min(start + chunk, records.ids.count)])
                let answer = try await catalog.answer(Query(subject: records.subject, answers: records.answers, records: ids,
                                                            partition: records.partition, fusion: .single, models: [model],
                                                            placement: .atData))
                probabilities += answer.results.flatMap { $0.probabilities.map(Float.init) }
            }
            result[model] = probabilities
            progress?("\(model): \(records.ids.count) \(records.split) records answered")
        }
        return result
    }

    /// Every subset of `outcomes`' models, each way, fitted (stackers) on these outcomes and scored on them.
    public static func fit(_ outcomes: [String: [Float]], labels: [Int], classes: Int, subject: String, answers: String) -> [FusionTable.Entry] {
        let names = outcomes.keys.sorted()
        var entries: [FusionTable.Entry] = []
        for mask in 1..<(1 << names.count) {
            let members = names.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element)
            let inputs = members.map { outcomes[$0]! }
            let methods: [FusionMethod] = members.count == 1 ? [.single] : [.average, .max, .stacker]
            for method in methods {
                let stacker = method == .stacker ? Stacker.fit(inputs, labels: labels, classes: classes) : nil
                guard let fused = try? Fusion.combine(inputs, classes: classes, method: method, stacker: stacker) else { continue }
                entries.append(.init(subject: subject, answers: answers, members: members, method: method,
                                     validation: .measure(fused, labels: labels, classes: classes), stacker: stacker))
            }
        }
        return entries
    }

    /// Scores of the table's fusions on other records' outcomes (the test set).
    public static func score(_ entries: [FusionTable.Entry], outcomes: [String: [Float]], labels: [Int], classes: Int) -> [(FusionTable.Entry, FusionTable.Score)] {
        entries.compactMap { e in
            guard let fused = try? Fusion.combine(e.members.map { outcomes[$0]! }, classes: classes, method: e.method, stacker: e.stacker) else { return nil }
            return (e, .measure(fused, labels: labels, classes: classes))
        }
    }
}
