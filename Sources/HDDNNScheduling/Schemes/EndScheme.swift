import HDDNNCluster

/// "End": every task stays on the end devices, which give the coarse label only.
/// Eq. 1: T_End = N_t / N_end x (t_c,end + t_p,end); eq. 2: P_End = p_end.
public struct EndScheme: Scheme {
    public let name = "End"
    public init() {}

    public func upperNode(task: Int, endDevice: Int, layout: ClusterLayout) -> String? { nil }

    public func predict(_ costs: CostModel) -> Prediction {
        Prediction(finishSeconds: costs.endTime, fineShare: 0, fineAccuracy: nil, equations: "eq. 1-2")
    }
}
