import Foundation
import HDDNNCluster
import HDDNNScheduling

/// Table 5: what the split costs a task bound for the cloud (eq. 14-16), with the split's head
/// run on an end device or on an edge device, at the paper's latencies 0.5, 1, 1.5 and 2 s per
/// exchange (bandwidth unlimited, as the paper assumed), then at 0.5 s over a bandwidth sweep.
///
/// - T_raw (eq. 14): the raw UINT8 task sent straight to the cloud over the same link, as if
///   the cloud were dependable;
/// - T_split (eq. 15): the task starts on the device that runs the head (end-1 or edge-1), which
///   sends the feature maps to the cloud and relays the answer;
/// - overhead = (T_split - T_raw) / T_raw, the paper's percentage (eq. 16: t̂_c - t_c + t_e).
/// Each figure is the median of sequential tasks of 50 images.
struct Table5Experiment {
    struct Row: Codable {
        var latency: Double
        var bandwidth: String
        var rawSeconds: Double
        var splitOnEndSeconds: Double
        var splitOnEdgeSeconds: Double
        var overheadOnEnd: Double
        var overheadOnEdge: Double
        var rawBytes: Int
        var splitBytes: Int
    }

    struct Result: Codable {
        var latencyRows: [Row]
        var bandwidthRows: [Row]
        var tasks: Int
        var cpu: String
    }

    func run(_ ctx: ExperimentContext) async throws -> Result {
        let tasks = ctx.full ? 15 : 4
        let images = try JobData.fashionMNIST(directory: ctx.dataDirectory, limit: 50).tensor(first: 0, count: 50, name: "input")
        var latencyRows: [Row] = []
        for wait in [0.5, 1.0, 1.5, 2.0] {
            latencyRows.append(try await measure(ctx, images: images, wait: wait, bandwidth: "unlimited", tasks: tasks))
        }
        var bandwidthRows: [Row] = []
        for bw in ["1Gbit/s", "100Mbit/s", "20Mbit/s", "5Mbit/s"] {
            bandwidthRows.append(try await measure(ctx, images: images, wait: 0.5, bandwidth: bw, tasks: tasks))
        }
        return Result(latencyRows: latencyRows, bandwidthRows: bandwidthRows, tasks: tasks, cpu: cpuName())
    }

    private func measure(_ ctx: ExperimentContext, images: WireTensor, wait: Double, bandwidth: String, tasks: Int) async throws -> Row {
        ctx.log("  table5: wait \(wait) s, bandwidth \(bandwidth)")
        var yaml = ctx.paperTopology(endDevices: 1, edges: 2, edgeLatency: 0, cloudLatency: wait / 2, bandwidth: bandwidth)
        // The device running the head is where the task starts: the coordinator reaches it for free.
        yaml = yaml.replacingOccurrences(of: "  - { from: coordinator, to: \"end-*\", latency: 0ms }",
                                         with: "  - { from: coordinator, to: \"end-*\", latency: 0ms, bandwidth: unlimited }\n  - { from: coordinator, to: \"edge-*\", latency: 0ms, bandwidth: unlimited }")
        let cluster = try await ctx.startCluster("table5-\(wait)-\(bandwidth.replacingOccurrences(of: "/", with: ""))", yaml: yaml)
        defer { cluster.stop() }
        let cloud = try cluster.topology.node("cloud")

        // Raw: the coordinator stands where an end device is, on the same link to the cloud.
        var direct = cluster.topology
        direct.links = [LinkSpec(from: "coordinator", to: "cloud", latency: wait / 2, bandwidth: try Quantity.bytesPerSecond(bandwidth, field: "bandwidth"))]
        let rawClient = NodeClient(origin: "coordinator", topology: direct)
        let client = NodeClient(origin: "coordinator", topology: cluster.topology)
        defer { Task { await rawClient.shutdown(); await client.shutdown() } }
        var raw: [Double] = []
        var split: [String: [Double]] = [:]
        var rawBytes = 0, splitBytes = 0
        for t in 0..<tasks {
            let r = try await rawClient.infer(node: cloud, model: "cloud-wrn", inputs: [images], metadata: nil, timeout: 600)
            raw.append(r.seconds)
            rawBytes = r.requestBytes + r.responseBytes
            for via in ["end-1", "edge-1"] {
                let node = try cluster.topology.node(via)
                let meta = TaskMetadata(taskID: "table5/\(t)", source: "coordinator", route: ["cloud"])
                let x = try await client.infer(node: node, model: "cloud-wrn", inputs: [images], metadata: meta, timeout: 600)
                split[via, default: []].append(x.seconds)
                splitBytes = x.metadata?.bytesSent ?? 0
            }
        }
        let tr = median(raw), te = median(split["end-1"]!), tg = median(split["edge-1"]!)
        return Row(latency: wait, bandwidth: bandwidth, rawSeconds: tr, splitOnEndSeconds: te, splitOnEdgeSeconds: tg,
                   overheadOnEnd: (te - tr) / tr, overheadOnEdge: (tg - tr) / tr, rawBytes: rawBytes, splitBytes: splitBytes)
    }
}
