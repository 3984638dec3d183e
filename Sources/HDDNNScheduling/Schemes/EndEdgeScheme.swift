import HDDNNCluster

/// "End-Edge": coarse label on an end device, fine label from the edge devices in sequential
/// (round-robin) order.
/// Eq. 5: T_End-Edge = T_End + N_t / N_edge x (t_c,edge + t_p,edge); eq. 6: P = p_edge.
public struct EndEdgeScheme: Scheme {
    public let name = "End-Edge"
    public init() {}

    public func upperNode(task: Int, endDevice: Int, layout: ClusterLayout) -> String? {
        layout.edge.isEmpty ? nil : layout.edge[task % layout.edge.count]
    }

    public func predict(_ costs: CostModel) -> Prediction {
        guard let edge = costs.edge else { return EndScheme().predict(costs) }
        return Prediction(finishSeconds: costs.endPlusTime(edge), fineShare: 1, fineAccuracy: edge.accuracy, equations: "eq. 5-6")
    }
}
