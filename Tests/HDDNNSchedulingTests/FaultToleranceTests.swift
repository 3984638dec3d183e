import Foundation
import HDDNNCluster
import HDDNNScheduling
import Testing

/// Node processes killed with SIGKILL in the middle of a job (paper §3.6, Table 6): under Monitor
/// and Reassign no task is lost and every task's result is recorded exactly once; under none the
/// dead device's tasks are lost, which is what the policies are for.
@Suite(.serialized) struct FaultToleranceTests {
    /// Three end devices and an edge device, all running (a killed node is started again).
    enum FaultCluster {
        static let shared = RestartingCluster("faults", nodes: [
            ("end-1", "end", "dependable", "end-mobilenet.onnx"),
            ("end-2", "end", "dependable", "end-mobilenet.onnx"),
            ("end-3", "end", "dependable", "end-mobilenet.onnx"),
            ("edge-1", "edge", "dependable", "edge-resnet.onnx"),
        ])
    }

    func job(_ policy: FaultPolicy, kill: String = "end-3", at: Double = 0.3) -> JobConfiguration {
        JobConfiguration(scheme: .endEdge, images: 600, batch: 50, faultPolicy: policy, kills: [.init(node: kill, afterFraction: at)],
                         heartbeat: 0.2, dataDirectory: ClusterFixture.data)
    }

    @Test(arguments: [FaultPolicy.monitor, .reassign]) func aKilledEndDeviceLosesNoTask(policy: FaultPolicy) async throws {
        let cluster = try await FaultCluster.shared.get()
        let journal = try ClusterFixture.journal("fault-\(policy.rawValue)")
        let report = try await ClusterFixture.run(cluster, job(policy), journal: journal)
        #expect(report.killed == ["end-3"])
        #expect(!cluster.isRunning("end-3"))
        #expect(report.tasksLost == 0)
        #expect(report.duplicateResults == 0)
        let rows = try journal.tasks(job: report.jobID)
        #expect(rows.count == 12 && rows.allSatisfy { $0.state == .done && $0.fine?.count == 50 }, "every task has exactly one final result")
        // Tasks dealt to end-3 after it died were done elsewhere, and their metadata says where.
        let moved = rows.filter { $0.index % 3 == 2 && $0.endNode != "end-3" }
        #expect(!moved.isEmpty)
        for row in moved {
            #expect(row.metadata?.contains("\"node\":\"\(row.endNode!)\"") == true)
            #expect(row.metadata?.contains("\"node\":\"end-3\"") != true, "a task's path shows only where it really ran")
        }
    }

    @Test func withoutAPolicyTheDeadDevicesTasksAreLost() async throws {
        let cluster = try await FaultCluster.shared.get()
        let report = try await ClusterFixture.run(cluster, job(.none, at: 0))
        #expect(report.tasksLost > 0 && report.tasksLost <= 4, "end-3's tasks: \(report.tasksLost)")
        #expect(report.duplicateResults == 0)
    }

    @Test func aKilledUpperNodeIsRoutedAround() async throws {
        let cluster = try await FaultCluster.shared.get()
        // End-Edge with one edge device: once it dies, Monitor keeps the coarse labels and the
        // tasks wait for a fine label that no live node can give; they end with the coarse label.
        let report = try await ClusterFixture.run(cluster, JobConfiguration(
            scheme: .endEdge, images: 300, batch: 50, faultPolicy: .monitor, kills: [.init(node: "edge-1", afterFraction: 0.5)],
            deadline: 3, heartbeat: 0.2, dataDirectory: ClusterFixture.data))
        #expect(report.tasksLost == 0 && report.duplicateResults == 0)
        #expect(report.taskRecords.allSatisfy { $0.state == .done })
        #expect(report.taskRecords.contains { $0.labelSource?.isCoarse == true }, "tasks after the edge device died keep their coarse label")
    }
}
