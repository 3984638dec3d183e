import Foundation
import HDDNNCluster

/// Our scheme: each fine-label request goes to the upper node predicted to answer it first,
/// with the cloud taking at least Mapping's share of tasks.
///
/// Mapping (eq. 7-8) wires end devices to upper nodes once: with fewer end devices than
/// N_edge x N_map the cloud and some edge devices stay idle, and a slow node keeps its end
/// devices' tasks however long its queue grows. Here, for every task:
///
/// - predicted answer time at node u = t_c,u + t_p,u x (requests u holds + 1): its measured
///   link time plus its queue, served one batch at a time (`ModelExecutor`);
/// - the task goes to the node with the earliest prediction, except that whenever the cloud has
///   had fewer than θ_cloud (eq. 8, with Mapping's N_map) of the tasks so far, it goes to the
///   cloud. Fine accuracy is the θ-weighted mix of eq. 10 at least, since the cloud model is the
///   more accurate one, and idle upper nodes are used instead of waited for.
public struct EarliestFinishScheme: Scheme {
    public let name = "Earliest-Finish"
    public let costs: CostModel
    /// The floor on the cloud's share of tasks (Mapping's θ_cloud for the same N_map).
    public let mapping: MappingScheme

    public init(costs: CostModel, nmap: Int? = nil) {
        self.costs = costs
        self.mapping = MappingScheme(costs: costs, nmap: nmap)
    }

    public func upperNode(task: Int, endDevice: Int, layout: ClusterLayout) -> String? {
        upperNode(task: task, endDevice: endDevice, layout: layout, load: UpperLoad())
    }

    public func upperNode(task: Int, endDevice: Int, layout: ClusterLayout, load: UpperLoad) -> String? {
        let theta = mapping.thetaCloud(endDevices: layout.end.count, edgeDevices: layout.edge.count, hasCloud: !layout.cloud.isEmpty)
        let cloudTasks = layout.cloud.reduce(0) { $0 + (load.assigned[$1] ?? 0) }
        if !layout.cloud.isEmpty, Double(cloudTasks) < theta * Double(load.total + 1) {
            return layout.cloud.min { (load.outstanding[$0] ?? 0) < (load.outstanding[$1] ?? 0) }
        }
        func predicted(_ node: String) -> Double {
            let cost = layout.cloud.contains(node) ? costs.cloud : costs.edge
            guard let cost else { return .infinity }
            return cost.communication + cost.splitHead + cost.processing * Double((load.outstanding[node] ?? 0) + 1)
        }
        let candidates = layout.edge + layout.cloud
        // Ties (an idle start) go round-robin so equal nodes share the work.
        let rotated = candidates.indices.map { candidates[($0 + task) % candidates.count] }
        return rotated.min { predicted($0) < predicted($1) }
    }

    /// With every upper node in use, the upper phase drains at the tiers' combined rate; this
    /// assumes separate machines (on one shared CPU, total work sets the pace instead).
    public func predict(_ costs: CostModel) -> Prediction {
        let end = costs.endTime
        var rate = 0.0
        if let e = costs.edge, e.processing > 0 { rate += Double(e.nodes) / e.processing }
        if let c = costs.cloud, c.processing > 0 { rate += Double(c.nodes) / c.processing }
        let upper = rate > 0 ? Double(costs.tasks) / rate + (costs.cloud?.communication ?? costs.edge?.communication ?? 0) : 0
        let base = mapping.predict(costs)
        return Prediction(finishSeconds: max(end, upper), fineShare: 1, fineAccuracy: base.fineAccuracy,
                          equations: "ours: max(T_End, N_t / Σ(N_tier / t_p,tier) + t_c): every upper node busy, as on separate machines; cloud share >= θ_cloud (N_map = \(mapping.nmap))")
    }
}
