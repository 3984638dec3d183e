import Foundation
import HDDNNCluster
import HDDNNData
import Logging

/// Runs a job over real nodes: the coordinator of the paper's §3.4 (the "task assigner" beside the
/// end devices). For each task of `batch` images:
///
/// 1. an end device runs its model on the raw UINT8 batch and answers the coarse label;
/// 2. when the scheme names an upper node, the same end device is asked to relay the batch there
///    (`hddnn_route`); it splits the batch first when that node is undependable (eq. 12-16), and
///    the fine label comes back the same way. The end device goes on with its next task meanwhile.
///
/// Costs are measured first (`Calibration`), the scheme's equations predict the job, and every
/// result goes to the `Journal` as it arrives. Failures follow the `FaultPolicy`; no task is lost
/// under Reassign or Monitor while any end device lives.
public final class JobRunner: Sendable {
    public let topology: Topology
    public let configuration: JobConfiguration
    public let journal: Journal
    /// SIGKILLs a node (needed for `configuration.kills`; `LocalCluster.kill`).
    public let killer: (@Sendable (String) -> Void)?
    /// Called about ten times a second while the job runs.
    public let progress: (@Sendable (JobProgress) -> Void)?
    let client: NodeClient
    let logger: Logger

    /// A task gives up (is lost) after this many coarse attempts.
    static let maxAttempts = 64

    public init(topology: Topology, configuration: JobConfiguration, journal: Journal,
                killer: (@Sendable (String) -> Void)? = nil, progress: (@Sendable (JobProgress) -> Void)? = nil,
                logger: Logger = Logger(label: "hddnn.job")) {
        self.topology = topology
        self.configuration = configuration
        self.journal = journal
        self.killer = killer
        self.progress = progress
        self.logger = logger
        self.client = NodeClient(origin: "coordinator", topology: topology)
    }

    /// Runs the job (or resumes the journal's unfinished run of the same job) and reports it.
    public func run(resume: Bool = false) async throws(JobError) -> JobReport {
        defer { Task { [client] in await client.shutdown() } }
        let c = configuration
        guard c.images > 0, c.batch > 0 else { throw .invalid("--images and --batch must be positive") }
        let layout = ClusterLayout(topology, endDevices: c.endDevices)
        guard !layout.end.isEmpty else { throw .invalid("the job needs at least one end device") }
        if let n = c.endDevices, n > topology.nodes(.end).count {
            throw .invalid("--end-devices \(n) but the topology has \(topology.nodes(.end).count) end devices")
        }
        for role in c.scheme.requires where (role == .edge ? layout.edge : layout.cloud).isEmpty {
            throw .missingTier(scheme: c.scheme.rawValue, role: role)
        }
        for kill in c.kills where (try? topology.node(kill.node)) == nil {
            throw .invalid("--kill names '\(kill.node)', which is not a node of the topology")
        }
        if !c.kills.isEmpty && killer == nil { throw .invalid("--kill needs nodes this command started (hddnn run --start, or hddnn demo)") }

        // Who is there, and can the upper tiers refine the end devices' labels?
        let participants = layout.end + (c.scheme.needs.contains(.edge) ? layout.edge : []) + (c.scheme.needs.contains(.cloud) ? layout.cloud : [])
        var infos: [String: NodeInfo] = [:]
        for name in participants {
            let spec = try node(name)
            do { infos[name] = try await client.get(NodeInfo.self, node: spec, path: "/hddnn/v1/node") } catch {
                throw .nodeUnreachable(node: name, url: topology.baseURL(spec), reason: "\(error)")
            }
        }
        let endCard = infos[layout.end[0]]!.card
        for name in participants where layout.tier(of: name) != .end {
            do { try infos[name]!.card.checkRefines(coarse: endCard) } catch {
                throw .wiring(upper: name, end: layout.end[0], reason: "\(error)")
            }
        }

        let data: JobData
        do { data = try JobData.fashionMNIST(directory: c.dataDirectory, limit: c.images) } catch { throw .data("\(error)") }
        guard data.count == c.images else { throw .data("asked for \(c.images) images, the data set has \(data.count)") }

        let costs = try await Calibration(runner: self, layout: layout, infos: infos, data: data).measure()
        let scheme = c.scheme.make(costs: costs, nmap: c.nmap)
        let prediction = scheme.predict(costs)

        // Tasks, fresh or resumed.
        let spans = stride(from: 0, to: c.images, by: c.batch).map { (first: $0, count: min(c.batch, c.images - $0)) }
        let fingerprint = c.fingerprint(topology: topology)
        var jobID = "job-\(UUID().uuidString.prefix(8).lowercased())"
        var todo = Array(spans.indices)
        var resumed = false
        do {
            if resume, let existing = try journal.resumableJob(fingerprint: fingerprint) {
                jobID = existing
                let finished = Set(try journal.tasks(job: existing).filter { $0.state == "done" || $0.state == "lost" }.map(\.index))
                todo = todo.filter { !finished.contains($0) }
                resumed = true
                logger.info("resuming", metadata: ["job": "\(jobID)", "finished": "\(finished.count)", "left": "\(todo.count)"])
            } else {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let text = String(decoding: (try? encoder.encode(c)) ?? Data(), as: UTF8.self)
                try journal.createJob(id: jobID, fingerprint: fingerprint, configuration: text, tasks: spans)
            }
        } catch { throw .journal(error) }

        let execution = Execution(runner: self, jobID: jobID, layout: layout, infos: infos, data: data, spans: spans,
                                  scheme: scheme, costs: costs, todo: todo)
        let outcome = await execution.run()
        let rows: [Journal.TaskRow]
        let duplicates: Int
        do {
            rows = try journal.tasks(job: jobID)
            duplicates = try journal.duplicates(job: jobID)
        } catch { throw .journal(error) }
        let report = JobReport(jobID: jobID, scheme: scheme.name, configuration: c, topology: topology, layout: layout,
                               costs: costs, prediction: prediction, outcome: outcome, rows: rows, data: data,
                               duplicates: duplicates, resumed: resumed)
        do { try journal.finishJob(jobID, summary: report.summaryJSON) } catch { throw .journal(error) }
        return report
    }

    func node(_ name: String) throws(JobError) -> NodeSpec {
        do { return try topology.node(name) } catch { throw .invalid("\(error)") }
    }
}

/// What the progress callback sees.
public struct JobProgress: Sendable {
    public var scheme: String
    public var total: Int
    public var coarse: Int
    public var final: Int
    public var fine: Int
    public var lost: Int
    public var seconds: Double
    public var liveEndDevices: Int?
}
