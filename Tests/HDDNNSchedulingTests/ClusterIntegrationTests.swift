import Foundation
import HDDNNCluster
import HDDNNData
import HDDNNRuntime
import HDDNNScheduling
import Testing

/// Jobs over real `hddnn serve` processes on loopback: every scheme, the split's exactness, the
/// deadline, resuming from the journal, and wiring checked by model cards.
@Suite(.serialized) struct ClusterIntegrationTests {
    static let images = 300

    @Test(arguments: SchemeKind.allCases) func everySchemeFinishesWithNothingLost(scheme: SchemeKind) async throws {
        let cluster = try await HealthyCluster.shared.get()
        let report = try await ClusterFixture.run(cluster, JobConfiguration(scheme: scheme, images: Self.images, batch: 50, nmap: 1,
                                                                            dataDirectory: ClusterFixture.data))
        #expect(report.tasks == 6 && report.tasksLost == 0 && report.duplicateResults == 0)
        #expect((report.coarseAccuracy ?? 0) > 0.9, "coarse accuracy \(report.coarseAccuracy ?? 0)")
        #expect(report.taskRecords.allSatisfy { $0.state == .done })
        if scheme == .end {
            #expect(report.fineShare == 0 && report.fineAccuracy == nil)
        } else {
            #expect(report.fineShare == 1)
            #expect((report.fineAccuracy ?? 0) > 0.85, "fine accuracy \(report.fineAccuracy ?? 0)")
            #expect(report.fineLatency!.p50 >= report.coarseLatency!.p50, "the coarse label comes first")
        }
        // Every task's metadata shows its real path.
        for row in report.taskRecords {
            let record = try #require(row.metadata.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            let coarse = try #require(record["coarse"] as? [String: Any])
            let coarsePath = try #require(coarse["path"] as? [[String: Any]])
            #expect(coarsePath.map { $0["node"] as? String } == [row.endNode])
            if scheme != .end {
                let fine = try #require(record["fine"] as? [String: Any])
                let nodes = (fine["path"] as? [[String: Any]] ?? []).compactMap { $0["node"] as? String }
                #expect(nodes == [row.endNode!, row.upperNode!])
                // The cloud is undependable: only the split's feature maps reach it.
                #expect((fine["payload"] as? String) == (row.upperNode == "cloud" ? "split" : "raw"))
                if row.upperNode == "cloud" { #expect(fine["splitBy"] as? String == row.endNode) }
            }
        }
    }

    @Test func fineLabelsThroughTheSplitEqualTheUnsplitModel() async throws {
        let cluster = try await HealthyCluster.shared.get()
        let journal = try ClusterFixture.journal("split")
        let report = try await ClusterFixture.run(cluster, JobConfiguration(scheme: .endCloud, images: Self.images, batch: 50,
                                                                            dataDirectory: ClusterFixture.data), journal: journal)
        let expected = try ClusterFixture.wholeModelLabels("cloud-wrn.onnx", images: Self.images)
        let got = try journal.tasks(job: report.jobID).flatMap { $0.fine ?? [] }
        #expect(got == expected)
    }

    @Test func aDeadlineFallsBackToTheCoarseLabelSaidAsSuch() async throws {
        let cluster = try await HealthyCluster.shared.get()
        let report = try await ClusterFixture.run(cluster, JobConfiguration(scheme: .endCloud, images: 200, batch: 50, deadline: 0.001,
                                                                            dataDirectory: ClusterFixture.data))
        #expect(report.tasksLost == 0 && report.deadlineMisses == 4 && report.fineShare == 0)
        #expect(report.taskRecords.allSatisfy { $0.labelSource == .coarse(.deadline) })
        #expect(report.coarseAccuracy != nil)
    }

    @Test func anInterruptedJobResumesWithoutRedoingFinishedTasks() async throws {
        let cluster = try await HealthyCluster.shared.get()
        let journal = try ClusterFixture.journal("resume")
        let configuration = JobConfiguration(scheme: .endEdge, images: 200, batch: 50, dataDirectory: ClusterFixture.data)
        // A run that stopped after two tasks: the journal holds the job, two results, two pending.
        try journal.createJob(id: "job-interrupted", fingerprint: configuration.fingerprint(topology: cluster.topology),
                              configuration: "{}", tasks: [(0, 50), (50, 50), (100, 50), (150, 50)])
        for t in 0..<2 {
            try journal.recordCoarse(job: "job-interrupted", task: t, labels: Array(repeating: 0, count: 50), endNode: "end-1", latency: 0.1, attempts: 1)
            try journal.recordFinal(job: "job-interrupted", task: t, fine: Array(repeating: 7, count: 50), source: .fine, upperNode: "edge-1",
                                    fineLatency: 0.2, metadata: "{\"from\":\"before\"}")
        }
        let report = try await ClusterFixture.run(cluster, configuration, journal: journal, resume: true)
        #expect(report.resumed && report.jobID == "job-interrupted")
        let rows = try journal.tasks(job: "job-interrupted")
        #expect(rows.allSatisfy { $0.state == .done })
        #expect(rows[0].metadata == "{\"from\":\"before\"}" && rows[1].fine == Array(repeating: 7, count: 50), "finished tasks are not redone")
        #expect(rows[2].metadata?.contains("\"path\"") == true && rows[3].fine?.count == 50)
        #expect(report.duplicateResults == 0)
    }

    @Test func anUpperModelThatDoesNotRefineTheEndLabelsIsRefused() async throws {
        // A copy of the edge model whose card groups the fine classes differently.
        let dir = try ClusterFixture.workspace("wiring")
        let onnx = dir.appendingPathComponent("odd-resnet.onnx")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: ClusterFixture.models + "/edge-resnet.onnx"), to: onnx)
        var card = try ModelCard.read(from: URL(fileURLWithPath: ClusterFixture.models + "/edge-resnet.card.json"))
        card.name = "odd-resnet"
        card.file = "odd-resnet.onnx"
        let t = card.taxonomy!
        card.taxonomy = try Taxonomy(fineLabels: t.fineLabels, coarseLabels: t.coarseLabels, fineToCoarse: [1, 0, 0, 2, 0, 3, 0, 3, 4, 3])
        try JSONEncoder().encode(card).write(to: dir.appendingPathComponent("odd-resnet.card.json"))
        let cluster = try await ClusterFixture.start("wiring", nodes: [
            ("end-1", "end", "dependable", "end-mobilenet.onnx"),
            ("edge-1", "edge", "dependable", onnx.path),
        ])
        defer { cluster.stop() }
        do {
            _ = try await ClusterFixture.run(cluster, JobConfiguration(scheme: .endEdge, images: 50, dataDirectory: ClusterFixture.data))
            Issue.record("the job ran with mismatched taxonomies")
        } catch let error as JobError {
            #expect("\(error)".contains("cannot refine the coarse labels"), "\(error)")
        }
    }
}
