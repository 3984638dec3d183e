import Foundation
import HDDNNCluster
import HDDNNScheduling

/// Accuracy for time: End-Cloud on the paper's testbed with a per-task deadline, tightened step
/// by step. A task whose fine label cannot arrive in time answers with its coarse label, said as
/// such; the curve shows the share of fine labels and the fine-level accuracy of the answers.
struct DeadlineExperiment {
    struct Point: Codable {
        var deadline: Double?
        var finishSeconds: Double
        var fineShare: Double
        var fineAccuracy: Double?
        /// Fine-level accuracy over all images, a coarse-only answer counting as wrong.
        var answerFineAccuracy: Double
        var coarseAccuracy: Double?
        var deadlineMisses: Int
        var tasksLost: Int
    }

    struct Result: Codable {
        var points: [Point]
        var images: Int
        var cpu: String
    }

    func run(_ ctx: ExperimentContext) async throws -> Result {
        let cluster = try await ctx.startCluster("deadline", yaml: ctx.paperTopology())
        defer { cluster.stop() }
        let journal = try ctx.journal("deadline")
        let images = ctx.images(quick: 1000)
        var points: [Point] = []
        for deadline in [1.2, 1.5, 2.0, 3.0, 4.0, 6.0, 9.0, nil] as [Double?] {
            ctx.log("  deadline: \(deadline.map { "\($0) s" } ?? "none")")
            let r = try await ctx.run(cluster, JobConfiguration(scheme: .endCloud, images: images, batch: 50, faultPolicy: .none,
                                                                deadline: deadline), journal: journal)
            points.append(Point(deadline: deadline, finishSeconds: r.finishSeconds, fineShare: r.fineShare, fineAccuracy: r.fineAccuracy,
                                answerFineAccuracy: r.fineShare * (r.fineAccuracy ?? 0), coarseAccuracy: r.coarseAccuracy,
                                deadlineMisses: r.deadlineMisses, tasksLost: r.tasksLost))
        }
        return Result(points: points, images: images, cpu: cpuName())
    }
}
