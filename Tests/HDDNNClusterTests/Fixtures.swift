import Foundation
import HDDNNCluster
import HDDNNTestSupport

enum Fixtures {
    /// One end node and one undependable edge node, small benchmark batch, for in-process tests.
    static func topology(maxBody: Int = 8 << 20, basePort: Int = 0) throws -> Topology {
        var defaults = Topology.Defaults()
        defaults.benchmarkBatch = 4
        defaults.maxBodyBytes = maxBody
        defaults.timeout = 0.5
        return try Topology(
            nodes: [
                NodeSpec(name: "end-1", role: .end, trust: .dependable, model: Repository.models.appendingPathComponent("end-mobilenet.onnx").path, port: basePort + 1),
                NodeSpec(name: "edge-1", role: .edge, trust: .undependable, model: Repository.models.appendingPathComponent("edge-resnet.onnx").path, port: basePort + 2),
            ],
            defaults: defaults, baseDirectory: Repository.root)
    }
}
