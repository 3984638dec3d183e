import HDDNNCluster
import HDDNNData

/// What the planner decided for a query: which models on which nodes, fused how, expected to
/// score what (on the validation set) and to take how long; and the alternatives it weighed.
public struct Plan: Codable, Sendable {
    public var members: [Placement]
    /// Under a deadline, one more model on a node the members do not use, asked at the same
    /// time: if a member misses the deadline, the answer falls back to what did come in.
    public var hedge: Placement?
    public var fusion: FusionTable.Entry
    /// Predicted seconds until every member has answered.
    public var predicted: Double
    public var alternatives: [Alternative]

    public struct Alternative: Codable, Sendable, Equatable {
        public var fusion: String
        public var validation: FusionTable.Score?
        public var predictedMs: Double
        public var fits: Bool

        enum CodingKeys: String, CodingKey {
            case fusion, validation, fits
            case predictedMs = "predicted_ms"
        }
    }
}

/// Turns a query into a plan from the catalogue's registrations: finds the models whose cards
/// answer it, the nodes that hold what they read, places each (`Placer`), and picks the fusion
/// with the best validation score among those predicted to finish by the deadline. Every refusal
/// says what is missing (`PlanError`).
public struct Planner: Sendable {
    public var placer: Placer
    public var table: FusionTable?
    /// A plan fits a deadline when its prediction times this factor does: measured latencies
    /// scatter around the prediction (a shared CPU, emulated waits), docs/holistic.md.
    public var safety: Double

    public init(placer: Placer, table: FusionTable?, safety: Double = 1.15) {
        self.placer = placer
        self.table = table
        self.safety = safety
    }

