import HDDNNCluster

/// Ours, after DDNN's early exit but per image: every task's fine label comes from an edge device
/// (End-Edge's path), and only the images the edge model is unsure of, normalized entropy
/// η = -Σ p log p / log |C| above `threshold`, go on to the cloud as one smaller batch per task.
/// The cloud's answer replaces the edge's for those images.
///
/// At threshold 1 nothing escalates (End-Edge); at 0 every image does (End-Edge, then End-Cloud
/// on everything). In between, the cloud sees only the hard images, which is where its bigger
/// model's accuracy is worth its time.
///
/// Prediction, with s the share of images above the threshold in the calibration batch: the edge
/// phase is End-Edge's (eq. 5); the cloud works on the uncertain images meanwhile, and the last
/// task's escalation adds one cloud exchange. The cloud's t_c is a latency that overlaps across
/// tasks, not work that queues (eq. 3 adds it per task, which is why End-Cloud's prediction
/// runs far above its measured time when links are slow):
/// T = max(T_End-Edge, T_End + N_t / N_cloud x s x t_p,cloud) + t_c,cloud + s x t_p,cloud,
/// P ≥ (1 - s) x p_edge + s x p_cloud (the confident images are the edge model's easier ones).
public struct EscalationScheme: Scheme {
    public var name: String { "Escalate" }
    /// η above which an image goes on to the cloud.
    public let threshold: Double
    public var escalationThreshold: Double? { threshold }

    /// The threshold when a job names none: on both testbeds of docs/paper-reproduction.md
    /// ("Per-image escalation") η > 0.1 sent 14 % of the images to the cloud and matched the best
    /// fine accuracy of the curve (0.962, End-Cloud's 0.961); lower thresholds only cost time.
    public static let defaultThreshold = 0.1

    public init(threshold: Double = EscalationScheme.defaultThreshold) {
        self.threshold = threshold
    }

    public func upperNode(task: Int, endDevice: Int, layout: ClusterLayout) -> String? {
        layout.edge.isEmpty ? nil : layout.edge[task % layout.edge.count]
    }

    /// The edge device holding the fewest fine-label requests (ties: End-Edge's round-robin).
    public func upperNode(task: Int, endDevice: Int, layout: ClusterLayout, load: UpperLoad) -> String? {
        guard !layout.edge.isEmpty else { return nil }
        let rotated = layout.edge.indices.map { layout.edge[($0 + task) % layout.edge.count] }
        return rotated.min { (load.outstanding[$0] ?? 0) < (load.outstanding[$1] ?? 0) }
    }

    public func predict(_ costs: CostModel) -> Prediction {
        guard let edge = costs.edge else { return EndScheme().predict(costs) }
        let tEdge = costs.endPlusTime(edge)
        guard let cloud = costs.cloud else {
            return Prediction(finishSeconds: tEdge, fineShare: 1, fineAccuracy: edge.accuracy, equations: "eq. 5-6 (no cloud to escalate to)")
        }
        let s = costs.escalatedShare ?? 0
        let cloudPhase = costs.endTime + Double(costs.tasks) / Double(cloud.nodes) * s * cloud.processing
        let finish = max(tEdge, cloudPhase) + cloud.communication + s * cloud.processing
        var accuracy = edge.accuracy
        if let pe = edge.accuracy, let pc = cloud.accuracy { accuracy = (1 - s) * pe + s * pc }
        return Prediction(finishSeconds: finish, fineShare: 1, fineAccuracy: accuracy,
                          equations: "ours: max(eq. 5, T_End + N_t / N_cloud x s x t_p,cloud) + t_c,cloud + s x t_p,cloud, η > \(threshold), s = \(String(format: "%.3f", s)) measured on the calibration batch")
    }
}
