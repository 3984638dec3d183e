import HDDNNCluster

/// "End-Cloud": every task gets its coarse label on an end device, then its fine label from the
/// cloud (round-robin over cloud nodes), through the split because the cloud is undependable.
/// Eq. 3: T_End-Cloud = T_End + N_t / N_cloud x (t_c,cloud + t_p,cloud); eq. 4: P = p_cloud.
public struct EndCloudScheme: Scheme {
    public let name = "End-Cloud"
    public init() {}

    public func upperNode(task: Int, endDevice: Int, layout: ClusterLayout) -> String? {
        layout.cloud.isEmpty ? nil : layout.cloud[task % layout.cloud.count]
    }

    public func predict(_ costs: CostModel) -> Prediction {
        guard let cloud = costs.cloud else { return EndScheme().predict(costs) }
        return Prediction(finishSeconds: costs.endPlusTime(cloud), fineShare: 1, fineAccuracy: cloud.accuracy, equations: "eq. 3-4")
    }
}
