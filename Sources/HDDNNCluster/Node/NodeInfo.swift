import HDDNNData

/// What a node says about itself at `GET /hddnn/v1/node`: role, trust, model and the benchmark
/// it ran at start (the vision paper's per-node benchmarking), which the schedulers' cost model
/// reads as t_p (eq. 1-11) and t_e (eq. 15).
public struct NodeInfo: Codable, Sendable {
    public var name: String
    public var role: NodeRole
    public var trust: Trust
    public var threads: Int
    public var slowdown: Double
    public var model: ModelSummary
    /// The model's card (taxonomy, accuracy): what the job runner checks the wiring with.
    public var card: ModelCard
    public var benchmark: Benchmark?
    /// The split this node accepts feature maps of (upper nodes).
    public var split: SplitSummary?
    /// The heads this node can run for undependable nodes (dependable nodes), by model.
    public var heads: [SplitSummary]

    public struct ModelSummary: Codable, Sendable {
        public var name: String
        /// The version serving requests without `/versions/{v}` (the repository's latest).
        public var version: String?
        public var level: String
        public var labels: [String]
        public var parameters: Int
        public var inputName: String
        public var inputShape: [Int]
    }

    public struct SplitSummary: Codable, Sendable {
        public var model: String
        public var cut: String
        public var cutSampleShape: [Int]
        public var bytesPerSample: Int
        public var headParameters: Int
    }

    /// Seconds per batch of `batch` images, measured at start or after a load (median of `runs`), slowdown
    /// emulation included in `modelSeconds`, `tailSeconds` and `headSeconds` (what a task costs on
    /// this node), excluded in `measuredModelSeconds`.
    public struct Benchmark: Codable, Sendable {
        public var batch: Int
        public var runs: Int
        public var modelSeconds: Double
        public var measuredModelSeconds: Double
        public var tailSeconds: Double?
        public var headSeconds: [String: Double]
        /// The version of the node's model measured.
        public var version: String?
    }
}
