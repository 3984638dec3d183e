import Foundation
import HDDNNExperiments
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
        #expect(PaperExperiment.allCases.map(\.rawValue) == ["table1", "table2", "scaling", "schedulers", "table4", "table5", "faults", "deadline"])
        #expect(PaperExperiment.allCases.allSatisfy { !$0.summary.isEmpty })
    }
}
