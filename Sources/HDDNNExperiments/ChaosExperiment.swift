import Foundation
import HDDNNCluster
import HDDNNScheduling

/// Seeded chaos against the job invariant: random SIGKILLs of any nodes (end devices, edge
/// devices, the cloud, several in one job, a node killed again after its restart) during jobs of
/// every scheme under Reassign and Monitor, and coordinators killed mid-job and resumed with
/// `hddnn run --resume`. Each run is judged from its journal (`JobAudit`), not from its report:
/// every task done exactly once or lost with a reason, and none lost, since one end device
/// (`end-1`) always outlives the job.
public struct ChaosExperiment: Sendable {
    public var runs: Int
    public var seed: UInt64
    public var images: Int
    public var batch: Int
    /// Every `coordinatorEvery`-th run kills the coordinator instead of nodes (0: never).
    public var coordinatorEvery: Int

    public init(runs: Int, seed: UInt64, images: Int = 300, batch: Int = 25, coordinatorEvery: Int = 5) {
        self.runs = runs
        self.seed = seed
        self.images = images
        self.batch = batch
        self.coordinatorEvery = coordinatorEvery
    }

    /// One run: what was done to the job and what the journal says of it.
    public struct Run: Codable, Sendable {
        public var index: Int
        public var scheme: String
        public var policy: String
        /// Node kills asked for ("edge-1@35%+1.2s"); "coordinator after 4 tasks" for a coordinator kill.
        public var faults: [String]
        /// Kills delivered (a node already dead is not killed again).
        public var kills: Int
        public var restarts: Int
        public var seconds: Double
        public var audit: JobAudit
        /// The invariant held and no task was lost.
        public var passed: Bool
        public var violations: [String]
    }

    public struct Result: Codable, Sendable {
        public var seed: UInt64
        public var runs: [Run]
        public var totalRuns: Int
        public var failedRuns: Int
        public var kills: Int
        public var restarts: Int
        /// Coordinators SIGKILLed mid-job (a coordinator run whose job had already finished is not one).
        public var coordinatorKills: Int
        /// Runs that set out to kill the coordinator.
        public var coordinatorRuns: Int
        public var tasks: Int
        public var lost: Int
        public var duplicates: Int
        public var fineTasks: Int
        public var coarseFinalTasks: Int
        public var seconds: Double
        public var cpu: String
        public var topology: String
    }

    /// The chaos testbed: 3 end devices, a dependable and an undependable edge device, an
    /// undependable cloud; short emulated links and a 300 ms communication timeout.
    public func topology(_ ctx: ExperimentContext) -> String {
        let base = 21_000 + Int.random(in: 0..<400) * 10
        let m = ctx.models.path
        return """
            # Written by `hddnn chaos`.
            defaults: { timeout: 300ms, request_timeout: 60s, benchmark_batch: \(batch) }
            nodes:
              - { name: end-1, role: end, trust: dependable, model: \(m)/end-mobilenet.onnx, port: \(base + 1), threads: 1 }
              - { name: end-2, role: end, trust: dependable, model: \(m)/end-mobilenet.onnx, port: \(base + 2), threads: 1 }
              - { name: end-3, role: end, trust: dependable, model: \(m)/end-mobilenet.onnx, port: \(base + 3), threads: 1 }
              - { name: edge-1, role: edge, trust: dependable, model: \(m)/edge-resnet.onnx, port: \(base + 4), threads: 1 }
              - { name: edge-2, role: edge, trust: undependable, model: \(m)/edge-resnet.onnx, port: \(base + 5), threads: 1 }
              - { name: cloud, role: cloud, trust: undependable, model: \(m)/cloud-wrn.onnx, port: \(base + 6), threads: 2 }
            links:
              - { from: "end-*", to: "edge-*", latency: 5ms, bandwidth: 1Gbit/s }
              - { from: "end-*", to: cloud, latency: 10ms, bandwidth: 500Mbit/s }

            """
    }

