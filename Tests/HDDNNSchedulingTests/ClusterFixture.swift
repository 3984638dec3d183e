import Foundation
import HDDNNCluster
import HDDNNData
import HDDNNRuntime
import HDDNNScheduling

/// Real node processes on loopback for the integration tests, one cluster per topology, started
/// once and left to exit with the test process (`--exit-with-parent`).
enum ClusterFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let models = root.appendingPathComponent("models").path
    static let hddnn = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hddnn")
    static let data = "/usr/share/datasets/fashion-mnist"


    static func workspace(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hddnn-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// `nodes`: (name, role, trust, model file). Short emulated links so tests stay quick.
    static func start(_ name: String, nodes: [(String, String, String, String)], timeout: String = "500ms") async throws -> LocalCluster {
        let dir = try workspace(name)
        var yaml = """
            defaults: { timeout: \(timeout), request_timeout: 60s, benchmark_batch: 50 }
            nodes:

            """
        for (n, role, trust, model) in nodes {
            yaml += "  - { name: \(n), role: \(role), trust: \(trust), model: \(model.hasPrefix("/") ? model : models + "/" + model), port: \(LocalCluster.freeLoopbackPort()) }\n"
        }
        yaml += """
            links:
              - { from: "end-*", to: "edge-*", latency: 5ms, bandwidth: 1Gbit/s }
              - { from: "end-*", to: "cloud*", latency: 10ms, bandwidth: 500Mbit/s }

            """
        let path = dir.appendingPathComponent("topology.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let cluster = LocalCluster(topology: try Topology.load(path), configPath: path, executable: hddnn,
                                   logDirectory: dir.appendingPathComponent("logs"))
        try await cluster.start(timeout: 180)
        return cluster
    }

    /// The labels `model` (a file of models/) gives on our engine for the first `images` test
    /// images, fed as a node sees them: UINT8 pixels scaled back by 1/255.
    static func wholeModelLabels(_ model: String, images: Int) throws -> [Int] {
        let carded = try CardedModel.load(onnx: URL(fileURLWithPath: models + "/" + model))
        let reader = try FashionMNIST.open(directory: data)
        guard let batch = try reader.next(maxCount: images), batch.count == images else { throw JobError.data("fewer than \(images) test images") }
        let pixels = batch.images.floats.map { Float(UInt8(($0 * 255).rounded())) / 255 }
        let logits = try carded.session.run([carded.card.input.name: Tensor(shape: batch.images.shape, floats: pixels)])[carded.card.output.name]!
        let width = carded.card.output.labels.count
        return (0..<images).map { r in (0..<width).max { logits.floats[r * width + $0] < logits.floats[r * width + $1] }! }
    }

    static func journal(_ name: String) throws -> Journal {
        try Journal(path: try workspace(name).appendingPathComponent("journal.sqlite").path)
    }

    static func run(_ cluster: LocalCluster, _ configuration: JobConfiguration, journal: Journal? = nil,
                    resume: Bool = false) async throws -> JobReport {
        let runner = JobRunner(topology: cluster.topology, configuration: configuration, journal: try journal ?? self.journal("job"),
                               faults: cluster)
        return try await runner.run(resume: resume)
    }
}

/// The shared healthy cluster: 2 end devices, a dependable edge device, an undependable cloud.
actor HealthyCluster {
    static let shared = HealthyCluster()
    private var cluster: LocalCluster?

    func get() async throws -> LocalCluster {
        if let cluster { return cluster }
        let c = try await ClusterFixture.start("healthy", nodes: [
            ("end-1", "end", "dependable", "end-mobilenet.onnx"),
            ("end-2", "end", "dependable", "end-mobilenet.onnx"),
            ("edge-1", "edge", "dependable", "edge-resnet.onnx"),
            ("cloud", "cloud", "undependable", "cloud-wrn.onnx"),
        ])
        cluster = c
        return c
    }
}

/// A cluster for tests that kill nodes: started once, and every node that a previous test killed
/// is started again before the next one gets it.
actor RestartingCluster {
    private let name: String
    private let nodes: [(String, String, String, String)]
    private let timeout: String
    private var cluster: LocalCluster?

    init(_ name: String, nodes: [(String, String, String, String)], timeout: String = "300ms") {
        self.name = name
        self.nodes = nodes
        self.timeout = timeout
    }

    func get() async throws -> LocalCluster {
        if let cluster {
            let dead = cluster.topology.nodes.map(\.name).filter { !cluster.isRunning($0) }
            if !dead.isEmpty { try await cluster.start(dead, timeout: 120) }
            return cluster
        }
        let c = try await ClusterFixture.start(name, nodes: nodes, timeout: timeout)
        cluster = c
        return c
    }
}
