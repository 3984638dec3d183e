import Foundation
import HDDNNCluster
import HDDNNScheduling

/// Our scheduler against Mapping on a testbed of separate machines.
///
/// On this machine the 13 nodes share 2 cores, so `scaling` measures a CPU-bound cluster where
/// idle nodes add no capacity. The paper's testbed was separate machines with a GPU cloud. This
/// experiment emulates that: end devices 8 times and edge devices 16 times slower than their
/// measured compute (they wait the difference while holding their turn, using no CPU), the cloud
/// at this CPU's own speed, the paper's waits of 0.5 s and 1 s. Same job, 1-8 end devices,
/// End-Edge, Mapping (N_map = 1) and Earliest-Finish. Each point is run `repeats` times and the
/// run with the median finish time is reported (with every run's finish time), because single
/// runs on a shared machine spread by 15-20 %.
struct SchedulerExperiment {
    static let slowdown: [NodeRole: Double] = [.end: 8, .edge: 16, .cloud: 1]

    struct Result: Codable {
        var points: [ScalingExperiment.Point]
        /// Finish times of every run, by "scheme/end devices".
        var runs: [String: [Double]]
        var repeats: Int
        var images: Int
        var slowdown: [String: Double]
        var topology: String
        var cpu: String
    }

    func run(_ ctx: ExperimentContext) async throws -> Result {
        let yaml = ctx.paperTopology(slowdown: Self.slowdown)
        let cluster = try await ctx.startCluster("schedulers", yaml: yaml)
        defer { cluster.stop() }
        let journal = try ctx.journal("schedulers")
        let images = ctx.images(quick: 1000)
        let repeats = ctx.full ? 5 : 3
        var points: [ScalingExperiment.Point] = []
        var runs: [String: [Double]] = [:]
        for n in 1...8 {
            for scheme in [SchemeKind.endEdge, .mapping, .earliestFinish] {
                ctx.log("  schedulers: \(scheme.rawValue), \(n) end device(s), \(repeats) runs")
                var reports: [JobReport] = []
                for _ in 0..<repeats {
                    reports.append(try await ctx.run(cluster, JobConfiguration(scheme: scheme, images: images, batch: 50, endDevices: n,
                                                                               faultPolicy: .none, nmap: 1), journal: journal))
                }
                reports.sort { $0.finishSeconds < $1.finishSeconds }
                runs["\(reports[0].scheme)/\(n)"] = reports.map(\.finishSeconds)
                points.append(ScalingExperiment.Point(report: reports[reports.count / 2], endDevices: n))
            }
        }
        return Result(points: points, runs: runs, repeats: repeats, images: images,
                      slowdown: Dictionary(uniqueKeysWithValues: Self.slowdown.map { ($0.key.rawValue, $0.value) }),
                      topology: yaml, cpu: cpuName())
    }
}
