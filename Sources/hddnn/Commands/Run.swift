import ArgumentParser
import Foundation
import HDDNNCluster
import HDDNNScheduling
import Logging

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a classification job over HDDNN nodes with a scheduling scheme.",
        discussion: """
            Sends Fashion-MNIST test images in tasks of --batch to the end devices of the topology \
            (coarse label first), and on to edge or cloud nodes for the fine label as the scheme \
            says: end, end-edge, end-cloud or mapping (paper §3.4, eq. 1-11), or ours: earliest-finish, or \
            escalate (the edge answers every image, the cloud only those the edge is unsure of, \
            normalized entropy above --threshold). Before the job it \
            measures t_p (each node's start-up benchmark) and t_c (real exchanges) and prints what \
            the equations predict next to what happened.

            The nodes must be running (`hddnn serve --config ... --node NAME` for each), or pass \
            --start to start them all on this machine. Results go to a journal (SQLite) as they \
            arrive; --resume finishes an interrupted run of the same job without redoing tasks. \
            Every task ends with one final result (a fine label, or the coarse label with the \
            reason it is final) or is counted lost with its reason; a job with a lost task exits \
            with status 3 and lists them.

              hddnn run --config configs/local.yaml --start --scheme mapping --images 2000
              hddnn run --config configs/local.yaml --start --scheme end-edge \\
                  --kill end-2@30% --fault-policy monitor
              hddnn run --config configs/local.yaml --start --scheme escalate \\
                  --threshold 0.1
              hddnn run --config configs/local.yaml --start --kill edge-1@20%+2s
                  # edge-1 killed at 20 % of the tasks, started again 2 s later
            """)

    @Option(help: "Topology file (YAML).")
    var config: String

    @Option(help: "Scheme: end, end-edge, end-cloud, mapping (the paper's), or earliest-finish, escalate (ours).")
    var scheme: SchemeKind = .mapping

    @OptionGroup var job: JobOptions

    @Flag(help: "Start the topology's nodes as local processes for this job and stop them after.")
    var start = false

    @Option(help: "Write the full report (every task's metadata) as JSON here.")
    var json: String?

    @Option(help: "Journal file (SQLite).")
    var journal: String = ".hddnn/journal.sqlite"

    @Flag(help: "Resume the journal's unfinished run of the same job.")
    var resume = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "warning"

    @OptionGroup var tracing: TraceOptions

    func run() async throws {
        bootstrapLogging(logLevel)
        try await tracing.exporting(as: "coordinator") { try await runJob() }
    }

    private func runJob() async throws {
        let topology = try Topology.load(config)
        var cluster: LocalCluster?
        if start {
            cluster = try await startCluster(topology: topology, configPath: config, logDirectory: URL(fileURLWithPath: ".hddnn/logs"),
                                             nodeArguments: tracing.nodeArguments)
        }
        defer { cluster?.stop() }
        let journalURL = URL(fileURLWithPath: journal)
        try? FileManager.default.createDirectory(at: journalURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        let line = JobProgressLine()
        let runner = JobRunner(topology: topology, configuration: try job.configuration(scheme: scheme),
                               journal: try Journal(path: journal), faults: cluster, progress: { line.update($0) })
        let report = try await SignalGuard.shared.interruptible { try await runner.run(resume: resume) }
        line.finish()
        print(JobReport.table([report]))
        printDetails(report)
        print("journal: \(journal) (job \(report.jobID)\(report.resumed ? ", resumed" : ""))")
        if let json {
            try report.json().write(to: URL(fileURLWithPath: json))
            print("report: \(json)")
        }
        try exitIfLost([report])
    }
}

/// Says which tasks were lost and why, and exits with status 3, when any was.
func exitIfLost(_ reports: [JobReport]) throws {
    let lost = reports.filter { $0.tasksLost > 0 }
    guard !lost.isEmpty else { return }
    for r in lost {
        FileHandle.standardError.write(Data("error: \(r.scheme): \(r.tasksLost) of \(r.tasks) task(s) lost (job \(r.jobID))\n".utf8))
        for t in r.lostTasks.prefix(20) {
            FileHandle.standardError.write(Data("  task \(t.task) (images \(t.firstImage)-\(t.firstImage + t.count - 1)): \(t.reason.map(String.init(describing:)) ?? "no reason recorded")\n".utf8))
        }
        if r.lostTasks.count > 20 { FileHandle.standardError.write(Data("  ... and \(r.lostTasks.count - 20) more (see the journal)\n".utf8)) }
        for v in r.audit.violations { FileHandle.standardError.write(Data("  invariant broken: \(v)\n".utf8)) }
    }
    throw ExitCode(3)
}

func bootstrapLogging(_ level: String) {
    let level = Logger.Level(rawValue: level) ?? .warning
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}

/// Starts every node of `topology` as a local process, printing progress, and stops them on
/// SIGINT/SIGTERM too.
func startCluster(topology: Topology, configPath: String, logDirectory: URL, nodeArguments: [String] = []) async throws -> LocalCluster {
    // Under TLS, mint what the processes need on first use (the CA, then one certificate each).
    for line in try ClusterPKI.ensure(topology) { FileHandle.standardError.write(Data("pki: \(line)\n".utf8)) }
    if topology.tls == nil {
        FileHandle.standardError.write(Data("warning: \(configPath) says `tls: off`: nodes answer plain HTTP, callers are not authenticated\n".utf8))
    }
    let cluster = LocalCluster(topology: topology, configPath: configPath, executable: LocalCluster.currentExecutable,
                               logDirectory: logDirectory, nodeArguments: nodeArguments)
    SignalGuard.shared.protect(cluster)
    FileHandle.standardError.write(Data("starting \(topology.nodes.count) nodes (logs in \(logDirectory.path))...\n".utf8))
    try await cluster.start { message in
        if ProcessInfo.processInfo.environment["HDDNN_VERBOSE"] != nil { FileHandle.standardError.write(Data((message + "\n").utf8)) }
    }
    FileHandle.standardError.write(Data("all \(topology.nodes.count) nodes ready\n".utf8))
    return cluster
}

/// Stops the clusters this process started when it is interrupted (Ctrl-C) or terminated.
final class SignalGuard: @unchecked Sendable {
    static let shared = SignalGuard()
    private var clusters: [LocalCluster] = []
    private var sources: [DispatchSourceSignal] = []
    private var interrupted = false
    private let lock = NSLock()

    /// Runs `body`; if it fails because an interrupt is stopping the nodes under it, waits for
    /// the interrupt to end the process (exit 130) instead of reporting the failure.
    func interruptible<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch {
            if lock.withLock({ interrupted }) { try? await Task.sleep(for: .seconds(60)) }
            throw error
        }
    }

    func protect(_ cluster: LocalCluster) {
        lock.lock(); defer { lock.unlock() }
        clusters.append(cluster)
        guard sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                FileHandle.standardError.write(Data("\ninterrupted: stopping the nodes this command started\n".utf8))
                let all = lock.withLock { interrupted = true; return clusters }
                for c in all { c.stop() }
                exit(sig == SIGINT ? 130 : 143)
            }
            source.resume()
            sources.append(source)
        }
    }
}
