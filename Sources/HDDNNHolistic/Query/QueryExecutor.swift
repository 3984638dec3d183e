import Foundation
import HDDNNCluster
import HDDNNData

/// Runs a plan over real nodes: asks each member's holder for its outcome on the named records
/// (in parallel, each placed where the plan says), waits until all answer or the deadline, fuses
/// what came back and says how. A member that misses the deadline or fails is left out and the
/// best fitted fusion of those that answered is used instead, with a note: late is worse than
/// less accurate, and no query is lost to one slow node.
public struct QueryExecutor: Sendable {
    public var client: NodeClient
    public var nodes: [ServiceNodeInfo]
    public var table: FusionTable?

    public init(client: NodeClient, nodes: [ServiceNodeInfo], table: FusionTable?) {
        self.client = client
        self.nodes = nodes
        self.table = table
    }

    struct Outcome: Sendable {
        var placement: Placement
        var probabilities: [Float]?
        var member: QueryAnswer.Member
    }

    public func execute(_ query: Query, plan: Plan, id: String = UUID().uuidString) async throws(HolisticError) -> QueryAnswer {
        let started = ContinuousClock.now
        let timeout = query.deadlineMs.map { $0 / 1000 } ?? client.topology.defaults.requestTimeout
        let outcomes = await withTaskGroup(of: Outcome.self) { group in
            for placement in plan.members + (plan.hedge.map { [$0] } ?? []) {
                group.addTask { await self.ask(placement, query: query, id: id, timeout: timeout) }
            }
            var all: [Outcome] = []
            for await o in group { all.append(o) }
            return all.sorted { $0.placement.model < $1.placement.model }
        }
        let answered = outcomes.filter { $0.probabilities != nil }
        let answeredNames = Set(answered.map(\.placement.model))

        // The planned fusion when every member answered, else the best fitted one of those that did.
        var fusion = plan.fusion
        var note: String?
        if !Set(fusion.members).isSubset(of: answeredNames) {
            let missing = outcomes.filter { $0.probabilities == nil }.map { "\($0.placement.model) (\($0.member.error ?? "no answer"))" }
            let fallback = (table?.entries(subject: query.subject, answers: query.answers) ?? [])
                .filter { Set($0.members).isSubset(of: answeredNames) && (query.fusion == nil || $0.method == query.fusion) }
                .max { $0.validation.rank < $1.validation.rank }
            if let fallback {
                fusion = fallback
            } else if !answered.isEmpty {
                let names = answered.map(\.placement.model)
                fusion = .init(subject: query.subject, answers: query.answers, members: names,
                               method: names.count == 1 ? .single : .average, validation: .init(records: 0, accuracy: 0))
            } else {
                throw .execution("no model answered: \(missing.joined(separator: "; "))")
            }
            note = "planned \(plan.fusion.name); used \(fusion.name) because \(missing.joined(separator: ", ")) did not answer in time"
        } else if let hedge = plan.hedge {
            note = "\(hedge.model) at \(hedge.runAt) was asked as a hedge against the deadline and not needed"
        }

        let card = nodes.lazy.compactMap { $0.offer(fusion.members[0])?.card }.first!
        let classes = card.output.labels.count
        let inputs = fusion.members.map { name in answered.first { $0.placement.model == name }!.probabilities! }
        let fused = try Fusion.combine(inputs, classes: classes, method: fusion.method, stacker: fusion.stacker)
        let results = Self.results(fused, records: query.records, card: card, levels: query.levels)
        var members = outcomes.map(\.member)
        for i in members.indices { members[i].used = fusion.members.contains(members[i].model) }
        let measured = (ContinuousClock.now - started).seconds * 1000
        return QueryAnswer(
            query: id, subject: query.subject, answers: query.answers, results: results,
            provenance: .init(fusion: fusion.name, method: fusion.method,
                              validation: fusion.validation.records > 0 ? fusion.validation : nil, members: members,
                              predictedMs: plan.predicted * 1000, measuredMs: measured, deadlineMs: query.deadlineMs,
                              deadlineMet: query.deadlineMs.map { measured <= $0 }, note: note, alternatives: plan.alternatives))
    }

