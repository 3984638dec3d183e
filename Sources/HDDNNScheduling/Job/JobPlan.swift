import HDDNNCluster

/// A job as decided before its first task leaves: what to run, on which nodes, at what measured
/// cost, under which scheme, and which tasks are still to do. A value, so a reader sees the whole
/// decision in one place and a test can build one without a cluster.
public struct JobPlan: Sendable {
    public var jobID: String
    public var configuration: JobConfiguration
    public var topology: Topology
    public var layout: ClusterLayout
    /// What each node in use said about itself (model, card, start-up benchmark): every node of
    /// the scheme's tiers, and the nodes of the other upper tier that answered and can refine
    /// the coarse labels, so a task whose upper tier is gone can be routed there.
    public var nodes: [String: NodeInfo]
    public var costs: CostModel
    public var scheme: any Scheme
    public var prediction: Prediction
    public var data: JobData
    /// Each task's images: `first ..< first + count`.
    public var spans: [TaskSpan]
    /// Tasks this run does (all of them, or a resumed job's unfinished ones).
    public var todo: [Int]
    public var resumed: Bool

    public struct TaskSpan: Sendable, Equatable {
        public var first: Int
        public var count: Int
    }

    /// Tasks of `batch` images over `images` images.
    static func spans(images: Int, batch: Int) -> [TaskSpan] {
        stride(from: 0, to: images, by: batch).map { TaskSpan(first: $0, count: min(batch, images - $0)) }
    }

    /// The upper nodes of `role`'s tier that this job can send to.
    func upperNodes(_ role: NodeRole) -> [String] {
        (role == .cloud ? layout.cloud : layout.edge).filter { nodes[$0] != nil }
    }

    /// Seconds one task is expected to take at upper node `node` (its tier's t_c + t_p + t_e).
    func expectedSeconds(at node: String) -> Double {
        let tier = layout.tier(of: node) == .cloud ? costs.cloud : costs.edge
        return (tier?.perTask ?? 0) + (tier?.splitHead ?? 0)
    }
}
