import Foundation
import HDDNNCluster
import HDDNNScheduling
import Logging

/// What every experiment of the paper reproduction needs: where things are, how big to run, and
/// helpers to start clusters, run jobs and write results.
///
/// Every experiment runs in bounded time on a 2-core machine by default (fewer images, the same
/// batch size and the same emulated waits); `full` runs the paper's sizes.
public struct ExperimentContext: Sendable {
    /// The `hddnn` binary (nodes and benchmarks run as their own processes).
    public var executable: URL
    public var models: URL
    public var dataDirectory: String
    /// Where results (JSON) and scratch files go.
    public var output: URL
    public var full: Bool
    public var log: @Sendable (String) -> Void

    public init(executable: URL, models: URL, dataDirectory: String, output: URL, full: Bool,
                log: @escaping @Sendable (String) -> Void) {
        self.executable = executable
        self.models = models
        self.dataDirectory = dataDirectory
        self.output = output
        self.full = full
        self.log = log
    }

    /// Images per job: the paper's 10,000 with `full`, else `quick`.
    public func images(quick: Int) -> Int { full ? 10_000 : quick }

    var scratch: URL { output.appendingPathComponent("scratch") }

    /// Writes `yaml` as a topology file and starts its nodes, one at a time.
    func startCluster(_ name: String, yaml: String) async throws -> LocalCluster {
        let dir = scratch.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("topology.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let cluster = LocalCluster(topology: try Topology.load(path), configPath: path, executable: executable,
                                   logDirectory: dir.appendingPathComponent("logs"))
        log("  starting \(cluster.topology.nodes.count) nodes for \(name)")
        try await cluster.start(timeout: 300)
        return cluster
    }

    func journal(_ name: String) throws -> Journal {
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        return try Journal(path: scratch.appendingPathComponent("\(name).sqlite").path)
    }

    func run(_ cluster: LocalCluster, _ configuration: JobConfiguration, journal: Journal) async throws -> JobReport {
        var c = configuration
        c.dataDirectory = dataDirectory
        let runner = JobRunner(topology: cluster.topology, configuration: c, journal: journal, faults: cluster,
                               logger: Logger(label: "hddnn.experiment"))
        return try await runner.run()
    }

    /// Writes an experiment's result as `NAME.json` in `output`.
    func write<T: Encodable>(_ value: T, name: String) throws -> URL {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let url = output.appendingPathComponent("\(name).json")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(value).write(to: url)
        return url
    }

    /// Runs `hddnn ARGS` and returns its standard output.
    func hddnn(_ arguments: [String]) throws -> Data {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ExperimentError.command(arguments.joined(separator: " "), p.terminationStatus) }
        return data
    }

    /// Starts `hddnn ARGS` as its own process (output discarded) and returns it running.
    func launch(_ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// The paper's testbed (8 end, 4 edge, 1 cloud) with its waits, written for `models`.
    /// `edgeLatency` / `cloudLatency` are one-way; the paper's waits are per exchange.
    /// `slowdown` by role emulates slower machines (a node k times slower waits (k-1) x its
    /// measured compute while holding its turn).
    func paperTopology(endDevices: Int = 8, edges: Int = 4, edgeLatency: Double = 0.25, cloudLatency: Double = 0.5,
                       bandwidth: String = "unlimited", timeout: String = "2s", cloudTrust: String = "undependable",
                       slowdown: [NodeRole: Double] = [:]) -> String {
        func k(_ role: NodeRole) -> String { slowdown[role].map { ", slowdown: \($0)" } ?? "" }
        var y = """
            # Written by `hddnn experiment`: the paper's testbed on this machine (every node a process).
            defaults: { timeout: \(timeout), request_timeout: 600s, benchmark_batch: 50, bandwidth: \(bandwidth) }
            nodes:

            """
        let base = 20_000 + Int.random(in: 0..<400) * 20
        for i in 1...endDevices {
            y += "  - { name: end-\(i), role: end, trust: dependable, model: \(models.path)/end-mobilenet.onnx, port: \(base + i), threads: 1\(k(.end)) }\n"
        }
        for i in 0..<edges {
            let trust = i < edges / 2 ? "dependable" : "undependable"
            y += "  - { name: edge-\(i + 1), role: edge, trust: \(trust), model: \(models.path)/edge-resnet.onnx, port: \(base + 10 + i), threads: 2\(k(.edge)) }\n"
        }
        y += "  - { name: cloud, role: cloud, trust: \(cloudTrust), model: \(models.path)/cloud-wrn.onnx, port: \(base + 19), threads: 2\(k(.cloud)) }\n"
        y += """
            links:
              - { from: coordinator, to: "end-*", latency: 0ms }
              - { from: "end-*", to: "edge-*", latency: \(edgeLatency)s }
              - { from: "edge-*", to: cloud, latency: \(cloudLatency)s }
              - { from: "end-*", to: cloud, latency: \(cloudLatency)s }

            """
        return y
    }
}

/// The middle value (the upper one of an even count), as every experiment reports repeated runs.
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

public enum ExperimentError: Error, CustomStringConvertible {
    case command(String, Int32)
    case missing(String)

    public var description: String {
        switch self {
        case .command(let c, let s): "`hddnn \(c)` exited with \(s)"
        case .missing(let m): m
        }
    }
}
