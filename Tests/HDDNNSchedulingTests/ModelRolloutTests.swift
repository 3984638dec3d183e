import Foundation
import HDDNNCluster
import HDDNNScheduling
import HDDNNTestSupport
import Testing

/// A new version of the cloud's model rolled out while a job runs, the way docs/distributed-system.md
/// says to: copy it in as `cloud-wrn/2/`, load it on the cloud (which keeps version 1 beside it),
/// then on the end device that cuts the split's head. No task is lost, every fine answer says
/// which version gave it, and the head and the tail of each task are of one version.
@Suite(.serialized) struct ModelRolloutTests {
    @Test func aVersionRolledOutDuringAJobLosesNoTaskAndEachAnswerSaysItsVersion() async throws {
        let folder = try ClusterFixture.workspace("rollout-models")
        let fm = FileManager.default
        for file in ["cloud-wrn.onnx", "cloud-wrn.card.json"] {
            try fm.copyItem(atPath: ClusterFixture.models + "/" + file, toPath: folder.appendingPathComponent(file).path)
        }
        let cluster = try await ClusterFixture.start("rollout", nodes: [
            ("end-1", "end", "dependable", "end-mobilenet.onnx"),
            ("cloud", "cloud", "undependable", folder.appendingPathComponent("cloud-wrn.onnx").path),
        ], timeout: "10s")  // Not a test of failure detection: with every suite's nodes on 2 cores, answers take seconds.
        let tls = try #require(cluster.topology.tls, "the fixture's topology runs TLS")
        let pki = URL(fileURLWithPath: tls.ca).deletingLastPathComponent().path
        let issued = try ProcessRunner().run("token", "issue", "--dir", pki, "--subject", "ops", "--scope", "admin", "--valid", "10m")
        try #require(issued.status == 0, "\(issued.stderr)")
        let token = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let journal = try ClusterFixture.journal("rollout")
        let job = Task {
            try await ClusterFixture.run(cluster, JobConfiguration(scheme: .endCloud, images: 500, batch: 10, dataDirectory: ClusterFixture.data),
                                         journal: journal)
        }
        // Roll out once the job is under way.
        var done = 0
        for _ in 0..<600 {
            if let id = try journal.jobs().first?.id { done = try journal.tasks(job: id).filter { $0.state == .done }.count }
            if done >= 5 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(done >= 5, "the job did not get going")
        let v2 = folder.appendingPathComponent("cloud-wrn/2")
        try fm.createDirectory(at: v2, withIntermediateDirectories: true)
        try fm.copyItem(atPath: ClusterFixture.models + "/cloud-wrn.onnx", toPath: v2.appendingPathComponent("model.onnx").path)
        try fm.copyItem(atPath: ClusterFixture.models + "/cloud-wrn.card.json", toPath: v2.appendingPathComponent("model.card.json").path)
        for node in ["cloud", "end-1"] {
            let loaded = try ProcessRunner().run("repository", "load", "cloud-wrn", "--config", cluster.configPath, "--node", node,
                                                 "--token", token)
            #expect(loaded.status == 0 && loaded.stdout.contains("version") && loaded.stdout.contains("2"), "\(node): \(loaded.stdout)\(loaded.stderr)")
        }
        let rolledOutAt = try journal.tasks(job: try #require(try journal.jobs().first?.id)).filter { $0.state == .done }.count

        let report = try await job.value
        #expect(report.tasks == 50 && report.tasksLost == 0 && report.duplicateResults == 0, "\(report.lostTasks)")
        #expect(report.taskRecords.allSatisfy { $0.state == .done })
        var versions: [String] = []
        for row in report.taskRecords {
            let record = try #require(row.metadata.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            let path = try #require((record["fine"] as? [String: Any])?["path"] as? [[String: Any]])
            let head = path.first { $0["node"] as? String == "end-1" }?["version"] as? String
            let tail = path.first { $0["node"] as? String == "cloud" }?["version"] as? String
            #expect(head != nil && head == tail, "task \(row.index): head of version \(head ?? "-"), tail of \(tail ?? "-")")
            versions.append(tail ?? "?")
        }
        #expect(Set(versions) == ["1", "2"], "versions answered: \(versions); \(rolledOutAt) of 50 tasks were done at the rollout")
        #expect(versions.last == "2" && versions.first == "1")
    }
}