    /// One member's exchange with its holder.
    private func ask(_ placement: Placement, query: Query, id: String, timeout: Double) async -> Outcome {
        var member = QueryAnswer.Member(model: placement.model, holder: placement.holder, runAt: placement.runAt, mode: placement.mode,
                                        used: false, predictedMs: placement.predicted * 1000, path: [])
        guard let holder = nodes.first(where: { $0.name == placement.holder }),
              let spec = try? client.topology.node(holder.name) else {
            member.error = "holder \(placement.holder) is not in the topology"
            return Outcome(placement: placement, probabilities: nil, member: member)
        }
        let metadata = TaskMetadata(taskID: "\(id)/\(placement.model)", source: HolisticConfig.catalogName)
        var parameters: Parameters = [ServiceParameter.partition: .string(query.partition ?? "test")]
        if placement.runAt != placement.holder { parameters[ServiceParameter.runAt] = .string(placement.runAt) }
        let ids = WireTensor(name: ServiceParameter.recordIDs, shape: [query.records.count], payload: .int64(query.records))
        do {
            let exchange = try await client.infer(node: spec, model: placement.model, inputs: [ids], metadata: metadata,
                                                  parameters: parameters, timeout: timeout)
            guard let logits = exchange.outputs.first, case .fp32(let values) = logits.payload, logits.shape.count == 2,
                  logits.shape[0] == query.records.count else {
                member.error = "answered no [N, classes] FP32 output"
                return Outcome(placement: placement, probabilities: nil, member: member)
            }
            member.wallMs = exchange.seconds * 1000
            member.path = exchange.metadata?.path ?? []
            member.computeMs = member.path.compactMap(\.compute).reduce(0, +) * 1000
            member.bytes = exchange.requestBytes + exchange.responseBytes + (exchange.metadata?.bytesSent ?? 0)
            return Outcome(placement: placement, probabilities: Fusion.probabilities(logits: values, classes: logits.shape[1]), member: member)
        } catch {
            member.error = "\(error)"
            return Outcome(placement: placement, probabilities: nil, member: member)
        }
    }

    /// Labels and confidences per record at the levels asked for.
    static func results(_ p: [Float], records: [Int64], card: ModelCard, levels: [LabelLevel]?) -> [QueryAnswer.Result] {
        let classes = card.output.labels.count
        let own = card.output.level
        let wanted = levels ?? (card.taxonomy != nil && own == .fine ? [.coarse, .fine] : [own])
        let fine = Fusion.argmax(p, classes: classes)
        var coarseP: [Float]?, coarseN = 0
        if let t = card.taxonomy, own == .fine, wanted.contains(.coarse) {
            coarseN = t.coarseLabels.count
            coarseP = Fusion.coarse(p, classes: classes, fineToCoarse: t.fineToCoarse, coarseClasses: coarseN)
        }
        let coarse = coarseP.map { Fusion.argmax($0, classes: coarseN) }
        return records.enumerated().map { r, record in
            var labels: [String: String] = [:], confidence: [String: Double] = [:]
            // Levels belong to a taxonomy; a model without one gives its answer as "label".
            let key = card.taxonomy == nil ? "label" : own.rawValue
            if wanted.contains(own) {
                labels[key] = card.output.labels[fine[r]]
                confidence[key] = Double(p[r * classes + fine[r]])
            }
            if let coarse, let coarseP, let t = card.taxonomy {
                labels["coarse"] = t.coarseLabels[coarse[r]]
                confidence["coarse"] = Double(coarseP[r * coarseN + coarse[r]])
            }
            return .init(record: record, labels: labels, confidence: confidence,
                         probabilities: p[(r * classes)..<((r + 1) * classes)].map(Double.init))
        }
    }
}
