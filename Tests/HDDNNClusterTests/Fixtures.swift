import Foundation
import HDDNNCluster

enum Fixtures {
    /// The repository root (tests run from anywhere).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let models = root.appendingPathComponent("models")
    static let hddnn = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hddnn")

    /// One end node and one undependable edge node, small benchmark batch, for in-process tests.
    static func topology(maxBody: Int = 8 << 20, basePort: Int = 0) throws -> Topology {
        var defaults = Topology.Defaults()
        defaults.benchmarkBatch = 4
        defaults.maxBodyBytes = maxBody
        defaults.timeout = 0.5
        return try Topology(
            nodes: [
                NodeSpec(name: "end-1", role: .end, trust: .dependable, model: models.appendingPathComponent("end-mobilenet.onnx").path, port: basePort + 1),
                NodeSpec(name: "edge-1", role: .edge, trust: .undependable, model: models.appendingPathComponent("edge-resnet.onnx").path, port: basePort + 2),
            ],
            defaults: defaults, baseDirectory: root)
    }

    /// A free TCP port on loopback.

    /// Deterministic pseudo-images: `count` UINT8 images of 1x28x28.
    static func images(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
        var rng = seed
        return (0..<(count * 784)).map { _ in
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: rng >> 56)
        }
    }
}
