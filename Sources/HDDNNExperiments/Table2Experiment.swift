import Foundation
import HDDNNCluster
import HDDNNScheduling

/// Table 2: time per image with the communication module off (the engine alone), on with zero
/// latency (a real OIP exchange over loopback, binary tensors), and on with the paper's waits
/// (0.5 s per exchange to an edge device, 1 s to the cloud), for each tier's node.
///
/// "On" is the median of sequential exchanges of one 50-image task from the coordinator, divided
/// by 50; "off" is the engine time the node itself reports for those same requests
/// (`hddnn_compute_ms`), so the difference is the protocol's own cost, measured on one run.
struct Table2Experiment {
    struct Row: Codable {
        var node: String
        var tier: String
        var model: String
        var off: Double
        var zeroLatency: Double
        var wait: Double?
        var waitSeconds: Double?
        var protocolOverhead: Double
    }

    struct Result: Codable {
        var rows: [Row]
        var exchanges: Int
        var batch: Int
        var cpu: String
    }

    func run(_ ctx: ExperimentContext) async throws -> Result {
        let cluster = try await ctx.startCluster("table2", yaml: ctx.paperTopology(endDevices: 1, edges: 2))
        defer { cluster.stop() }
        let data = try JobData.fashionMNIST(directory: ctx.dataDirectory, limit: 50)
        let exchanges = ctx.full ? 40 : 10
        var rows: [Row] = []
        for name in ["end-1", "edge-1", "cloud"] {
            let spec = try cluster.topology.node(name)
            let plain = NodeClient(origin: "coordinator", topology: cluster.topology)
            let info = try await plain.get(NodeInfo.self, node: spec, path: "/hddnn/v1/node")
            await plain.shutdown()
            let images = data.tensor(first: 0, count: 50, name: info.model.inputName)
            /// Median ms per image of the exchange and of the node's own engine time.
            func measure(oneWay: Double) async throws -> (exchange: Double, engine: Double) {
                var topology = cluster.topology
                topology.links = [LinkSpec(from: "coordinator", to: name, latency: oneWay)]
                let client = NodeClient(origin: "coordinator", topology: topology)
                defer { Task { await client.shutdown() } }
                var times: [Double] = [], engine: [Double] = []
                for _ in 0..<exchanges {
                    let x = try await client.infer(node: spec, model: info.model.name, inputs: [images], metadata: nil, timeout: 600)
                    times.append(x.seconds)
                    engine.append((x.response.parameters?["hddnn_compute_ms"]?.double ?? .nan) / 1000)
                }
                return (median(times) / 50 * 1000, median(engine) / 50 * 1000)
            }
            ctx.log("  table2: \(name)")
            let (zero, off) = try await measure(oneWay: 0)
            let wait: Double? = spec.role == .end ? nil : (spec.role == .edge ? 0.5 : 1.0)
            var waited: Double?
            if let wait { waited = try await measure(oneWay: wait / 2).exchange }
            rows.append(Row(node: name, tier: spec.role.rawValue, model: info.model.name, off: off, zeroLatency: zero, wait: waited,
                            waitSeconds: wait, protocolOverhead: zero - off))
        }
        return Result(rows: rows, exchanges: exchanges, batch: 50, cpu: cpuName())
    }
}
