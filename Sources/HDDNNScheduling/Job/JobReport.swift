import Foundation
import HDDNNCluster

/// The result of a job: the table `hddnn run` prints and the JSON it writes, computed from the
/// journal's rows (the record of truth) and the run's own counters.
public struct JobReport: Sendable, Codable {
    public var jobID: String
    public var scheme: String
    public var configuration: JobConfiguration
    public var layout: ClusterLayout
    public var costs: CostModel
    public var prediction: Prediction
    /// Seconds from the first dispatch to the last final result of this run.
    public var finishSeconds: Double
    public var images: Int
    public var tasks: Int
    /// Per-image latency of the coarse label, from the task's first dispatch.
    public var coarseLatency: LatencyStats?
    /// Per-image latency of the fine label, over images that got one.
    public var fineLatency: LatencyStats?
    public var coarseAccuracy: Double?
    public var fineAccuracy: Double?
    /// Images whose final answer is a fine label.
    public var fineShare: Double
    /// Request and response bodies on every hop, in bytes.
    public var bytesMoved: Int
    /// Tasks with no result at all (0 under Reassign and Monitor while an end device lives).
    public var tasksLost: Int
    /// Each lost task, its images and why (from the journal).
    public var lostTasks: [JobAudit.Lost]
    /// The job's invariant checked from the journal: every task done once or lost with a reason.
    public var audit: JobAudit
    /// Images whose fine label the cloud gave after the edge was unsure (escalation scheme).
    public var escalatedImages: Int
    /// Images whose final label came from a cloud node (whole tasks, or escalated images).
    public var cloudShare: Double
    /// Tasks whose fine label was lost (policy none) or given up; they keep their coarse label.
    public var fineLost: Int
    /// Tasks answered with the coarse label because the deadline would not allow the fine one.
    public var deadlineMisses: Int
    /// Second final results for a task refused by the journal (must be 0).
    public var duplicateResults: Int
    /// Sends to failed nodes, each charged the communication timeout.
    public var failedSends: Int
    public var killed: [String]
    /// Killed nodes started again during the job.
    public var restarted: [String]
    public var resumed: Bool
    /// What was emulated rather than real, in words.
    public var emulated: [String]
    /// Every task: its row in the journal (labels, nodes, latencies, metadata as JSON text).
    public var taskRecords: [Journal.TaskRow]


    public struct LatencyStats: Sendable, Codable {
        public var mean: Double
        public var p50: Double
        public var p99: Double

        init?(_ values: [(seconds: Double, weight: Int)]) {
            let sorted = values.filter { $0.weight > 0 }.sorted { $0.seconds < $1.seconds }
            let n = sorted.reduce(0) { $0 + $1.weight }
            guard n > 0 else { return nil }
            mean = sorted.reduce(0) { $0 + $1.seconds * Double($1.weight) } / Double(n)
            func quantile(_ q: Double) -> Double {
                let rank = Int((q * Double(n)).rounded(.up)) - 1
                var seen = 0
                for v in sorted { seen += v.weight; if seen > rank { return v.seconds } }
                return sorted.last!.seconds
            }
            p50 = quantile(0.5)
            p99 = quantile(0.99)
        }
    }

