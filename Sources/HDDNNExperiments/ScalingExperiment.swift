import Foundation
import HDDNNCluster
import HDDNNScheduling

/// Figure 4 and Table 3: finish time and fine accuracy of End, End-Edge, End-Cloud, Mapping and
/// ours (Earliest-Finish) for 1 to 8 end devices on the paper's testbed (4 edge devices, 1 cloud,
/// waits of 0.5 s and 1 s), each point next to what its equations predict from measured costs.
/// Mapping uses N_map = 1, as the paper's evaluation did.
struct ScalingExperiment {
    struct Point: Codable {
        var scheme: String
        var endDevices: Int
        var finishSeconds: Double
        var predictedSeconds: Double
        var fineAccuracy: Double?
        var predictedFineAccuracy: Double?
        var fineShare: Double
        var coarseAccuracy: Double?
        var coarseLatencyP50: Double?
        var fineLatencyP50: Double?
        var megabytesMoved: Double
        var tasksLost: Int
        var equations: String

        init(report r: JobReport, endDevices n: Int) {
            scheme = r.scheme
            endDevices = n
            finishSeconds = r.finishSeconds
            predictedSeconds = r.prediction.finishSeconds
            fineAccuracy = r.fineAccuracy
            predictedFineAccuracy = r.prediction.fineAccuracy
            fineShare = r.fineShare
            coarseAccuracy = r.coarseAccuracy
            coarseLatencyP50 = r.coarseLatency?.p50
            fineLatencyP50 = r.fineLatency?.p50
            megabytesMoved = Double(r.bytesMoved) / 1e6
            tasksLost = r.tasksLost
            equations = r.prediction.equations
        }
    }

    struct Result: Codable {
        var points: [Point]
        var images: Int
        var batch: Int
        var nmap: Int
        var topology: String
        var cpu: String
    }

    func run(_ ctx: ExperimentContext) async throws -> Result {
        let yaml = ctx.paperTopology()
        let cluster = try await ctx.startCluster("scaling", yaml: yaml)
        defer { cluster.stop() }
        let journal = try ctx.journal("scaling")
        let images = ctx.images(quick: 1000)
        var points: [Point] = []
        for n in 1...8 {
            for scheme in SchemeKind.paper + [.earliestFinish] {
                ctx.log("  scaling: \(scheme.rawValue), \(n) end device(s)")
                let r = try await ctx.run(cluster, JobConfiguration(scheme: scheme, images: images, batch: 50, endDevices: n,
                                                                    faultPolicy: .none, nmap: 1), journal: journal)
                points.append(Point(report: r, endDevices: n))
            }
        }
        return Result(points: points, images: images, batch: 50, nmap: 1, topology: yaml, cpu: cpuName())
    }
}
