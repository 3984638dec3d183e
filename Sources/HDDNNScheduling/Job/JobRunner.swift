import Foundation
import HDDNNCluster
import HDDNNData
import Logging
import Tracing

/// Runs a job over real nodes: the coordinator of the paper's §3.4 (the "task assigner" beside the
/// end devices). For each task of `batch` images:
///
/// 1. an end device runs its model on the raw UINT8 batch and answers the coarse label;
/// 2. when the scheme names an upper node, the same end device is asked to relay the batch there
///    (`hddnn_route`); it splits the batch first when that node is undependable (eq. 12-16), and
///    the fine label comes back the same way. The end device goes on with its next task meanwhile.
///
/// `plan` measures the costs (`Calibration`) and fixes the job (`JobPlan`); `Execution` runs it
/// with the client, journal and clock given here; every result goes to the `Journal` as it
/// arrives. Every task ends with exactly one final result or counted lost with its reason
/// (`JobAudit`, checked from the journal before the report is made).
public final class JobRunner: Sendable {
    public let topology: Topology
    public let configuration: JobConfiguration
    public let journal: Journal
    /// Kills and restarts nodes (needed for `configuration.kills`; a `LocalCluster`).
    public let faults: (any FaultInjector)?
    /// Called about ten times a second while the job runs.
    public let progress: (@Sendable (JobProgress) -> Void)?
    /// Ends the coordinator for `configuration.crashAfter`: SIGKILL of this process unless a
    /// test gives another.
    public let crash: @Sendable () -> Void
    let clock: any JobClock
    let client: NodeClient
    let logger: Logger

    public init(topology: Topology, configuration: JobConfiguration, journal: Journal, faults: (any FaultInjector)? = nil,
                progress: (@Sendable (JobProgress) -> Void)? = nil, clock: any JobClock = SystemJobClock(),
                crash: @escaping @Sendable () -> Void = JobRunner.killThisProcess, logger: Logger = Logger(label: "hddnn.job")) {
        self.topology = topology
        self.configuration = configuration
        self.journal = journal
        self.faults = faults
        self.progress = progress
        self.clock = clock
        self.crash = crash
        self.logger = logger
        self.client = NodeClient(origin: "coordinator", topology: topology)
    }

    /// Runs the job (or resumes the journal's unfinished run of the same job) and reports it.
    ///
    /// With tracing on (`HopTracing`) the job is one trace: a root span, a `plan` span holding
    /// the calibration's exchanges, and an `execute` span holding every task's hops.
    public func run(resume: Bool = false) async throws(JobError) -> JobReport {
        defer { Task { [client] in await client.shutdown() } }
        return try await HopTracing.span("job \(configuration.scheme.rawValue)",
                                         attributes: ["hddnn.images": .int64(Int64(configuration.images)), "hddnn.batch": .int64(Int64(configuration.batch))]) {
            job throws(JobError) in
            let plan = try await HopTracing.span("plan") { _ throws(JobError) in try await self.plan(resume: resume) }
            job.attributes["hddnn.job"] = plan.jobID
            return try await self.execute(plan)
        }
    }

    private func execute(_ plan: JobPlan) async throws(JobError) -> JobReport {
        let execution = Execution(plan: plan, client: client, journal: journal, clock: clock, faults: faults,
                                  progress: progress, crash: crash, logger: logger)
        let outcome = try await HopTracing.span("execute") { _ throws(JobError) in try await execution.run() }
        let rows: [Journal.TaskRow]
        let audit: JobAudit
        do {
            rows = try journal.tasks(job: plan.jobID)
            audit = JobAudit(rows: rows, duplicates: try journal.duplicates(job: plan.jobID))
        } catch { throw .journal(error) }
        let report = JobReport(plan: plan, outcome: outcome, rows: rows, audit: audit)
        do { try journal.finishJob(plan.jobID, summary: report.summaryJSON) } catch { throw .journal(error) }
        return report
    }

    /// SIGKILL of this process: no `defer`, no flush, no goodbye, as a machine dies.
    public static let killThisProcess: @Sendable () -> Void = { kill(getpid(), SIGKILL) }