    init(plan: JobPlan, outcome: Execution.Outcome, rows: [Journal.TaskRow], audit: JobAudit) {
        let data = plan.data, topology = plan.topology
        self.jobID = plan.jobID
        self.scheme = plan.scheme.name
        self.configuration = plan.configuration
        self.layout = plan.layout
        self.costs = plan.costs
        self.prediction = plan.prediction
        finishSeconds = outcome.seconds
        images = data.count
        tasks = rows.count
        var coarseLat: [(Double, Int)] = [], fineLat: [(Double, Int)] = []
        var coarseRight = 0, coarseSeen = 0, fineRight = 0, fineSeen = 0
        for r in rows {
            if let l = r.coarseLatency { coarseLat.append((l, r.count)) }
            if let l = r.fineLatency { fineLat.append((l, r.count)) }
            if let c = r.coarse {
                for (k, label) in c.enumerated() where r.firstImage + k < data.count {
                    coarseSeen += 1
                    if label == data.coarse[r.firstImage + k] { coarseRight += 1 }
                }
            }
            if let f = r.fine {
                for (k, label) in f.enumerated() where r.firstImage + k < data.count {
                    fineSeen += 1
                    if label == data.fine[r.firstImage + k] { fineRight += 1 }
                }
            }
        }
        coarseLatency = LatencyStats(coarseLat.map { (seconds: $0.0, weight: $0.1) })
        fineLatency = LatencyStats(fineLat.map { (seconds: $0.0, weight: $0.1) })
        coarseAccuracy = coarseSeen > 0 ? Double(coarseRight) / Double(coarseSeen) : nil
        fineAccuracy = fineSeen > 0 ? Double(fineRight) / Double(fineSeen) : nil
        fineShare = data.count > 0 ? Double(fineSeen) / Double(data.count) : 0
        bytesMoved = outcome.bytesMoved
        self.audit = audit
        lostTasks = audit.lost
        tasksLost = audit.lost.count + audit.unfinished.count
        escalatedImages = outcome.escalatedImages
        let cloudTaskImages = rows.filter { $0.labelSource == .fine && plan.layout.cloud.contains($0.upperNode ?? "") }.reduce(0) { $0 + $1.count }
        cloudShare = data.count > 0 ? Double(cloudTaskImages + escalatedImages) / Double(data.count) : 0
        fineLost = outcome.fineLost
        deadlineMisses = outcome.deadlineMisses
        duplicateResults = audit.duplicates
        failedSends = outcome.timeoutsPaid
        killed = outcome.killed
        restarted = outcome.restarted
        self.resumed = plan.resumed
        taskRecords = rows
        var emulated: [String] = []
        let pairs = Set(topology.links.map { "\($0.from)<->\($0.to): \(Quantity.describe(seconds: $0.latency ?? topology.defaults.latency)) one way, \(Quantity.describe(bytesPerSecond: $0.bandwidth ?? topology.defaults.bandwidth))" })
        if !pairs.isEmpty { emulated.append("links (latency + bytes/bandwidth on the real bytes, eq. 18): " + pairs.sorted().joined(separator: "; ")) }
        let slow = topology.nodes.filter { $0.slowdown > 1 }.map { "\($0.name) x\($0.slowdown)" }
        if !slow.isEmpty { emulated.append("compute slowdowns (wait (k-1) x measured compute): " + slow.joined(separator: ", ")) }
        if outcome.timeoutsPaid > 0 {
            emulated.append("\(outcome.timeoutsPaid) sends to failed nodes, each charged the \(Quantity.describe(seconds: topology.defaults.timeout)) communication timeout (loopback refuses at once; a real network stays silent)")
        }
        self.emulated = emulated
    }

    /// The one-line summary stored with the job in the journal.
    var summaryJSON: String {
        let s: [String: Double] = ["finish_seconds": finishSeconds, "tasks_lost": Double(tasksLost), "fine_share": fineShare,
                                   "escalated_images": Double(escalatedImages),
                                   "coarse_accuracy": coarseAccuracy ?? -1, "fine_accuracy": fineAccuracy ?? -1]
        return String(decoding: (try? JSONEncoder().encode(s)) ?? Data(), as: UTF8.self)
    }

    /// The whole report as JSON (every task's metadata included).
    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return (try? encoder.encode(self)) ?? Data()
    }
}

extension JobReport {
    /// Rows of the comparison table, one per report.
    public static func table(_ reports: [JobReport]) -> String {
        let header = ["scheme", "finish s", "eq. s", "coarse ms mean/p50/p99", "fine ms mean/p50/p99", "coarse acc", "fine acc", "fine share", "MB moved", "lost"]
        var rows = [header]
        for r in reports {
            func ms(_ s: LatencyStats?) -> String { s.map { String(format: "%.0f/%.0f/%.0f", $0.mean * 1000, $0.p50 * 1000, $0.p99 * 1000) } ?? "-" }
            func pct(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "-" }
            rows.append([
                r.scheme, String(format: "%.2f", r.finishSeconds), String(format: "%.2f", r.prediction.finishSeconds),
                ms(r.coarseLatency), ms(r.fineLatency), pct(r.coarseAccuracy), pct(r.fineAccuracy),
                String(format: "%.2f", r.fineShare), String(format: "%.2f", Double(r.bytesMoved) / 1e6), "\(r.tasksLost)",
            ])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max()! }
        return rows.enumerated().map { i, row in
            let line = row.enumerated().map { c, cell in c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[c] - cell.count) + cell }.joined(separator: "  ")
            return i == 0 ? line + "\n" + String(repeating: "-", count: line.count) : line
        }.joined(separator: "\n")
    }
}
