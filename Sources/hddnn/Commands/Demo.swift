import ArgumentParser
import Foundation
import HDDNNCluster
import HDDNNScheduling

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a whole HDDNN cluster on this machine, run every scheme, compare them.",
        discussion: """
            Starts every node of the topology (default: the embedded copy of configs/local.yaml, \
            4 end devices, 2 edge devices, 1 cloud, links emulated) as a real `hddnn serve` \
            process on loopback, runs the same job under End, End-Edge, End-Cloud and Mapping, \
            and ours, Earliest-Finish and Escalate (per-image escalation by confidence), \
            then the Mapping job again with an end device killed (SIGKILL) under the Monitor \
            policy, and prints the comparison: finish time next to what eq. 1-11 predict, \
            coarse and fine latency, accuracy, bytes moved, tasks lost. Every process it started \
            is stopped at the end, and on Ctrl-C.

              hddnn demo                      # from the repository root (uses models/)
              hddnn demo --images 10000 --config configs/paper.yaml
            """)

    @Option(help: "Topology file (default: the embedded local topology, models from --models).")
    var config: String?

    @Option(help: "Folder holding the shipped models, for the embedded topology.")
    var models: String = "models"

    @Option(parsing: .upToNextOption, help: "Schemes to run.")
    var schemes: [SchemeKind] = SchemeKind.allCases

    @OptionGroup var job: JobOptions

    @Flag(inversion: .prefixedNo, help: "Also run Mapping with an end device killed mid-job under the fault policy.")
    var faultRun = true

    @Option(help: "Write every report (with each task's metadata) as JSON into this folder.")
    var jsonDir: String?

    @Option(help: "Log level for the coordinator: trace, debug, info, notice, warning, error.")
    var logLevel: String = "error"

    @OptionGroup var tracing: TraceOptions

    func run() async throws {
        bootstrapLogging(logLevel)
        try await tracing.exporting(as: "coordinator") { try await runDemo() }
    }

    private func runDemo() async throws {
        let work = URL(fileURLWithPath: ".hddnn/demo")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let configPath: String
        if let config {
            configPath = config
        } else {
            let modelsDir = URL(fileURLWithPath: models).standardizedFileURL
            guard FileManager.default.fileExists(atPath: modelsDir.appendingPathComponent("end-mobilenet.onnx").path) else {
                throw ValidationError("no models in '\(models)'; run from the repository root or pass --models DIR")
            }
            let pki = URL(fileURLWithPath: ".hddnn/pki").standardizedFileURL.path
            let text = Topology.localYAML.replacingOccurrences(of: "model: models/", with: "model: \(modelsDir.path)/")
                .replacingOccurrences(of: " .hddnn/pki", with: " \(pki)")
            configPath = work.appendingPathComponent("local.yaml").path
            try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        }
        let topology = try Topology.load(configPath)
        let cluster = try await startCluster(topology: topology, configPath: configPath, logDirectory: work.appendingPathComponent("logs"),
                                             nodeArguments: tracing.nodeArguments)
        defer { cluster.stop() }
        let journal = try Journal(path: work.appendingPathComponent("journal.sqlite").path)

        var runs: [(SchemeKind, JobConfiguration)] = try schemes.map { ($0, try job.configuration(scheme: $0)) }
        let ends = topology.nodes(.end).map(\.name)
        if faultRun, ends.count > 1, let last = ends.last {
            var c = try job.configuration(scheme: .mapping)
            c.kills = [.init(node: last, afterFraction: 0.3)]
            runs.append((.mapping, c))
        }
        var reports: [JobReport] = []
        let line = JobProgressLine()
        for (scheme, configuration) in runs {
            let runner = JobRunner(topology: topology, configuration: configuration, journal: journal,
                                   faults: cluster, progress: { line.update($0) })
            var report = try await SignalGuard.shared.interruptible { try await runner.run() }
            line.finish()
            if !configuration.kills.isEmpty { report.scheme += " + kill \(configuration.kills[0].node) (\(configuration.faultPolicy.rawValue))" }
            reports.append(report)
            if let jsonDir {
                try FileManager.default.createDirectory(atPath: jsonDir, withIntermediateDirectories: true)
                try report.json().write(to: URL(fileURLWithPath: jsonDir).appendingPathComponent("\(scheme.rawValue)\(configuration.kills.isEmpty ? "" : "-fault").json"))
            }
        }
        let ms = topology.nodes.map { n in "\(n.name) (\(n.role.rawValue), \(n.trust.rawValue))" }.joined(separator: ", ")
        print("\nHDDNN demo: \(job.images) Fashion-MNIST test images in tasks of \(job.batch); nodes: \(ms)")
        print(JobReport.table(reports))
        print("\nWhat the numbers rest on (t_c measured from real exchanges, t_p from each node's start-up benchmark):")
        for r in reports { printDetails(r) }
        if let first = reports.first {
            print("\nEmulated, not real:")
            for e in first.emulated { print("  - \(e)") }
        }
        print("\nfinish s: measured; eq. s: what the scheme's equations predict from the measured costs.")
        print("latency: per image, from a task's dispatch to its label; fine acc is over images that got a fine label.")
        try exitIfLost(reports)
    }
}
