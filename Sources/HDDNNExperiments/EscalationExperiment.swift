import Foundation
import HDDNNCluster
import HDDNNScheduling

/// Per-image escalation by confidence (ours, `EscalationScheme`): the curve over the
/// normalized-entropy threshold (fine accuracy, cloud share, finish time, bytes) beside End-Edge,
/// End-Cloud, Mapping and Earliest-Finish, on two testbeds of the paper's shape (8 end devices,
/// 4 edge devices, 1 cloud, waits of 0.5 s and 1 s, N_map = 1):
///
/// - shared CPU: every node at this machine's speed, all sharing its cores (`scaling`'s testbed);
/// - separate machines: end devices 8x and edge devices 16x slower than measured, the cloud at
///   this CPU's speed (`schedulers`' testbed), so idle nodes are real capacity.
///
/// Each point is run `repeats` times and the run with the median finish time is reported.
struct EscalationExperiment {
    static let thresholds = [0.02, 0.05, 0.1, 0.2, 0.3, 0.5]

    struct Point: Codable {
        var testbed: String
        var scheme: String
        var threshold: Double?
        var finishSeconds: Double
        var predictedSeconds: Double
        var fineAccuracy: Double?
        var cloudShare: Double
        var escalatedImages: Int
        var megabytesMoved: Double
        var fineLatencyP50: Double?
        var tasksLost: Int
        /// Finish times of every repeat.
        var runs: [Double]
    }

    struct Result: Codable {
        var points: [Point]
        var images: Int
        var repeats: Int
        var slowdown: [String: Double]
        var topologies: [String: String]
        var cpu: String
    }

    func run(_ ctx: ExperimentContext) async throws -> Result {
        let images = ctx.images(quick: 1000)
        let repeats = ctx.full ? 5 : 3
        var points: [Point] = []
        var topologies: [String: String] = [:]
        let testbeds: [(String, [NodeRole: Double])] = [("shared CPU", [:]), ("separate machines", SchedulerExperiment.slowdown)]
        for (testbed, slowdown) in testbeds {
            let yaml = ctx.paperTopology(slowdown: slowdown)
            topologies[testbed] = yaml
            let cluster = try await ctx.startCluster("escalation-\(slowdown.isEmpty ? "shared" : "separate")", yaml: yaml)
            defer { cluster.stop() }
            let journal = try ctx.journal("escalation")
            let runs: [(SchemeKind, Double?)] = [(.endEdge, nil), (.endCloud, nil), (.mapping, nil), (.earliestFinish, nil)]
                + Self.thresholds.map { (.escalate, $0) }
            for (scheme, threshold) in runs {
                ctx.log("  escalation: \(testbed), \(scheme.rawValue)\(threshold.map { " η > \($0)" } ?? ""), \(repeats) runs")
                var reports: [JobReport] = []
                for _ in 0..<repeats {
                    reports.append(try await ctx.run(cluster, JobConfiguration(scheme: scheme, images: images, batch: 50, faultPolicy: .none,
                                                                               nmap: 1, threshold: threshold), journal: journal))
                }
                reports.sort { $0.finishSeconds < $1.finishSeconds }
                let r = reports[reports.count / 2]
                points.append(Point(testbed: testbed, scheme: r.scheme, threshold: threshold, finishSeconds: r.finishSeconds,
                                    predictedSeconds: r.prediction.finishSeconds, fineAccuracy: r.fineAccuracy, cloudShare: r.cloudShare,
                                    escalatedImages: r.escalatedImages, megabytesMoved: Double(r.bytesMoved) / 1e6,
                                    fineLatencyP50: r.fineLatency?.p50, tasksLost: r.tasksLost, runs: reports.map(\.finishSeconds)))
            }
        }
        return Result(points: points, images: images, repeats: repeats,
                      slowdown: Dictionary(uniqueKeysWithValues: SchedulerExperiment.slowdown.map { ($0.key.rawValue, $0.value) }),
                      topologies: topologies, cpu: cpuName())
    }
}
