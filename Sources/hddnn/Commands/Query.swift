import ArgumentParser
import Foundation
import HDDNNData
import HDDNNHolistic

struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Ask the catalogue a question about records; get the answer and how it was made.",
        discussion: """
            The catalogue finds the models whose cards answer the question, places each where \
            latency and the privacy rule say, fuses their outcomes, and says which models on which \
            nodes contributed, with timings. A question no model can answer is refused with what is \
            missing.

            Clothing labels, coarse and fine, of test images 0-4:
              hddnn query --start --records 0-4
            The trial outcome of two patients (lab and clinic fused):
              hddnn query --start --subject actg175-patient \\
                --answers actg175-event --records 10056,10059
            The best fusion predicted to answer 100 images within 250 ms:
              hddnn query --start --records 0-99 --deadline 250ms
            Against a running catalogue (hddnn holistic catalog --start), over TLS with a token:
              TOKEN=$(hddnn token issue --subject me \\
                      --scope query:fashion-mnist-image --audience catalog)
              hddnn query --records 7 --json --token "$TOKEN"
            """)

    @Option(help: "What a record is (a model card's semantics.subject).")
    var subject = "fashion-mnist-image"

    @Option(help: "What to answer (a model card's semantics.answers).")
    var answers = "clothing-label"

    @Option(help: "Record ids: 3,17,40-49.")
    var records: String

    @Option(help: "Label levels: coarse, fine or both (default: every level the models give).")
    var levels: String?

    @Option(help: "Partition the ids count in (Fashion-MNIST: test or train).")
    var partition: String?

    @Option(help: "Answer within this time (e.g. 50ms, 2s): the best fusion predicted to fit.")
    var deadline: String?

    @Option(help: "Fusion method: single, average, max, stacker (default: the best fitted).")
    var fusion: FusionMethod?

    @Option(help: "Only these models may contribute (comma-separated).")
    var models: String?

    @Option(help: "Placement policy: optimal, at-data, fastest-node.")
    var placement: PlacementPolicy = .optimal

    @Option(help: "A running catalogue (default: where --config puts it, https://localhost:PORT under TLS).")
    var catalog: String?

    @Option(help: "The project CA to verify the catalogue with (default: the CA --config names).")
    var ca: String?

    @Option(help: "Bearer token with the scope query:<subject> (default: $HDDNN_TOKEN), from `hddnn token issue`.")
    var token: String?

    @Flag(help: "Start the catalogue and every node of --config on this machine for this query.")
    var start = false

    @OptionGroup var deployment: DeploymentOptions

    @Flag(help: "Show the plan only, do not run it.")
    var planOnly = false

    @Flag(help: "Print the answer as JSON.")
    var json = false

    func query() throws -> Query {
        var ids: [Int64] = []
        for part in records.split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1).map { Int64($0.trimmingCharacters(in: .whitespaces)) }
            guard !bounds.isEmpty, bounds.allSatisfy({ $0 != nil }), bounds.last!! >= bounds.first!! else {
                throw ValidationError("--records: '\(part)' is not an id or a range a-b")
            }
            ids += Array(bounds.first!!...bounds.last!!)
        }
        let levelList = try levels?.split(separator: ",").map { s in
            guard let l = LabelLevel(rawValue: String(s)) else { throw ValidationError("--levels: '\(s)' is not coarse or fine") }
            return l
        }
        return Query(subject: subject, answers: answers, levels: levelList, records: ids, partition: partition,
                     deadlineMs: try deadline.map { try parseSeconds($0, "--deadline") * 1000 }, fusion: fusion,
                     models: models?.split(separator: ",").map(String.init), placement: placement)
    }

    func validate() throws { _ = try query() }

    func run() async throws {
        bootstrapLogging(deployment.logLevel)
        let q = try query()
        let local = start ? try await deployment.start() : nil
        defer { if let local { Task { await local.stop() } } }
        try await SignalGuard.shared.interruptible {
            let client = try catalogClient()
            if planOnly {
                let plan: Plan
                if let local { plan = try local.catalog.plan(q) } else { plan = try await client.plan(q) }
                if json { try printJSON(plan) } else { printPlan(plan) }
                return
            }
            let answer: QueryAnswer
            if let local { answer = try await local.catalog.answer(q) } else { answer = try await client.query(q) }
            if json { try printJSON(answer) } else { printAnswer(answer) }
        }
    }

    /// The running catalogue of --catalog, or of --config's deployment.
    func catalogClient() throws -> CatalogClient {
        let config = try? HolisticConfig.load(deployment.config)
        let spec = config?.catalog
        let tls = config?.topology.tls
        let url = catalog ?? (tls != nil ? "https://localhost:\(spec?.port ?? 19400)" : "http://\(spec?.host ?? "127.0.0.1"):\(spec?.port ?? 19400)")
        return CatalogClient(baseURL: url, caCertificate: url.hasPrefix("https://") ? (ca ?? tls?.ca) : nil,
                             token: token ?? ProcessInfo.processInfo.environment["HDDNN_TOKEN"])
    }

    func printJSON<T: Encodable>(_ value: T) throws {
        print(String(decoding: try prettyJSON(value), as: UTF8.self))
    }

    func printPlan(_ plan: Plan) {
        print("plan: \(plan.fusion.name), predicted \(String(format: "%.1f", plan.predicted * 1000)) ms")
        for m in plan.members {
            print("  \(m.model): records at \(m.holder), runs at \(m.runAt) (\(m.mode.rawValue)), predicted \(String(format: "%.1f", m.predicted * 1000)) ms")
        }
        print("alternatives (validation score, predicted ms, fits the deadline):")
        for a in plan.alternatives {
            print("  " + padded(a.fusion, 50) + padded(a.validation.map { String(format: "%.4f", $0.rank) } ?? "-", 8, right: true)
                  + String(format: " %9.1f  ", a.predictedMs) + (a.fits ? "yes" : "no"))
        }
    }

    func printAnswer(_ a: QueryAnswer) {
        for r in a.results.prefix(50) {
            let labels = r.labels.keys.sorted().map { "\($0) \(r.labels[$0]!) (\(String(format: "%.2f", r.confidence[$0] ?? 0)))" }
            print("record \(r.record): \(labels.joined(separator: ", "))")
        }
        if a.results.count > 50 { print("... \(a.results.count - 50) more (--json for all)") }
        let p = a.provenance
        let score = p.validation.map { $0.auc.map { String(format: "validation AUC %.3f", $0) } ?? String(format: "validation accuracy %.4f", $0.accuracy) } ?? "no fitted score"
        print("\nanswered by \(p.fusion) (\(score)) in \(String(format: "%.1f", p.measuredMs)) ms (predicted \(String(format: "%.1f", p.predictedMs)) ms)"
              + (p.deadlineMs.map { String(format: "; deadline %.0f ms %@", $0, p.deadlineMet == true ? "met" : "missed") } ?? ""))
        for m in p.members {
            let timing = m.wallMs.map { String(format: "%.1f ms, %d bytes", $0, m.bytes ?? 0) } ?? "no answer: \(m.error ?? "")"
            print("  \(m.used ? "+" : "-") \(m.model): records at \(m.holder), ran at \(m.runAt) (\(m.mode.rawValue)), \(timing)")
        }
        if let note = p.note { print("note: \(note)") }
    }
}

extension FusionMethod: ExpressibleByArgument {}
extension PlacementPolicy: ExpressibleByArgument {}
