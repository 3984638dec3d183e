import ArgumentParser
import Foundation
import HDDNNCluster
import HDDNNScheduling

extension SchemeKind: ExpressibleByArgument {}
extension FaultPolicy: ExpressibleByArgument {}

/// Flags shared by `run` and `demo`: the job's size and its fault and deadline settings.
struct JobOptions: ParsableArguments {
    @Option(help: "Test images to classify (Fashion-MNIST test split; 10000 is the paper's job).")
    var images: Int = 1000

    @Option(help: "Images per task (the paper's batch is 50).")
    var batch: Int = 50

    @Option(help: "End devices taking part: the first N of the topology's (default: all).")
    var endDevices: Int?

    @Option(help: "What to do when a node fails: none, reassign or monitor (paper §3.6).")
    var faultPolicy: FaultPolicy = .monitor

    @Option(name: .customLong("kill"), help: ArgumentHelp(
        "SIGKILL a node once a share of the tasks have their coarse label, e.g. end-2@30%, or end-2@30%+2s to start it again 2 s later (repeatable; needs nodes this command started).",
        valueName: "node@share"))
    var kills: [String] = []

    @Option(help: ArgumentHelp(
        "SIGKILL this coordinator once this many tasks have their final result, as a crashed machine dies; `--resume` then finishes the job (fault injection for tests).",
        valueName: "tasks"))
    var crashAfter: Int?

    @Option(help: "Per-task deadline for the fine label, e.g. 1.5s; past it the coarse label is the answer.")
    var deadline: String?

    @Option(help: "Mapping's N_map instead of eq. 7 (the paper's evaluation used 1).")
    var nmap: Int?

    @Option(help: ArgumentHelp("Escalate: images whose edge answer has normalized entropy above this go on to the cloud (0...1; default \(EscalationScheme.defaultThreshold)).", valueName: "η"))
    var threshold: Double?

    @Option(help: "Monitor's heartbeat interval, e.g. 500ms.")
    var heartbeat: String = "500ms"

    @Option(help: "Folder with the Fashion-MNIST files.")
    var data: String = "/usr/share/datasets/fashion-mnist"

    // Not `--json`: `hddnn run --json FILE` writes the report.
    @Flag(help: "Send tensors as JSON instead of the binary tensor extension.")
    var jsonTensors = false

    func validate() throws {
        guard images > 0 else { throw ValidationError("--images must be positive") }
        guard batch > 0 && batch <= 4096 else { throw ValidationError("--batch must be 1...4096") }
        if let n = endDevices, n < 1 { throw ValidationError("--end-devices must be at least 1") }
        if let n = nmap, n < 1 { throw ValidationError("--nmap must be at least 1") }
        if let n = crashAfter, n < 1 { throw ValidationError("--crash-after must be at least 1 task") }
        for k in kills where JobConfiguration.Kill(argument: k) == nil {
            throw ValidationError("--kill \(k): expected NODE@SHARE[+RESTART] such as end-2@30%, end-2@0.3 or end-2@30%+2s")
        }
        if let t = threshold, !(0...1).contains(t) { throw ValidationError("--threshold must be within 0...1 (a normalized entropy)") }
        if let deadline { _ = try parseSeconds(deadline, "--deadline") }
        _ = try parseSeconds(heartbeat, "--heartbeat")
    }

    func configuration(scheme: SchemeKind) throws -> JobConfiguration {
        JobConfiguration(scheme: scheme, images: images, batch: batch, endDevices: endDevices, faultPolicy: faultPolicy,
                         kills: kills.compactMap(JobConfiguration.Kill.init(argument:)),
                         deadline: try deadline.map { try parseSeconds($0, "--deadline") }, nmap: nmap, threshold: threshold,
                         heartbeat: try parseSeconds(heartbeat, "--heartbeat"), dataDirectory: data, binary: !jsonTensors,
                         crashAfter: crashAfter)
    }
}

func parseSeconds(_ text: String, _ flag: String) throws -> Double {
    do { return try Quantity.seconds(text, field: flag) } catch { throw ValidationError("\(error)") }
}

/// The live progress line of a job: redrawn in place on a terminal, a line a second otherwise.
final class JobProgressLine: @unchecked Sendable {
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()
    private var lastLine = -1.0
    private var drawn = false

    func update(_ p: JobProgress) {
        lock.lock(); defer { lock.unlock() }
        let live = p.liveEndDevices.map { ", \($0) end devices live" } ?? ""
        let text = String(format: "[%@] %d/%d tasks coarse, %d final (%d fine), %d lost, %.1f s%@",
                          p.scheme, p.coarse, p.total, p.final, p.fine, p.lost, p.seconds, live)
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
            drawn = true
        } else if p.seconds - lastLine >= 1 || p.final == p.total {
            lastLine = p.seconds
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\n".utf8)); drawn = false }
    }
}

/// Prints what a report's numbers rest on: predictions, measured costs, emulation.
func printDetails(_ report: JobReport) {
    let c = report.costs
    func tier(_ name: String, _ t: CostModel.TierCost?) -> String? {
        t.map { String(format: "%@: %d node(s), t_c %.3f s, t_p %.3f s, t_e %.3f s per task of %d", name, $0.nodes, $0.communication, $0.processing, $0.splitHead, c.batch) }
    }
    print("  \(report.scheme): \(report.prediction.equations); measured " + [tier("end", c.end), tier("edge", c.edge), tier("cloud", c.cloud)].compactMap { $0 }.joined(separator: "; "))
    if report.deadlineMisses > 0 { print("  \(report.deadlineMisses) task(s) answered with the coarse label at their deadline") }
    if report.fineLost > 0 { print("  \(report.fineLost) task(s) lost their fine label (kept the coarse one)") }
    if report.escalatedImages > 0 { print("  \(report.escalatedImages) image(s) escalated to the cloud (\(String(format: "%.1f", 100 * Double(report.escalatedImages) / Double(max(1, report.images))))%)") }
    if !report.killed.isEmpty { print("  killed (SIGKILL): \(report.killed.joined(separator: ", "))\(report.restarted.isEmpty ? "" : "; restarted: " + report.restarted.joined(separator: ", ")); failed sends: \(report.failedSends); duplicate results: \(report.duplicateResults)") }
    let rerouted = report.taskRecords.filter { $0.metadata?.contains("of the other upper tier") == true }.count
    if rerouted > 0 { print("  \(rerouted) task(s) routed to the other upper tier after theirs failed") }
}