    /// Checks the job against the topology, asks every node in use what it runs, measures the
    /// costs, and creates the job in the journal (or finds the unfinished one to resume).
    public func plan(resume: Bool = false) async throws(JobError) -> JobPlan {
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
        if let n = c.crashAfter, n < 1 { throw .invalid("--crash-after must be at least 1 task") }
        if !c.kills.isEmpty && faults == nil { throw .invalid("--kill needs nodes this command started (hddnn run --start, or hddnn demo)") }
        if let tls = topology.tls {
            guard FileManager.default.fileExists(atPath: tls.ca) else { throw .noCertificates(ca: tls.ca) }
            do { _ = try TLSIdentity(settings: tls, process: "coordinator") } catch { throw .invalid("\(error)") }
        }

        let nodes = try await nodeInfos(layout)
        let data: JobData
        do { data = try JobData.fashionMNIST(directory: c.dataDirectory, limit: c.images) } catch { throw .data("\(error)") }
        guard data.count == c.images else { throw .data("asked for \(c.images) images, the data set has \(data.count)") }

        let costs = try await Calibration(client: client, topology: topology, configuration: c, layout: layout,
                                          infos: nodes, data: data).measure()
        let scheme = c.scheme.make(costs: costs, nmap: c.nmap, threshold: c.threshold)

        // Tasks, fresh or resumed.
        let spans = JobPlan.spans(images: c.images, batch: c.batch)
        let fingerprint = c.fingerprint(topology: topology)
        var jobID = "job-\(UUID().uuidString.prefix(8).lowercased())"
        var todo = Array(spans.indices)
        var resumed = false
        do {
            if resume, let existing = try journal.resumableJob(fingerprint: fingerprint) {
                jobID = existing
                let ended = Set(try journal.tasks(job: existing).filter(\.state.isTerminal).map(\.index))
                todo = todo.filter { !ended.contains($0) }
                resumed = true
                logger.info("resuming", metadata: ["job": "\(jobID)", "finished": "\(ended.count)", "left": "\(todo.count)"])
            } else {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let text = String(decoding: (try? encoder.encode(c)) ?? Data(), as: UTF8.self)
                try journal.createJob(id: jobID, fingerprint: fingerprint, configuration: text, tasks: spans.map { ($0.first, $0.count) })
            }
        } catch { throw .journal(error) }
        return JobPlan(jobID: jobID, configuration: c, topology: topology, layout: layout, nodes: nodes, costs: costs,
                       scheme: scheme, prediction: scheme.predict(costs), data: data, spans: spans, todo: todo, resumed: resumed)
    }

    /// Every node of the scheme's tiers must answer and fit (an upper node's model must refine
    /// the end devices' coarse labels); the other upper tier's nodes are asked too, and kept
    /// when they answer and fit, as somewhere to route a task whose own tier is gone.
    private func nodeInfos(_ layout: ClusterLayout) async throws(JobError) -> [String: NodeInfo] {
        let needs = configuration.scheme.needs
        let required = layout.end + (needs.contains(.edge) ? layout.edge : []) + (needs.contains(.cloud) ? layout.cloud : [])
        let optional = (needs.contains(.edge) ? [] : layout.edge) + (needs.contains(.cloud) ? [] : layout.cloud)
        var infos: [String: NodeInfo] = [:]
        for name in required {
            let spec = try node(name)
            do { infos[name] = try await client.describe(spec) } catch {
                // 409: the node answers, but serves a model without a card; its message says what to add.
                if case .rejected(_, 409, let message) = error { throw .invalid(message) }
                throw .nodeUnreachable(node: name, url: topology.baseURL(spec), reason: "\(error)")
            }
        }
        let endCard = infos[layout.end[0]]!.card
        for name in required where layout.tier(of: name) != .end {
            do { try infos[name]!.card.checkRefines(coarse: endCard) } catch {
                throw .wiring(upper: name, end: layout.end[0], reason: "\(error)")
            }
        }
        for name in optional {
            guard let spec = try? topology.node(name),
                  let info = try? await client.describe(spec, timeout: 2) else {
                logger.notice("upper node not answering; tasks will not be routed to it", metadata: ["node": "\(name)"])
                continue
            }
            do { try info.card.checkRefines(coarse: endCard) } catch {
                logger.notice("upper node cannot refine the end devices' labels; tasks will not be routed to it",
                              metadata: ["node": "\(name)", "reason": "\(error)"])
                continue
            }
            infos[name] = info
        }
        return infos
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
