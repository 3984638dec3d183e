import ArgumentParser
import Foundation
import HDDNNHolistic

struct HolisticExperiment: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Placement against naive rules, and accuracy for time under deadlines, on real nodes.",
        discussion: """
            Placement: the same query (the whole-image model, then the two-view fusion) for 1 to \
            1,000 records, placed by our placer and by two naive rules (run where the data is; run \
            on the fastest permitted node), each run --runs times; median measured latency beside \
            the prediction. Deadline: one query of --records test images under deadlines from 5 ms \
            up, the fusion the planner chose, its measured latency and its accuracy on those records. \
            Needs the fusion table (hddnn holistic fit). Links and slowdowns are emulated as \
            configs/holistic.yaml says.

              hddnn holistic experiment            # about 6 minutes on 2 cores
            """)

    @OptionGroup var deployment: DeploymentOptions

    @Option(help: "Results folder.")
    var out = "docs/holistic/results"

    @Option(help: "Runs per placement cell (the median is reported).")
    var runs = 3

    @Option(help: "Run only one part: placement or deadline.")
    var only: String?

    @Option(help: "Test images in the deadline query.")
    var records = 100

    struct PlacementRow: Codable {
        var query: String
        var records: Int
        var policy: PlacementPolicy
        var placements: [String]
        var predictedMs: Double
        var measuredMs: [Double]
        var medianMs: Double
    }

    struct DeadlineRow: Codable {
        var deadlineMs: Double?
        var fusion: String?
        var validation: Double?
        var predictedMs: Double?
        var measuredMs: Double?
        var met: Bool?
        var testAccuracy: Double?
        var refused: String?
    }

    func validate() throws {
        if let only, !["placement", "deadline"].contains(only) { throw ValidationError("--only is placement or deadline") }
        if runs < 1 || records < 1 { throw ValidationError("--runs and --records must be positive") }
    }

    func run() async throws {
        bootstrapLogging(deployment.logLevel)
        let d = try await deployment.start()
        defer { Task { await d.stop() } }
        try await SignalGuard.shared.interruptible {
            guard d.catalog.table != nil else {
                throw ValidationError("no fusion table at \(d.catalog.config.fusions?.path ?? "-"); run `hddnn holistic fit` first")
            }
            var placement: [PlacementRow] = []
            let cases: [(String, [String], FusionMethod)] = [("fmnist-whole", ["fmnist-whole"], .single),
                                                             ("average(fmnist-bottom, fmnist-top)", ["fmnist-bottom", "fmnist-top"], .average)]
            if only != "deadline" { print("placement (median of \(runs) runs, ms; predicted in brackets):") }
            for (name, models, method) in cases where only != "deadline" {
                for n in [1, 10, 100, 1000] {
                    var line = "  " + padded(name, 38) + padded("\(n)", 5, right: true) + " records:"
                    for policy in PlacementPolicy.allCases {
                        let q = Query(subject: "fashion-mnist-image", answers: "clothing-label", records: (0..<Int64(n)).map { $0 },
                                      fusion: method, models: models, placement: policy)
                        var times: [Double] = []
                        var answer: QueryAnswer?
                        for _ in 0..<runs {
                            let a = try await d.catalog.answer(q)
                            times.append(a.provenance.measuredMs)
                            answer = a
                        }
                        let median = times.sorted()[times.count / 2]
                        let where_ = answer!.provenance.members.map { "\($0.model)@\($0.runAt)(\($0.mode.rawValue))" }
                        placement.append(.init(query: name, records: n, policy: policy, placements: where_,
                                               predictedMs: answer!.provenance.predictedMs, measuredMs: times, medianMs: median))
                        line += "  \(policy.rawValue) " + String(format: "%.0f [%.0f] ", median, answer!.provenance.predictedMs)
                            + where_.joined(separator: "+")
                    }
                    print(line)
                }
            }

            let labelled = try LabeledRecords.fashionMNIST(split: "test", limit: records)
            var deadlines: [DeadlineRow] = []
            if only != "placement" { print("\ndeadline (\(records) test images):") }
            for deadline in [50.0, 100, 125, 150, 175, 200, 250, 300, 400, nil] where only != "placement" {
                let q = Query(subject: "fashion-mnist-image", answers: "clothing-label", records: labelled.ids, deadlineMs: deadline)
                do {
                    let a = try await d.catalog.answer(q)
                    let correct = zip(a.results, labelled.labels).filter { r, l in r.probabilities.indices.max { r.probabilities[$0] < r.probabilities[$1] } == l }.count
                    let row = DeadlineRow(deadlineMs: deadline, fusion: a.provenance.fusion, validation: a.provenance.validation?.accuracy,
                                          predictedMs: a.provenance.predictedMs, measuredMs: a.provenance.measuredMs,
                                          met: a.provenance.deadlineMet, testAccuracy: Double(correct) / Double(labelled.ids.count))
                    deadlines.append(row)
                    print("  " + padded(deadline.map { "\(Int($0)) ms" } ?? "none", 8, right: true) + "  " + padded(a.provenance.fusion, 50)
                          + String(format: "predicted %7.1f ms, measured %7.1f ms, accuracy %.3f", row.predictedMs!, row.measuredMs!, row.testAccuracy!)
                          + (row.met == false ? " (missed)" : ""))
                } catch {
                    deadlines.append(.init(deadlineMs: deadline, refused: "\(error)"))
                    print("  \(deadline.map { "\(Int($0)) ms" } ?? "none"): refused: \(error)")
                }
            }
            struct Results: Codable { var placement: [PlacementRow]; var deadline: [DeadlineRow]; var emulated: String }
            let url = URL(fileURLWithPath: out).appendingPathComponent("experiment.json")
            try writePrettyJSON(Results(placement: placement, deadline: deadlines,
                                        emulated: "links and slowdowns of \(deployment.config)"), to: url)
            print("results: \(url.path)")
        }
    }
}