    public func run(_ ctx: ExperimentContext, progress: @Sendable (Run) -> Void = { _ in }) async throws -> Result {
        let yaml = topology(ctx)
        let cluster = try await ctx.startCluster("chaos", yaml: yaml)
        defer { cluster.stop() }
        let journalPath = ctx.scratch.appendingPathComponent("chaos-\(seed).sqlite").path
        try? FileManager.default.removeItem(atPath: journalPath)
        let journal = try Journal(path: journalPath)
        var rng = SplitMix64(seed: seed)
        let started = Date()
        var results: [Run] = []
        for index in 0..<runs {
            let dead = cluster.topology.nodes.map(\.name).filter { !cluster.isRunning($0) }
            if !dead.isEmpty { try await cluster.start(dead, timeout: 300) }
            let scheme = SchemeKind.allCases[rng.next(below: SchemeKind.allCases.count)]
            let policy: FaultPolicy = rng.next(below: 2) == 0 ? .reassign : .monitor
            let run: Run
            if coordinatorEvery > 0, index % coordinatorEvery == coordinatorEvery - 1 {
                run = try await coordinatorKill(index: index, scheme: scheme, policy: policy, ctx: ctx, cluster: cluster,
                                                journal: journal, journalPath: journalPath, rng: &rng)
            } else {
                run = try await nodeKills(index: index, scheme: scheme, policy: policy, ctx: ctx, cluster: cluster,
                                          journal: journal, rng: &rng)
            }
            progress(run)
            results.append(run)
        }
        let coordinator = results.filter { $0.faults.contains { $0.hasPrefix("coordinator") && !$0.hasSuffix("(it had finished)") } }.count
        return Result(seed: seed, runs: results, totalRuns: results.count, failedRuns: results.filter { !$0.passed }.count,
                      kills: results.reduce(0) { $0 + $1.kills }, restarts: results.reduce(0) { $0 + $1.restarts },
                      coordinatorKills: coordinator,
                      coordinatorRuns: results.filter { $0.faults.contains { $0.hasPrefix("coordinator") } }.count, tasks: results.reduce(0) { $0 + $1.audit.tasks },
                      lost: results.reduce(0) { $0 + $1.audit.lost.count + $1.audit.unfinished.count },
                      duplicates: results.reduce(0) { $0 + $1.audit.duplicates },
                      fineTasks: results.reduce(0) { $0 + $1.audit.fine }, coarseFinalTasks: results.reduce(0) { $0 + $1.audit.coarseFinal },
                      seconds: Date().timeIntervalSince(started), cpu: cpuName(), topology: yaml)
    }

    /// Random kills of 1-3 nodes; `end-1` is killed only with a restart, so an end device outlives the job.
    func kills(cluster: LocalCluster, rng: inout SplitMix64) -> [JobConfiguration.Kill] {
        let names = cluster.topology.nodes.map(\.name)
        var kills: [JobConfiguration.Kill] = []
        for _ in 0..<(1 + rng.next(below: 3)) {
            let node = names[rng.next(below: names.count)]
            let at = 0.05 + 0.75 * rng.unit()
            let restart = node == "end-1" || rng.next(below: 5) < 2 ? 0.3 + 1.5 * rng.unit() : nil
            kills.append(.init(node: node, afterFraction: at, restartAfter: restart))
            // Sometimes the same node again, after its restart.
            if restart != nil, rng.next(below: 3) == 0, at < 0.7 {
                kills.append(.init(node: node, afterFraction: min(1, at + 0.2 + 0.1 * rng.unit()), restartAfter: node == "end-1" ? 0.5 : nil))
            }
        }
        return kills
    }

    private func nodeKills(index: Int, scheme: SchemeKind, policy: FaultPolicy, ctx: ExperimentContext, cluster: LocalCluster,
                           journal: Journal, rng: inout SplitMix64) async throws -> Run {
        let kills = kills(cluster: cluster, rng: &rng)
        let configuration = JobConfiguration(scheme: scheme, images: images, batch: batch, faultPolicy: policy, kills: kills,
                                             heartbeat: 0.2, dataDirectory: ctx.dataDirectory)
        let started = Date()
        let report = try await ctx.run(cluster, configuration, journal: journal)
        let audit = try journal.audit(job: report.jobID)
        let described = kills.map { k in
            "\(k.node)@\(Int(k.afterFraction * 100))%" + (k.restartAfter.map { String(format: "+%.1fs", $0) } ?? "")
        }
        return judge(index: index, scheme: scheme, policy: policy, faults: described, kills: report.killed.count,
                     restarts: report.restarted.count, seconds: Date().timeIntervalSince(started), audit: audit)
    }