    public func plan(_ query: Query) throws(PlanError) -> Plan {
        guard !query.records.isEmpty else { throw .noRecords }
        var offers: [String: ServiceNodeInfo.Offer] = [:]
        for node in placer.nodes { for o in node.services where o.card.semantics != nil { offers[o.model] = offers[o.model] ?? o } }
        let bySubject = offers.values.filter { $0.card.semantics!.subject == query.subject }
        guard !bySubject.isEmpty else {
            throw .unknownSubject(query.subject, known: Set(offers.values.map { $0.card.semantics!.subject }).sorted())
        }
        var answering = bySubject.filter { $0.card.semantics!.answers == query.answers }
        guard !answering.isEmpty else {
            throw .noAnswer(subject: query.subject, answers: query.answers, known: Set(bySubject.map { $0.card.semantics!.answers }).sorted())
        }
        for level in query.levels ?? [] {
            // A fine-level model with a taxonomy also answers the coarse level (its groups' sums).
            let gives = { (o: ServiceNodeInfo.Offer) in o.card.output.level == level || (level == .coarse && o.card.taxonomy != nil) }
            guard answering.contains(where: gives) else {
                throw .levelUnavailable(level: level.rawValue, answers: query.answers,
                                        available: Set(answering.map { $0.card.output.level.rawValue }).sorted())
            }
            answering = answering.filter(gives)
        }
        if let wanted = query.models {
            let unknown = wanted.filter { w in !answering.contains { $0.model == w } }
            guard unknown.isEmpty else { throw .unknownModels(unknown, candidates: answering.map(\.model).sorted()) }
            answering = answering.filter { wanted.contains($0.model) }
        }

        // Where each model can run.
        let n = query.records.count
        let policy = query.placement ?? .optimal
        var placed: [String: Placement] = [:]
        var missing: [String] = [], refused: [String] = []
        for offer in answering.sorted(by: { $0.model < $1.model }) {
            if placer.holders(of: offer).isEmpty {
                missing.append("\(offer.model) reads \(offer.card.semantics!.inputDescription)")
                continue
            }
            if let p = placer.place(model: offer.model, records: n, policy: policy) { placed[offer.model] = p } else {
                refused += placer.options(model: offer.model, records: n).refused
            }
        }
        guard !placed.isEmpty else {
            if refused.isEmpty { throw .noHolder(missing: missing) }
            throw .noPermittedPlacement(reasons: refused)
        }

        // The fusions those models make, fitted ones first; without a table, each model alone and
        // the average of all.
        var candidates = (table?.entries(subject: query.subject, answers: query.answers) ?? [])
            .filter { $0.members.allSatisfy { placed[$0] != nil } }
        if candidates.isEmpty {
            let names = placed.keys.sorted()
            candidates = names.map { FusionTable.Entry(subject: query.subject, answers: query.answers, members: [$0], method: .single,
                                                      validation: .init(records: 0, accuracy: 0), stacker: nil) }
            if names.count > 1 {
                candidates.append(.init(subject: query.subject, answers: query.answers, members: names, method: .average,
                                        validation: .init(records: 0, accuracy: 0), stacker: nil))
            }
        }
        if let method = query.fusion {
            let matching = candidates.filter { $0.method == method }
            guard !matching.isEmpty else { throw .fusionUnavailable(method.rawValue, available: candidates.map(\.name)) }
            candidates = matching
        }

        let deadline = query.deadlineMs.map { $0 / 1000 / safety }
        let scored = candidates.map { entry in
            let members = place(entry.members, records: n, policy: policy, alone: placed)
            return (entry: entry, members: members, predicted: Self.predict(members))
        }
        let feasible = scored.filter { deadline == nil || $0.predicted <= deadline! }
        // Best validation score; without fitted scores, the most members (more evidence); then the fastest.
        guard let best = feasible.max(by: { a, b in
            if a.entry.validation.rank != b.entry.validation.rank { return a.entry.validation.rank < b.entry.validation.rank }
            if a.entry.members.count != b.entry.members.count { return a.entry.members.count < b.entry.members.count }
            return a.predicted > b.predicted
        }) else {
            let fastest = scored.min { $0.predicted < $1.predicted }!
            throw .deadlineUnreachable(deadlineMs: query.deadlineMs!, fastest: fastest.entry.name, fastestMs: fastest.predicted * safety * 1000)
        }
        let alternatives = scored.sorted { $0.entry.validation.rank > $1.entry.validation.rank }.map {
            Plan.Alternative(fusion: $0.entry.name, validation: $0.entry.validation.records > 0 ? $0.entry.validation : nil,
                             predictedMs: $0.predicted * 1000, fits: deadline == nil || $0.predicted <= deadline!)
        }
        var hedge: Placement?
        if let deadline {
            let busy = Set(best.members.map(\.runAt))
            hedge = scored.filter { $0.entry.method == .single && !best.entry.members.contains($0.entry.members[0]) }
                .sorted { $0.entry.validation.rank > $1.entry.validation.rank }
                .lazy.compactMap { single in
                    self.placer.options(model: single.entry.members[0], records: n).permitted
                        .filter { !busy.contains($0.runAt) && $0.predicted <= deadline }
                        .min { $0.predicted < $1.predicted }
                }.first
        }
        return Plan(members: best.members, hedge: hedge, fusion: best.entry, predicted: best.predicted, alternatives: alternatives)
    }

    /// A fusion's members placed together: under `optimal`, the most expensive first, each where
    /// the query as a whole finishes soonest (two members on one node queue); the naive rules
    /// place each member on its own.
    func place(_ members: [String], records n: Int, policy: PlacementPolicy, alone: [String: Placement]) -> [Placement] {
        guard policy == .optimal, members.count > 1 else { return members.map { alone[$0]! } }
        var chosen: [Placement] = []
        for name in members.sorted(by: { alone[$0]!.compute > alone[$1]!.compute }) {
            chosen.append(placer.place(model: name, records: n, policy: .optimal, alongside: chosen) ?? alone[name]!)
        }
        return members.map { name in chosen.first { $0.model == name }! }
    }

    /// Members run in parallel on different nodes; members on the same node queue behind each
    /// other (one model at a time per node), so a node's compute adds up.
    static func predict(_ members: [Placement]) -> Double {
        var busy: [String: Double] = [:]
        for m in members { busy[m.runAt, default: 0] += m.compute }
        return members.map { $0.request + $0.forward + busy[$0.runAt]! + $0.answer + $0.overhead }.max() ?? 0
    }
}
