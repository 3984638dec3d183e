import Foundation
import HDDNNCluster

/// "Mapping" (paper §3.4): each subset of N_map end devices sends its tasks to one edge device;
/// once every edge device has its N_map end devices, the remaining end devices send to the cloud.
///
/// - Eq. 7: N_map = ceil((t_c,edge + t_p,edge) / (t_c,end + t_p,end)), at least 1.
/// - Eq. 8: θ_cloud = (N_end - N_edge x N_map) / N_end, clamped to [0, 1] (the paper leaves the
///   case N_edge x N_map > N_end open; a negative share of tasks has no meaning).
/// - Eq. 9: θ_edge = 1 - θ_cloud.
/// - Eq. 10: P = θ_cloud x p_cloud + θ_edge x p_edge.
/// - Eq. 11: T = θ_cloud x T_End-Cloud + θ_edge x T_End-Edge.
///
/// The paper's own evaluation fixed N_map = 1 "according to our evaluation system setup";
/// `nmap` does the same.
public struct MappingScheme: Scheme {
    public let name = "Mapping"
    public let nmap: Int
    /// Whether N_map came from eq. 7 (false: given).
    public let nmapFromEquation: Bool

    public init(costs: CostModel, nmap: Int? = nil) {
        if let nmap {
            self.nmap = max(1, nmap)
            nmapFromEquation = false
        } else {
            self.nmap = Self.equation7(costs)
            nmapFromEquation = true
        }
    }

    /// Eq. 7.
    public static func equation7(_ costs: CostModel) -> Int {
        guard let edge = costs.edge, costs.end.perTask > 0 else { return 1 }
        let ratio = edge.perTask / costs.end.perTask
        guard ratio.isFinite else { return 1 }
        return max(1, Int(ratio.rounded(.up)))
    }

    /// Eq. 8, clamped.
    public func thetaCloud(endDevices: Int, edgeDevices: Int, hasCloud: Bool) -> Double {
        guard endDevices > 0, hasCloud else { return 0 }
        return min(1, max(0, Double(endDevices - edgeDevices * nmap) / Double(endDevices)))
    }

    public func upperNode(task: Int, endDevice: Int, layout: ClusterLayout) -> String? {
        let edgeIndex = endDevice / nmap
        if edgeIndex < layout.edge.count { return layout.edge[edgeIndex] }
        guard !layout.cloud.isEmpty else { return layout.edge.last }
        return layout.cloud[task % layout.cloud.count]
    }

    public func predict(_ costs: CostModel) -> Prediction {
        guard let edge = costs.edge else { return EndCloudScheme().predict(costs) }
        let theta = thetaCloud(endDevices: costs.end.nodes, edgeDevices: edge.nodes, hasCloud: costs.cloud != nil)
        let tEdge = costs.endPlusTime(edge)
        let tCloud = costs.cloud.map { costs.endPlusTime($0) } ?? tEdge
        var accuracy: Double?
        if let pe = edge.accuracy {
            accuracy = theta * (costs.cloud?.accuracy ?? pe) + (1 - theta) * pe
        }
        return Prediction(finishSeconds: theta * tCloud + (1 - theta) * tEdge, fineShare: 1, fineAccuracy: accuracy,
                          equations: "eq. 7-11 (N_map = \(nmap)\(nmapFromEquation ? ", eq. 7" : ", given"), θ_cloud = \(String(format: "%.3f", theta)))")
    }
}
