import Foundation
import HDDNNCluster

/// Measures the inputs of eq. 1-11 before a job: t_p from each node's start-up benchmark (scaled
/// to the job's batch), t_c from one real exchange per tier with the job's first batch:
///
/// - end: coordinator -> end device -> coordinator; t_c = exchange time - the node's compute;
/// - edge / cloud: relayed through the first end device; t_c is the relay hop's time minus the
///   split's head (t_e, eq. 15) and the upper node's time, read from the hops' timestamps.
///
/// So t_c includes the emulated link (latency and the real bytes over its bandwidth) and the
/// protocol's own overhead, as the paper's t_c does.
///
/// For the escalation scheme the edge's answer to that batch also gives s, the share of images
/// above the scheme's threshold.
struct Calibration {
    let client: NodeClient
    let topology: Topology
    let configuration: JobConfiguration
    let layout: ClusterLayout
    let infos: [String: NodeInfo]
    let data: JobData

    func measure() async throws(JobError) -> CostModel {
        let c = configuration
        let batch = min(c.batch, data.count)
        let images = data.tensor(first: 0, count: batch, name: infos[layout.end[0]]!.model.inputName)
        let end = try node(layout.end[0])
        let endInfo = infos[end.name]!
        var escalatedShare: Double?

        let direct: NodeClient.Exchange
        do {
            direct = try await client.infer(node: end, model: endInfo.model.name, inputs: [images],
                                            metadata: TaskMetadata(taskID: "calibration/end", source: "coordinator"),
                                            timeout: topology.defaults.requestTimeout)
        } catch { throw .calibration("\(error)") }
        let endCompute = direct.metadata?.path.last?.busy ?? 0
        let endCost = CostModel.TierCost(
            nodes: layout.end.count, communication: max(0, direct.seconds - endCompute),
            processing: scaled(endInfo.benchmark?.modelSeconds ?? endCompute, endInfo), accuracy: endInfo.card.metrics?.coarseAccuracy)

        func upper(_ names: [String]) async throws(JobError) -> CostModel.TierCost? {
            guard let name = names.first, let info = infos[name] else { return nil }
            let spec = try node(name)
            let meta = TaskMetadata(taskID: "calibration/\(spec.role.rawValue)", source: "coordinator", route: [name])
            let relayed: NodeClient.Exchange
            do {
                relayed = try await client.infer(node: end, model: info.model.name, inputs: [images], metadata: meta,
                                                 timeout: topology.defaults.requestTimeout)
            } catch { throw .calibration("relay through \(end.name) to \(name): \(error)") }
            if c.scheme == .escalate, spec.role == .edge,
               let eta = relayed.outputs.first?.normalizedEntropyRows(logits: info.card.output.kind == "logits"), !eta.isEmpty {
                let threshold = c.threshold ?? EscalationScheme.defaultThreshold
                escalatedShare = Double(eta.filter { $0 > threshold }.count) / Double(eta.count)
            }
            let hops = relayed.metadata?.path ?? []
            guard hops.count >= 2, let relayHop = hops.first(where: { $0.node == end.name }),
                  let upperHop = hops.first(where: { $0.node == name }),
                  let relayEnd = relayHop.answered, let upperEnd = upperHop.answered else {
                throw .calibration("the relay through \(end.name) to \(name) returned no hop timestamps")
            }
            let head = relayHop.busy
            let upperTime = upperEnd - upperHop.received
            let communication = max(0, (relayEnd - relayHop.received) - head - upperTime)
            let split = spec.trust == .undependable
            let processing = split ? (info.benchmark?.tailSeconds ?? info.benchmark?.modelSeconds) : info.benchmark?.modelSeconds
            return CostModel.TierCost(nodes: names.count, communication: communication,
                                      processing: scaled(processing ?? upperTime, info),
                                      splitHead: split ? scaled(endInfo.benchmark?.headSeconds[info.model.name] ?? head, endInfo) : 0,
                                      accuracy: info.card.metrics?.fineAccuracy)
        }
        let needs = c.scheme.needs
        let edge = needs.contains(.edge) ? try await upper(layout.edge) : nil
        let cloud = needs.contains(.cloud) ? try await upper(layout.cloud) : nil
        let tasks = (data.count + c.batch - 1) / c.batch
        return CostModel(batch: c.batch, tasks: tasks, end: endCost, edge: edge, cloud: cloud, escalatedShare: escalatedShare)
    }

    private func node(_ name: String) throws(JobError) -> NodeSpec {
        do { return try topology.node(name) } catch { throw .invalid("\(error)") }
    }

    /// A benchmark figure for `info`'s benchmark batch, scaled to the job's batch.
    private func scaled(_ seconds: Double, _ info: NodeInfo) -> Double {
        guard let b = info.benchmark?.batch, b > 0 else { return seconds }
        return seconds * Double(configuration.batch) / Double(b)
    }
}
