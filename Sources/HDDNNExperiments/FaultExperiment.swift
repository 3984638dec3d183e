import Foundation
import HDDNNCluster
import HDDNNScheduling

/// Figure 5 and Table 6: finish time with 0 to 6 of the 8 end devices killed (SIGKILL, when 20 %
/// of the tasks have their coarse label) under no policy, Reassign and Monitor, Mapping scheme
/// (N_map = 1) on the paper's testbed. Lost tasks and duplicate results are read back from the
/// journal: none may be lost under Reassign and Monitor.
struct FaultExperiment {
    struct Point: Codable {
        var policy: String
        var failed: Int
        var finishSeconds: Double
        var finished: Bool
        var tasksLost: Int
        var duplicateResults: Int
        var journalRowsDone: Int
        var tasks: Int
        var failedSends: Int
    }

    struct Result: Codable {
        var points: [Point]
        var images: Int
        var killAt: Double
        var timeout: Double
        var heartbeat: Double
        var cpu: String
    }

    func run(_ ctx: ExperimentContext) async throws -> Result {
        let cluster = try await ctx.startCluster("faults", yaml: ctx.paperTopology())
        defer { cluster.stop() }
        let journal = try ctx.journal("faults")
        let images = ctx.images(quick: 1000)
        let killAt = 0.2
        var points: [Point] = []
        for policy in FaultPolicy.allCases {
            for failed in 0...6 {
                let dead = cluster.topology.nodes.map(\.name).filter { !cluster.isRunning($0) }
                if !dead.isEmpty { try await cluster.start(dead, timeout: 300) }
                ctx.log("  faults: \(policy.rawValue), \(failed) failed end device(s)")
                let kills = (0..<failed).map { JobConfiguration.Kill(node: "end-\(8 - $0)", afterFraction: killAt) }
                let r = try await ctx.run(cluster, JobConfiguration(scheme: .mapping, images: images, batch: 50, faultPolicy: policy,
                                                                    kills: kills, nmap: 1, heartbeat: 0.5), journal: journal)
                let rows = try journal.tasks(job: r.jobID)
                points.append(Point(policy: policy.rawValue, failed: failed, finishSeconds: r.finishSeconds, finished: r.tasksLost == 0,
                                    tasksLost: r.tasksLost, duplicateResults: try journal.duplicates(job: r.jobID),
                                    journalRowsDone: rows.filter { $0.state == .done }.count, tasks: rows.count, failedSends: r.failedSends))
            }
        }
        return Result(points: points, images: images, killAt: killAt, timeout: cluster.topology.defaults.timeout, heartbeat: 0.5, cpu: cpuName())
    }
}