    /// Runs `hddnn run` as its own process against the running nodes, kills it mid-job, then
    /// finishes the job with `hddnn run --resume` and audits the journal. Every other such run
    /// the coordinator kills itself (`--crash-after`) right after its `after`-th result is in
    /// the journal, so a kill mid-job happens however fast the machine; the others are
    /// SIGKILLed from here once the journal shows `after` results, at whatever the coordinator
    /// was doing then (it may have finished first on a fast machine; the run says so).
    private func coordinatorKill(index: Int, scheme: SchemeKind, policy: FaultPolicy, ctx: ExperimentContext, cluster: LocalCluster,
                                 journal: Journal, journalPath: String, rng: inout SplitMix64) async throws -> Run {
        let tasks = (images + batch - 1) / batch
        let after = 1 + rng.next(below: max(1, tasks / 2))
        let selfCrash = (index / max(1, coordinatorEvery)) % 2 == 0
        let arguments = ["run", "--config", cluster.configPath, "--scheme", scheme.rawValue, "--fault-policy", policy.rawValue,
                         "--images", "\(images)", "--batch", "\(batch)", "--heartbeat", "200ms", "--data", ctx.dataDirectory,
                         "--journal", journalPath, "--log-level", "critical"]
        let started = Date()
        let first = try ctx.launch(arguments + (selfCrash ? ["--crash-after", "\(after)"] : []))
        defer { if first.isRunning { first.terminate() } }
        let wait = Date().addingTimeInterval(120)
        while first.isRunning && Date() < wait {
            if !selfCrash, let job = try? journal.jobs().first, !job.finished,
               let rows = try? journal.tasks(job: job.id), rows.filter(\.state.isTerminal).count >= after { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        if first.isRunning && !selfCrash { kill(first.processIdentifier, SIGKILL) }
        first.waitUntilExit()
        let killedMidJob = first.terminationReason == .uncaughtSignal && first.terminationStatus == SIGKILL
        let resumed = try ctx.launch(arguments + ["--resume"])
        defer { if resumed.isRunning { resumed.terminate() } }
        let limit = Date().addingTimeInterval(600)
        while resumed.isRunning && Date() < limit { try await Task.sleep(for: .milliseconds(50)) }
        let newest = try journal.jobs().first
        let audit = try newest.map { try journal.audit(job: $0.id) } ?? JobAudit(rows: [], duplicates: 0)
        // A coordinator that had already finished was not killed mid-job: said so in the run.
        let fault = "coordinator \(selfCrash ? "crashed itself" : "killed") after \(after) tasks" + (killedMidJob ? "" : " (it had finished)")
        var run = judge(index: index, scheme: scheme, policy: policy, faults: [fault],
                        kills: 0, restarts: 0, seconds: Date().timeIntervalSince(started), audit: audit)
        if selfCrash && !killedMidJob {
            run.passed = false
            run.violations.append("the first `hddnn run --crash-after \(after)` did not crash (exit \(first.terminationStatus))")
        } else if !killedMidJob && first.terminationStatus != 0 {
            run.passed = false
            run.violations.append("the first `hddnn run` exited with \(first.terminationStatus) before it could be killed")
        }
        if resumed.isRunning {
            run.passed = false
            run.violations.append("`hddnn run --resume` did not finish within 600 s")
        } else if resumed.terminationStatus != 0 {
            run.passed = false
            run.violations.append("`hddnn run --resume` exited with \(resumed.terminationStatus)")
        }
        if newest?.finished != true {
            run.passed = false
            run.violations.append("the resumed job is not finished in the journal")
        }
        return run
    }

    private func judge(index: Int, scheme: SchemeKind, policy: FaultPolicy, faults: [String], kills: Int, restarts: Int,
                       seconds: Double, audit: JobAudit) -> Run {
        var violations = audit.violations
        if !audit.lost.isEmpty {
            violations.append("\(audit.lost.count) task(s) lost with an end device alive: "
                              + audit.lost.map { "\($0.task) (\($0.reason.map(String.init(describing:)) ?? "?"))" }.joined(separator: ", "))
        }
        if audit.tasks != (images + batch - 1) / batch { violations.append("the journal holds \(audit.tasks) tasks, the job has \((images + batch - 1) / batch)") }
        return Run(index: index, scheme: scheme.rawValue, policy: policy.rawValue, faults: faults, kills: kills, restarts: restarts,
                   seconds: seconds, audit: audit, passed: violations.isEmpty, violations: violations)
    }
}

/// A small seeded generator (SplitMix64), so a chaos run is reproduced by its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0 ..< n.
    mutating func next(below n: Int) -> Int { Int(next() % UInt64(n)) }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
