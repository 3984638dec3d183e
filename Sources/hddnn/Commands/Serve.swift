import ArgumentParser
import Foundation
import HDDNNCluster
import HDDNNRuntime
import Hummingbird
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one HDDNN node: an Open Inference Protocol v2 server for its model.",
        discussion: """
            A node is one process. With --config and --node it takes its model, port, role, trust, \
            threads and emulated slowdown from the topology file and knows its peers (to relay \
            tasks and emulate links). Without --config, --model and --port describe a standalone \
            node. It benchmarks its model at start (its t_p, eq. 1-11) and reports ready only then.

              hddnn serve --config configs/local.yaml --node end-1
              hddnn serve --model models/edge-resnet.onnx --port 8000 --role edge

            In a container (KServe's storage initializer puts the model under /mnt/models):
              hddnn serve --model /mnt/models --model-name my-model --host 0.0.0.0 --port 8080
            SIGTERM stops it cleanly: it stops accepting connections, finishes the requests in \
            flight, then exits 0.

            Call it with any OIP v2 client (Triton's tritonclient.http, KServe's), e.g.
              curl localhost:8000/v2/health/ready
              curl localhost:8000/v2/models/edge-resnet
            Prometheus metrics are at /metrics, the node's benchmark at /hddnn/v1/node. Models \
            in the node's folder (NAME/<v>/model.onnx, or NAME.onnx as version 1) load and unload \
            at run time with POST /v2/repository/models/NAME/load and /unload (admin tokens).
            """)

    @Option(help: "Topology file (YAML).")
    var config: String?

    @Option(help: "This node's name in the topology.")
    var node: String?

    @Option(help: "Standalone: the ONNX model to serve (with NAME.card.json beside it; without one it is served as a plain OIP model), or a folder holding one (such as KServe's /mnt/models).")
    var model: String?

    @Option(help: "A second name the model answers to at /v2/models/NAME (on KServe: the InferenceService's name).")
    var modelName: String?

    @Option(help: "Standalone: this node's role (end, edge, cloud).")
    var role: String = "edge"

    @Option(help: "Standalone: dependable or undependable.")
    var trust: String = "dependable"

    @Option(help: "Port to listen on (overrides the topology; 0 picks a free one).")
    var port: Int?

    @Option(help: "Address to listen on (overrides the topology).")
    var host: String?

    @Option(help: "Standalone: engine threads.")
    var threads: Int = 1

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @Flag(help: "Exit when the parent process exits (set by hddnn demo and run, which start nodes).")
    var exitWithParent = false

    @OptionGroup var tracing: TraceOptions

    func validate() throws {
        if config == nil && model == nil { throw ValidationError("give --config and --node, or --model and --port") }
        if config != nil && node == nil { throw ValidationError("--config needs --node NAME") }
        if let port, !(0..<65536).contains(port) { throw ValidationError("--port must be 0...65535") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not a log level") }
    }

    func run() async throws {
        bootstrapLogging(logLevel)
        BLAS.setThreads(1)
        let topology: Topology
        let name: String
        if let config, let node {
            topology = try Topology.load(config)
            name = node
        } else {
            guard let role = NodeRole(rawValue: role), let trust = Trust(rawValue: trust) else {
                throw ValidationError("--role must be end, edge or cloud; --trust dependable or undependable")
            }
            let url = try ModelFolder.model(at: model!)
            name = ModelRepository.locate(url).name
            let spec = NodeSpec(name: name, role: role, trust: trust, model: url.path,
                                host: host ?? "127.0.0.1", port: port ?? 8000, threads: threads)
            // A standalone node is a topology of one.
            topology = try Topology(nodes: [spec], baseDirectory: url.deletingLastPathComponent())
        }
        if exitWithParent { watchParent() }
        let service = try NodeService(topology: topology, node: name, servedAs: modelName)
        let server = try NodeServer(service: service)
        let app = try server.application(host: host, port: port) { port in
            service.logger.info("listening", metadata: ["port": "\(port)", "model": "\(service.modelName)",
                                                        "role": "\(service.spec.role.rawValue)", "trust": "\(service.spec.trust.rawValue)"])
        }
        try await tracing.exporting(as: name) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.runService() }
                group.addTask {
                    do { try await service.warmUp() } catch {
                        service.logger.error("warm-up failed; the node stays unready", metadata: ["error": "\(error)"])
                    }
                }
                try await group.next()
                try await group.next()
            }
        }
    }
}

/// Where `--model` points: an ONNX file, or a folder holding one model (KServe mounts a model's
/// storage at /mnt/models): one `NAME.onnx`, or one model in the repository layout
/// (`NAME/<v>/model.onnx`, the highest version served).
enum ModelFolder {
    static func model(at path: String) throws -> URL {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else { return url }
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
        let flat = entries.filter { $0.hasSuffix(".onnx") }
        let layered = entries.filter { name in
            !name.hasPrefix(".") && ((try? ModelRepository.files(of: name, in: url))?.contains { $0.url.lastPathComponent == "model.onnx" } ?? false)
        }
        switch (flat.count, layered.count) {
        case (1, 0): return url.appendingPathComponent(flat[0])
        case (0, 1): return try ModelRepository.files(of: layered[0], in: url).last!.url
        case (0, 0): throw ValidationError("no model in \(path): expected one NAME.onnx or NAME/<version>/model.onnx")
        default:
            throw ValidationError("\(path) holds several models (\((flat + layered).joined(separator: ", "))); give --model the file to serve")
        }
    }
}
