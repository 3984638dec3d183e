import HDDNNCluster

/// The measured inputs of the paper's timing and precision equations (eq. 1-11), per task of
/// `batch` images: processing time t_p from each tier's start-up benchmark, communication time t_c
/// from real exchanges (emulated link time and protocol overhead included), and each tier's
/// accuracy p from its model card.
public struct CostModel: Sendable, Codable, Equatable {
    /// Images per task.
    public var batch: Int
    /// N_t: tasks in the job.
    public var tasks: Int
    public var end: TierCost
    public var edge: TierCost?
    public var cloud: TierCost?
    /// For the escalation scheme: the share of the calibration batch's images whose edge answer
    /// was above its threshold (s in its prediction).
    public var escalatedShare: Double?

    /// One tier's figures.
    public struct TierCost: Sendable, Codable, Equatable {
        /// N_end, N_edge or N_cloud.
        public var nodes: Int
        /// t_c: seconds to move one task to a node of this tier and its answer back.
        public var communication: Double
        /// t_p: seconds one node of this tier computes on one task (for upper tiers: the tail
        /// of a split when the tier is undependable).
        public var processing: Double
        /// t_e: seconds the split's head takes on an end device (0 for dependable tiers, eq. 15).
        public var splitHead: Double
        /// p: the tier's accuracy at its own label level (coarse for end, fine above), from its card.
        public var accuracy: Double?

        public init(nodes: Int, communication: Double, processing: Double, splitHead: Double = 0, accuracy: Double?) {
            self.nodes = nodes
            self.communication = communication
            self.processing = processing
            self.splitHead = splitHead
            self.accuracy = accuracy
        }

        /// t_c + t_p: what one task costs a node of this tier.
        public var perTask: Double { communication + processing }
    }

    public init(batch: Int, tasks: Int, end: TierCost, edge: TierCost?, cloud: TierCost?, escalatedShare: Double? = nil) {
        self.batch = batch
        self.tasks = tasks
        self.end = end
        self.edge = edge
        self.cloud = cloud
        self.escalatedShare = escalatedShare
    }

    /// Eq. 1: T_End = N_t / N_end x (t_c,end + t_p,end).
    public var endTime: Double { Double(tasks) / Double(end.nodes) * end.perTask }

    /// Eq. 3 and 5: T_End + N_t / N_tier x (t_c,tier + t_p,tier).
    public func endPlusTime(_ tier: TierCost) -> Double {
        endTime + Double(tasks) / Double(tier.nodes) * tier.perTask
    }
}

/// What a scheme's equations predict for a job.
public struct Prediction: Sendable, Codable, Equatable {
    /// Seconds to finish the job.
    public var finishSeconds: Double
    /// Share of tasks that get a fine label (0 for End, θ-weighted for Mapping).
    public var fineShare: Double
    /// Expected fine accuracy (eq. 4, 6, 10); nil where no task gets a fine label.
    public var fineAccuracy: Double?
    /// The equations used, for the report.
    public var equations: String
}
