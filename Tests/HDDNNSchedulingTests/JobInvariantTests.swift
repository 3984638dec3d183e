import Foundation
import HDDNNCluster
import HDDNNScheduling
import HDDNNTestSupport
import Synchronization
import Testing

/// Every task ends with exactly one final result or is counted lost with its reason, checked from
/// the journal: a task whose upper tier dies goes to the other one, a job with lost tasks says
/// which and exits non-zero, a journal that stops accepting writes stops the job, and the
/// escalation scheme's labels are the edge's or the cloud's image by image.
@Suite(.serialized) struct JobInvariantTests {
    /// Two end devices, an edge device and the cloud (a killed node is started again).
    enum TierCluster {
        static let shared = RestartingCluster("tiers", nodes: [
            ("end-1", "end", "dependable", "end-mobilenet.onnx"),
            ("end-2", "end", "dependable", "end-mobilenet.onnx"),
            ("edge-1", "edge", "dependable", "edge-resnet.onnx"),
            ("cloud", "cloud", "undependable", "cloud-wrn.onnx"),
        ])
    }

    /// The issue's reproduction: End-Cloud with the cloud killed under Monitor used to end with
    /// every task coarse, none final and none lost.
    @Test(arguments: [FaultPolicy.monitor, .reassign]) func aTaskWhoseUpperTierDiesIsAnsweredByTheOtherTier(policy: FaultPolicy) async throws {
        let cluster = try await TierCluster.shared.get()
        let journal = try ClusterFixture.journal("reroute-\(policy.rawValue)")
        let report = try await ClusterFixture.run(cluster, JobConfiguration(
            scheme: .endCloud, images: 500, batch: 50, faultPolicy: policy, kills: [.init(node: "cloud", afterFraction: 0.3)],
            heartbeat: 0.2, dataDirectory: ClusterFixture.data), journal: journal)
        let audit = try journal.audit(job: report.jobID)
        #expect(audit.holds && audit.lost.isEmpty, "\(audit.violations)")
        #expect(audit.fine == 10, "every task has a fine label: \(audit.fine) fine, \(audit.coarseFinal) coarse")
        let rerouted = report.taskRecords.filter { $0.upperNode == "edge-1" }
        #expect(!rerouted.isEmpty)
        for row in rerouted {
            #expect(row.metadata?.contains("routed to edge-1 of the other upper tier") == true, "the task's metadata says where it went and why")
        }
        #expect(report.tasksLost == 0 && report.duplicateResults == 0)
    }

    @Test func aJournalThatStopsAcceptingWritesStopsTheJob() async throws {
        let cluster = try await TierCluster.shared.get()
        let journal = try ClusterFixture.journal("closed")
        let closed = Mutex(false)
        let runner = JobRunner(topology: cluster.topology, configuration: JobConfiguration(
            scheme: .endEdge, images: 500, batch: 50, dataDirectory: ClusterFixture.data), journal: journal, progress: { p in
                guard p.coarse >= 2 else { return }
                if closed.withLock({ c in defer { c = true }; return !c }) { try? journal.close() }
            })
        do {
            let report = try await runner.run()
            Issue.record("the job went on without its journal: \(report.tasks) tasks")
        } catch {
            guard case .journal = error else { Issue.record("expected a journal error, got \(error)"); return }
            #expect("\(error)".contains(journal.path), "the error names the journal: \(error)")
        }
    }

    @Test func escalationTakesTheCloudsLabelExactlyForTheUncertainImages() async throws {
        let cluster = try await TierCluster.shared.get()
        func labels(_ c: JobConfiguration) async throws -> (JobReport, [Int]) {
            let journal = try ClusterFixture.journal("escalate")
            let report = try await ClusterFixture.run(cluster, c, journal: journal)
            #expect(try journal.audit(job: report.jobID).holds)
            return (report, try journal.tasks(job: report.jobID).flatMap { $0.fine ?? [] })
        }
        func job(_ scheme: SchemeKind, threshold: Double? = nil) -> JobConfiguration {
            JobConfiguration(scheme: scheme, images: 200, batch: 50, threshold: threshold, dataDirectory: ClusterFixture.data)
        }
        let (_, edge) = try await labels(job(.endEdge))
        let (_, cloud) = try await labels(job(.endCloud))
        let (none, noneLabels) = try await labels(job(.escalate, threshold: 1))
        #expect(none.escalatedImages == 0 && noneLabels == edge, "at η > 1 nothing escalates: End-Edge's labels")
        let (all, allLabels) = try await labels(job(.escalate, threshold: 0))
        #expect(all.escalatedImages == 200 && allLabels == cloud, "at η > 0 every image escalates: End-Cloud's labels")
        #expect(all.cloudShare == 1 && none.cloudShare == 0)
        let (some, someLabels) = try await labels(job(.escalate, threshold: 0.2))
        #expect(some.escalatedImages > 0 && some.escalatedImages < 200, "\(some.escalatedImages) escalated")
        let differentFromEdge = zip(someLabels, edge).filter { $0 != $1 }.count
        #expect(differentFromEdge <= some.escalatedImages, "only escalated images can change")
        let escalatedTasks = some.taskRecords.filter { if case .escalated = $0.labelSource { true } else { false } }
        #expect(!escalatedTasks.isEmpty && escalatedTasks.allSatisfy { $0.metadata?.contains("answered by cloud") == true })
    }

    /// `hddnn run` with lost tasks lists them with their reasons and exits 3.
    @Test func aJobWithLostTasksSaysWhichAndExitsNonZero() async throws {
        let dir = try Repository.workspace("lost")
        let topology = dir.appendingPathComponent("topology.yaml")
        try """
            defaults: { timeout: 300ms, benchmark_batch: 50 }
            nodes:
              - { name: end-1, role: end, trust: dependable, model: \(Repository.models.path)/end-mobilenet.onnx, port: \(LocalCluster.freeLoopbackPort()) }
              - { name: end-2, role: end, trust: dependable, model: \(Repository.models.path)/end-mobilenet.onnx, port: \(LocalCluster.freeLoopbackPort()) }

            """.write(to: topology, atomically: true, encoding: .utf8)
        let result = try ProcessRunner(currentDirectory: dir).run(
            ["run", "--config", topology.path, "--start", "--scheme", "end", "--fault-policy", "none", "--kill", "end-2@0%",
             "--images", "200", "--journal", dir.appendingPathComponent("j.sqlite").path], timeout: 300)
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("task(s) lost"), "\(result.stderr)")
        #expect(result.stderr.contains("end device end-2 failed and the fault policy is none"), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
    }
}
