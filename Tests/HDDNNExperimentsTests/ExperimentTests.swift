import Foundation
import HDDNNExperiments
import HDDNNTestSupport
import Testing

/// The experiment harness writes what the report script reads. Table 4 runs in process (no
/// nodes), so it is the one run here; the others start clusters and belong to `make paper`.
@Suite struct ExperimentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func table4WritesTheSplitOfEveryUpperModel() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hddnn-exp-\(UUID().uuidString.prefix(8))")
        let ctx = ExperimentContext(
            executable: URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hddnn"),
            models: Self.root.appendingPathComponent("models"), dataDirectory: "/usr/share/datasets/fashion-mnist",
            output: out, full: false, log: { _ in })
        let url = try await PaperExperiment.table4.run(ctx)
        #expect(url.lastPathComponent == "table4.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let rows = try #require(json["rows"] as? [[String: Any]])
        let shipped = rows.filter { ["edge-resnet", "cloud-wrn"].contains($0["model"] as? String) }
        #expect(shipped.count == 2)
        for row in shipped {
            #expect(row["cutShape"] as? [Int] == [16, 28, 28])
            #expect(row["rawBytesPerImage"] as? Int == 784)
            #expect(row["splitBytesPerImage"] as? Int == 16 * 28 * 28 * 4)
            #expect(row["splitBytesPerTask"] as? Int == 50 * 16 * 28 * 28 * 4)
        }
    }

    @Test func everyExperimentIsNamedAndDescribed() {
        #expect(PaperExperiment.allCases.map(\.rawValue) == ["table1", "table2", "scaling", "schedulers", "escalation", "table4", "table5", "faults", "deadline"])
        #expect(PaperExperiment.allCases.allSatisfy { !$0.summary.isEmpty })
    }
}

/// The short chaos run of `make test` (`bench/chaos` runs hundreds): seeded kills of any nodes,
/// restarts, a node killed twice, and a coordinator killed and resumed, each judged from its journal.
@Suite struct ChaosTests {
    @Test func noResultIsLostUnderSeededChaos() async throws {
        let ctx = ExperimentContext(executable: Repository.hddnn, models: Repository.models, dataDirectory: Repository.fashionMNIST,
                                    output: try Repository.workspace("chaos"), full: false, log: { _ in })
        let chaos = ChaosExperiment(runs: 8, seed: 2026, images: 300, batch: 25, coordinatorEvery: 4)
        let result = try await chaos.run(ctx)
        for run in result.runs where !run.passed {
            Issue.record("run \(run.index) (\(run.scheme), \(run.policy), \(run.faults.joined(separator: " "))): \(run.violations.joined(separator: "; "))")
        }
        #expect(result.totalRuns == 8 && result.coordinatorRuns == 2)
        #expect(result.coordinatorKills >= 1, "a coordinator was killed mid-job and its job resumed")
        #expect(result.kills > 0, "the seed must kill something")
        #expect(result.lost == 0 && result.duplicates == 0 && result.tasks == 8 * 12)
        #expect(Set(result.runs.map(\.policy)) == ["reassign", "monitor"])
    }
}
