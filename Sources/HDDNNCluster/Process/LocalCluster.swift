import Foundation
import Logging
import Synchronization

/// Starts every node of a topology as its own `hddnn serve` process on this machine, waits until
/// each is ready, and stops them: what `hddnn demo`, the experiments and the integration tests
/// use to get a real cluster on loopback.
///
/// Each child is started with `--exit-with-parent`, so it also goes if this process is killed;
/// `stop()` (also run on SIGINT/SIGTERM by the CLI) terminates the rest. `kill(_:)` sends SIGKILL
/// to one node, the fault-injection the paper's Table 6 needs.
public final class LocalCluster: Sendable {
    public let topology: Topology
    public let configPath: String
    public let logDirectory: URL
    private let executable: URL
    /// The subcommand that runs one node (`serve`; the holistic layer's `holistic node`).
    private let command: [String]
    /// Given to every node after its own arguments (such as `--otlp-endpoint URL`).
    private let nodeArguments: [String]
    private let processes = Mutex<[String: Process]>([:])
    private let logger: Logger

    /// - Parameters:
    ///   - executable: the `hddnn` binary to start nodes with.
    ///   - logDirectory: where each node's output goes (`NAME.log`).
    public init(topology: Topology, configPath: String, executable: URL, logDirectory: URL, command: [String] = ["serve"],
                nodeArguments: [String] = [], logger: Logger = Logger(label: "hddnn.cluster")) {
        self.command = command
        self.nodeArguments = nodeArguments
        self.topology = topology
        self.configPath = configPath
        self.executable = executable
        self.logDirectory = logDirectory
        self.logger = logger
    }

    /// The running `hddnn` binary (for the CLI's own use).
    public static var currentExecutable: URL {
        URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
    }

    /// Starts the named nodes (all by default) and waits until all are ready or `timeout` passes.
    ///
    /// One at a time by default: each node benchmarks its model when it starts (its t_p), and
    /// nodes started together on one machine would time each other's load instead of their own.
    /// `stopOnFailure`: a node that exits or is not ready in time stops every node (right when
    /// starting a cluster; a restart during a job passes false, so one node's failure to come
    /// back does not end the others).
    public func start(_ names: [String]? = nil, timeout: Double = 120, oneAtATime: Bool = true, stopOnFailure: Bool = true,
                      progress: (@Sendable (String) -> Void)? = nil) async throws(ClusterError) {
        try? FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        // Under TLS, what the nodes need is minted on first use (the CA, then one certificate each).
        do {
            for line in try ClusterPKI.ensure(topology) { logger.info("pki: \(line)") }
        } catch { throw .cannotStart(node: names?.joined(separator: ", ") ?? "all", reason: "certificates: \(error)") }
        // Foreign OIP servers are someone else's processes: this starts only its own nodes.
        let specs = (names.map { n in topology.nodes.filter { n.contains($0.name) } } ?? topology.nodes).filter { $0.foreign == nil }
        let deadline = ContinuousClock.now + .seconds(timeout)
        if oneAtATime {
            for spec in specs {
                try launch(spec)
                try await waitReady([spec], deadline: deadline, timeout: timeout, stopOnFailure: stopOnFailure, progress: progress)
            }
        } else {
            for spec in specs { try launch(spec) }
            try await waitReady(specs, deadline: deadline, timeout: timeout, stopOnFailure: stopOnFailure, progress: progress)
        }
    }

    private func waitReady(_ specs: [NodeSpec], deadline: ContinuousClock.Instant, timeout: Double, stopOnFailure: Bool,
                           progress: (@Sendable (String) -> Void)?) async throws(ClusterError) {
        let client = NodeClient(origin: "coordinator", topology: topology, emulateSilentFailures: false)
        defer { Task { await client.shutdown() } }
        var pending = Set(specs.map(\.name))
        while !pending.isEmpty {
            for name in pending.sorted() {
                guard let spec = try? topology.node(name) else { continue }
                if await client.isReady(spec, timeout: 1) {
                    pending.remove(name)
                    progress?("node \(name) ready")
                } else if !isRunning(name) {
                    if stopOnFailure { stop() }
                    throw .exited(node: name, log: logDirectory.appendingPathComponent("\(name).log").path, tail: logTail(name))
                }
            }
            if pending.isEmpty { break }
            guard ContinuousClock.now < deadline else {
                if stopOnFailure { stop() }
                throw .notReady(nodes: pending.sorted(), seconds: timeout)
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    private func launch(_ spec: NodeSpec) throws(ClusterError) {
        let process = Process()
        process.executableURL = executable
        process.arguments = command + ["--config", configPath, "--node", spec.name, "--exit-with-parent"] + nodeArguments
        let logURL = logDirectory.appendingPathComponent("\(spec.name).log")
        guard FileManager.default.createFile(atPath: logURL.path, contents: nil),
              let log = try? FileHandle(forWritingTo: logURL) else {
            throw .cannotStart(node: spec.name, reason: "cannot write \(logURL.path)")
        }
        process.standardOutput = log
        process.standardError = log
        do { try process.run() } catch {
            throw .cannotStart(node: spec.name, reason: "\(error)")
        }
        processes.withLock { $0[spec.name] = process }
        logger.debug("started", metadata: ["node": "\(spec.name)", "pid": "\(process.processIdentifier)"])
    }

    public func isRunning(_ name: String) -> Bool {
        processes.withLock { $0[name]?.isRunning ?? false }
    }

    public func pid(_ name: String) -> Int32? { processes.withLock { $0[name]?.processIdentifier } }

    /// SIGKILL: the node dies without a word, as a crashed machine does. Returns false when it
    /// was not running.
    @discardableResult
    public func kill(_ name: String) -> Bool {
        guard let p = processes.withLock({ $0[name] }), p.isRunning else { return false }
        Foundation.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        logger.info("killed", metadata: ["node": "\(name)"])
        return true
    }

    /// Terminates every node still running (SIGTERM, then SIGKILL after a grace period of 10 s,
    /// in which a node finishes its requests in flight and flushes its trace spans; on a loaded
    /// machine that took more than the 3 s this once gave).
    public func stop() {
        let all = processes.withLock { p in defer { p.removeAll() }; return Array(p.values) }
        for p in all where p.isRunning { p.terminate() }
        let deadline = Date().addingTimeInterval(10)
        for p in all {
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning { Foundation.kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        }
    }

    public func logTail(_ name: String, lines: Int = 8) -> String {
        let url = logDirectory.appendingPathComponent("\(name).log")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    deinit { stop() }
}

public enum ClusterError: Error, Sendable, CustomStringConvertible {
    case cannotStart(node: String, reason: String)
    case exited(node: String, log: String, tail: String)
    case notReady(nodes: [String], seconds: Double)

    public var description: String {
        switch self {
        case .cannotStart(let node, let reason): "cannot start node '\(node)': \(reason)"
        case .exited(let node, let log, let tail): "node '\(node)' exited before it was ready (log: \(log)):\n\(tail)"
        case .notReady(let nodes, let s): "nodes \(nodes.joined(separator: ", ")) were not ready after \(Int(s)) s; see their logs"
        }
    }
}
