import Foundation
import HDDNNCluster
import Logging
import Synchronization

/// One run of a job's plan: a worker per end device, fine-label requests in flight beside them,
/// the Monitor's heartbeat, the fault injector and the progress ticker. It is given everything it
/// uses (plan, client, journal, clock, faults) and writes every task's final result through one
/// function, `conclude`, and every loss in one place at the end of `run`, so the invariant has one
/// place to hold. A journal write that fails stops
/// the run: the journal is what promises exactly-once results, so a job that cannot write it must
/// not go on as if it could.
struct Execution: Sendable {
    let plan: JobPlan
    let client: NodeClient
    let journal: Journal
    let clock: any JobClock
    let faults: (any FaultInjector)?
    let progress: (@Sendable (JobProgress) -> Void)?
    /// Called once `configuration.crashAfter` tasks have concluded (see `JobRunner.crash`).
    let crash: @Sendable () -> Void
    let logger: Logger

    /// A task gives up (is lost) after this many coarse attempts; a fine label after this many sends.
    static let maxAttempts = 64

    /// What the run itself saw (the journal holds the per-task results).
    struct Outcome: Sendable {
        var seconds: Double
        var fineLost: Int
        var deadlineMisses: Int
        var timeoutsPaid: Int
        var bytesMoved: Int
        /// Images the cloud answered for the escalation scheme.
        var escalatedImages: Int
        var killed: [String]
        var restarted: [String]
    }

    private var configuration: JobConfiguration { plan.configuration }
    private var layout: ClusterLayout { plan.layout }
    private var policy: FaultPolicy { configuration.faultPolicy }
    /// How long the job waits with no live end device (or upper node) before giving up on them.
    private var giveUpAfter: Double { max(5, 4 * plan.topology.defaults.timeout) }

    func run() async throws(JobError) -> Outcome {
        let state = JobState(policy: policy, devices: layout.end, tasks: plan.todo, clock: clock)
        let monitor: Monitor? = policy == .monitor
            ? Monitor(client: client, nodes: (layout.end + layout.edge + layout.cloud).compactMap { try? plan.topology.node($0) },
                      interval: configuration.heartbeat, probeTimeout: max(0.2, configuration.heartbeat), clock: clock)
            : nil
        let events = FaultLog()
        let fines = FineTasks()
        let stop = JournalStop()
        let started = clock.now

        await withTaskGroup(of: Void.self) { group in
            if let monitor { group.addTask { await monitor.run() } }
            group.addTask { await self.injectFaults(state: state, events: events) }
            group.addTask { await self.tick(state: state, monitor: monitor, started: started) }
            await withTaskGroup(of: Void.self) { workers in
                for d in layout.end.indices {
                    workers.addTask {
                        do throws(JournalError) { try await self.worker(device: d, state: state, monitor: monitor, fines: fines, stop: stop) } catch {
                            stop.set(error)
                            fines.cancelAll()
                        }
                    }
                }
            }
            await fines.waitAll()
            group.cancelAll()
        }
        await events.waitForRestarts()
        if let error = stop.error { throw .journal(error) }
        // A cancelled run leaves its unfinished tasks as they are, so `--resume` finishes them.
        if Task.isCancelled { throw .cancelled }

        // Tasks that never got a coarse label (none policy, or every end device gone) are lost,
        // and the audit catches any task the run left half-way.
        do {
            for (task, reason) in await state.lost.sorted(by: { $0.key < $1.key }) {
                try journal.recordLost(job: plan.jobID, task: task, reason: reason)
            }
            for row in try journal.tasks(job: plan.jobID) where !row.state.isTerminal {
                logger.error("task ended without a final result; counted lost", metadata: ["task": "\(row.index)", "state": "\(row.state.rawValue)"])
                try journal.recordLost(job: plan.jobID, task: row.index, reason: .unfinished(row.state))
            }
        } catch { throw .journal(error) }
        let seconds = clock.now - started
        progressUpdate(state: state, monitor: monitor, seconds: seconds)
        return Outcome(seconds: seconds, fineLost: await state.fineLost, deadlineMisses: await state.deadlineMisses,
                       timeoutsPaid: await state.timeoutsPaid, bytesMoved: await state.bytesMoved,
                       escalatedImages: await state.escalatedImages, killed: events.killed, restarted: events.restarted)
    }

    // MARK: End devices

    private func worker(device d: Int, state: JobState, monitor: Monitor?, fines: FineTasks, stop: JournalStop) async throws(JournalError) {
        let endName = layout.end[d]
        guard let end = try? plan.topology.node(endName), let info = plan.nodes[endName] else { return }
        var noLiveDeviceSince: Double?
        while !Task.isCancelled && stop.error == nil {
            guard let task = await state.next(device: d, live: monitor?.liveNodes) else {
                if await state.coarsePhaseOver { return }
                if let monitor, !layout.end.contains(where: monitor.isLive) {
                    // Every end device is gone: wait a while for one to come back, then give up.
                    let since = noLiveDeviceSince ?? clock.now
                    noLiveDeviceSince = since
                    if clock.now - since > giveUpAfter {
                        let abandoned = await state.abandon()
                        if abandoned > 0 { logger.error("no end device is alive; tasks lost", metadata: ["tasks": "\(abandoned)"]) }
                        return
                    }
                } else {
                    noLiveDeviceSince = nil
                }
                try? await clock.sleep(seconds: 0.01)
                continue
            }
            let span = plan.spans[task]
            let first = await state.firstDispatch[task] ?? clock.now
            let images = plan.data.tensor(first: span.first, count: span.count, name: info.model.inputName)
            let metadata = TaskMetadata(taskID: "\(plan.jobID)/\(task)", source: "coordinator")
            let exchange: NodeClient.Exchange
            do {
                exchange = try await client.infer(node: end, model: info.model.name, inputs: [images], metadata: metadata,
                                                  timeout: plan.topology.defaults.requestTimeout, binary: configuration.binary)
            } catch let error where error.isNodeFailure {
                logger.warning("end device failed", metadata: ["task": "\(task)", "node": "\(endName)", "error": "\(error)"])
                monitor?.markDead(endName)
                let kept = await state.failed(task, device: d, live: monitor?.liveNodes, maxAttempts: Self.maxAttempts)
                if !kept { logger.error("task lost", metadata: ["task": "\(task)", "policy": "\(policy.rawValue)"]) }
                continue
            } catch {
                logger.error("end device refused the task", metadata: ["task": "\(task)", "node": "\(endName)", "error": "\(error)"])
                await state.markLost(task, .refused(node: endName, message: "\(error)"))
                continue
            }
            guard let labels = exchange.outputs.first?.argmaxRows(), labels.count == span.count else {
                logger.error("end device answered without logits", metadata: ["task": "\(task)", "node": "\(endName)"])
                await state.markLost(task, .badAnswer(node: endName))
                continue
            }
            await state.moved(exchange.requestBytes + exchange.responseBytes)
            let latency = clock.now - first
            try journal.recordCoarse(job: plan.jobID, task: task, labels: labels, endNode: endName, latency: latency,
                                     attempts: await state.attempts[task] ?? 1)
            await state.coarse(task)
            let record = TaskRecord(coarse: exchange.metadata, coarseLatency: latency)
            if let upper = plan.scheme.upperNode(task: task, endDevice: d, layout: layout, load: await state.upperLoad) {
                await state.upperAssigned(upper)
                fines.start {
                    do throws(JournalError) { try await self.fine(task: task, device: d, upper: upper, first: first, record: record, state: state, monitor: monitor) } catch {
                        stop.set(error)
                        fines.cancelAll()
                    }
                }
            } else {
                try await conclude(task, .coarse(.scheme(plan.scheme.name)), fine: nil, upper: nil, first: first, record: record, state: state)
            }
        }
    }

    // MARK: Upper tiers

    /// Gets the fine label of `task` from `upper` (and, for the escalation scheme, the cloud's
    /// answer for its uncertain images), then concludes the task.
    private func fine(task: Int, device d: Int, upper: String, first: Double, record: TaskRecord,
                      state: JobState, monitor: Monitor?) async throws(JournalError) {
        var record = record
        let span = plan.spans[task]
        let tier: NodeRole = layout.tier(of: upper) == .cloud ? .cloud : .edge
        let answer = await ask(upper: upper, tier: tier, otherTier: tier == .cloud ? .edge : .cloud, relay: layout.end[d],
                               rows: nil, span: span, task: task, first: first, state: state, monitor: monitor)
        record.notes += answer.notes
        guard case .answered(let node) = answer.ending, var labels = answer.labels else {
            if case .coarse(let reason) = answer.ending {
                if case .upperFailed = reason { logger.warning("fine label lost", metadata: ["task": "\(task)", "reason": "\(LabelSource.coarse(reason))"]) }
                try await conclude(task, .coarse(reason), fine: nil, upper: answer.upper, first: first, record: record, state: state)
            }
            return
        }
        record.fine = answer.metadata
        var source = LabelSource.fine
        if let threshold = plan.scheme.escalationThreshold, layout.tier(of: node) == .edge, !plan.upperNodes(.cloud).isEmpty,
           let eta = answer.entropies {
            let uncertain = eta.indices.filter { eta[$0] > threshold }
            if !uncertain.isEmpty {
                let load = await state.upperLoad
                let cloud = plan.upperNodes(.cloud).min { (load.outstanding[$0] ?? 0) < (load.outstanding[$1] ?? 0) }!
                let escalation = await ask(upper: cloud, tier: .cloud, otherTier: nil, relay: layout.end[d], rows: uncertain,
                                           span: span, task: task, first: first, state: state, monitor: monitor)
                record.escalation = escalation.metadata
                if case .answered = escalation.ending, let cloudLabels = escalation.labels {
                    for (k, row) in uncertain.enumerated() { labels[row] = cloudLabels[k] }
                    source = .escalated(images: uncertain.count)
                    record.note("\(uncertain.count) of \(span.count) images above η \(threshold) answered by \(escalation.upper)")
                    await state.escalated(uncertain.count)
                } else {
                    record.notes += escalation.notes
                    record.note("escalation of \(uncertain.count) images did not complete; \(node)'s labels stand")
                }
            }
        }
        try await conclude(task, source, fine: labels, upper: node, first: first, record: record, state: state)
    }

    /// What one fine-label request ended with.
    private struct Answer {
        var ending: FineLabelRequest.Ending
        var upper: String
        var labels: [Int]?
        var entropies: [Double]?
        var metadata: TaskMetadata?
        var notes: [String]
    }

    /// Drives a `FineLabelRequest` for the task's images (`rows` of them when given) to its end:
    /// sends, waits and re-routes as it says, and reports each failed node to the Monitor.
    /// An escalation (`rows`) refines a task that already has its fine label, so it tries each
    /// cloud node twice at most instead of paying Reassign's timeouts 64 times, and does not wait
    /// for a dead cloud to come back.
    private func ask(upper: String, tier: NodeRole, otherTier: NodeRole?, relay: String, rows: [Int]?, span: JobPlan.TaskSpan,
                     task: Int, first: Double, state: JobState, monitor: Monitor?) async -> Answer {
        let deadline = configuration.deadline.map { first + $0 }
        var request = FineLabelRequest(
            relay: relay, upper: upper,
            candidates: .init(relays: layout.end, tier: plan.upperNodes(tier), otherTier: otherTier.map(plan.upperNodes) ?? []),
            policy: policy, deadline: deadline, expected: { [plan] in plan.expectedSeconds(at: $0) },
            requestTimeout: plan.topology.defaults.requestTimeout, heartbeat: configuration.heartbeat,
            maxAttempts: rows == nil ? Self.maxAttempts : 2 * max(1, plan.upperNodes(tier).count),
            giveUpAfter: rows == nil ? giveUpAfter : 0)
        var action = request.next(now: clock.now)
        let expectedRows = rows?.count ?? span.count
        while true {
            switch action {
            case .finish(let ending):
                return Answer(ending: ending, upper: request.upper, notes: request.notes)
            case .wait(let seconds):
                do { try await clock.sleep(seconds: seconds) } catch {
                    return Answer(ending: .coarse(.upperFailed(node: request.upper)), upper: request.upper, notes: request.notes + ["cancelled"])
                }
                action = request.resume(now: clock.now, live: monitor?.liveNodes)
            case .send(let relayName, let upperName, let timeout):
                guard let relayNode = try? plan.topology.node(relayName), let info = plan.nodes[upperName] else {
                    action = request.failed(.refused("\(upperName) is not a node this job knows"), now: clock.now, live: monitor?.liveNodes)
                    continue
                }
                let images = rows.map { plan.data.tensor(first: span.first, rows: $0, name: info.model.inputName) }
                    ?? plan.data.tensor(first: span.first, count: span.count, name: info.model.inputName)
                let metadata = TaskMetadata(taskID: "\(plan.jobID)/\(task)", source: "coordinator", route: [upperName], deadline: deadline)
                await state.upperSent(upperName)
                let result: Result<NodeClient.Exchange, NodeClientError>
                do {
                    // The relay gives up on the upper node after `timeout`; waiting one communication
                    // timeout longer lets its answer (a 503 or 504 naming the upper node) arrive, so a
                    // hung upper node is not blamed on a healthy relay.
                    result = .success(try await client.infer(node: relayNode, model: info.model.name, inputs: [images], metadata: metadata,
                                                             timeout: timeout + plan.topology.defaults.timeout, binary: configuration.binary))
                } catch {
                    result = .failure(error)
                }
                await state.upperAnswered(upperName)
                switch result {
                case .success(let exchange):
                    guard let output = exchange.outputs.first, let labels = output.argmaxRows(), labels.count == expectedRows else {
                        action = request.failed(.badAnswer, now: clock.now, live: monitor?.liveNodes)
                        continue
                    }
                    await state.moved(exchange.requestBytes + exchange.responseBytes + (exchange.metadata?.bytesSent ?? 0))
                    _ = request.answered()
                    return Answer(ending: .answered(upper: upperName), upper: upperName, labels: labels,
                                  entropies: output.normalizedEntropyRows(logits: info.card.output.kind == "logits"),
                                  metadata: exchange.metadata, notes: request.notes)
                case .failure(let error):
                    let failure = classify(error, relay: relayName, deadline: deadline)
                    if failure == .relayDown || failure == .upperDown {
                        await state.paidTimeout()
                        monitor?.markDead(failure == .relayDown ? relayName : upperName)
                    }
                    action = request.failed(failure, now: clock.now, live: monitor?.liveNodes)
                }
            }
        }
    }

    /// What a failed send means for the request.
    private func classify(_ error: NodeClientError, relay: String, deadline: Double?) -> FineLabelRequest.Failure {
        let atDeadline = deadline.map { clock.now >= $0 - 0.05 } ?? false
        switch error {
        case .timedOut where atDeadline, .rejected(_, 504, _) where atDeadline: return .deadline
        case .unreachable(let node, _) where node == relay, .timedOut(let node, _) where node == relay: return .relayDown
        case _ where error.isNodeFailure: return .upperDown
        default: return .refused("\(error)")
        }
    }

    // MARK: A task's end

    /// Writes a task's final result to the journal and counts it (not when the run is stopping).
    private func conclude(_ task: Int, _ source: LabelSource, fine: [Int]?, upper: String?, first: Double, record: TaskRecord,
                          state: JobState) async throws(JournalError) {
        // A run that is stopping (a journal failure, or cancelled) writes no more results: what
        // its cancelled requests ended with is not an answer, and the task stays for `--resume`.
        guard !Task.isCancelled else { return }
        var record = record
        record.labelSource = source
        let latency = source.isFine ? clock.now - first : nil
        record.fineLatency = latency
        try journal.recordFinal(job: plan.jobID, task: task, fine: fine, source: source, upperNode: upper, fineLatency: latency,
                                metadata: record.json)
        var fineLost = false, deadlineMiss = false
        if case .coarse(let reason) = source {
            switch reason {
            case .deadline: deadlineMiss = true
            case .noUpperNode, .upperFailed, .badAnswer: fineLost = true
            case .scheme: break
            }
        }
        await state.final(task, fine: source.isFine, fineLost: fineLost, deadlineMiss: deadlineMiss)
        if let n = configuration.crashAfter, await state.finalCount >= n {
            logger.critical("crashing the coordinator on purpose (--crash-after); finish the job with --resume", metadata: ["tasks": "\(n)"])
            crash()
        }
    }

    // MARK: Faults and progress

    private func injectFaults(state: JobState, events: FaultLog) async {
        var pending = configuration.kills.sorted { $0.afterFraction < $1.afterFraction }
        guard !pending.isEmpty, let faults else { return }
        let total = max(1, plan.spans.count)
        while !pending.isEmpty && !Task.isCancelled {
            let done = Double(plan.spans.count - plan.todo.count + (await state.coarseCount)) / Double(total)
            while let next = pending.first, done >= next.afterFraction {
                pending.removeFirst()
                guard faults.kill(next.node) else {
                    logger.notice("not killing a node that is not running", metadata: ["node": "\(next.node)"])
                    continue
                }
                logger.notice("killed node (SIGKILL)", metadata: ["node": "\(next.node)", "at": "\(Int(done * 100))% of tasks"])
                events.killed(next.node)
                if let delay = next.restartAfter {
                    events.restart(next.node) { [clock, logger] in
                        try? await clock.sleep(seconds: delay)
                        do {
                            try await faults.restart(next.node)
                            logger.notice("restarted node", metadata: ["node": "\(next.node)"])
                            return true
                        } catch {
                            logger.error("could not restart node", metadata: ["node": "\(next.node)", "error": "\(error)"])
                            return false
                        }
                    }
                }
            }
            try? await clock.sleep(seconds: 0.005)
        }
    }

    private func tick(state: JobState, monitor: Monitor?, started: Double) async {
        while !Task.isCancelled {
            progressUpdate(state: state, monitor: monitor, seconds: clock.now - started)
            do { try await clock.sleep(seconds: 0.1) } catch { return }
        }
    }

    private func progressUpdate(state: JobState, monitor: Monitor?, seconds: Double) {
        guard let progress else { return }
        let (name, total, skipped) = (plan.scheme.name, plan.spans.count, plan.spans.count - plan.todo.count)
        let live = monitor.map { m in layout.end.filter { m.isLive($0) }.count }
        Task {
            progress(JobProgress(scheme: name, total: total, coarse: skipped + (await state.coarseCount),
                                 final: skipped + (await state.finalCount), fine: await state.fineLabels,
                                 lost: await state.lost.count, seconds: seconds, liveEndDevices: live))
        }
    }
}

/// The first journal failure of a run, which stops it.
final class JournalStop: Sendable {
    private let first = Mutex<JournalError?>(nil)
    func set(_ error: JournalError) { first.withLock { if $0 == nil { $0 = error } } }
    var error: JournalError? { first.withLock { $0 } }
}

/// The kills and restarts a run did; restarts run beside the job and are awaited at its end.
final class FaultLog: Sendable {
    private let state = Mutex<(killed: [String], restarted: [String], restarts: [Task<Void, Never>])>(([], [], []))

    func killed(_ node: String) { state.withLock { $0.killed.append(node) } }

    func restart(_ node: String, _ body: @escaping @Sendable () async -> Bool) {
        let task = Task { [self] in
            if await body() { state.withLock { $0.restarted.append(node) } }
        }
        state.withLock { $0.restarts.append(task) }
    }

    func waitForRestarts() async {
        for task in state.withLock({ $0.restarts }) { await task.value }
    }

    var killed: [String] { state.withLock { $0.killed } }
    var restarted: [String] { state.withLock { $0.restarted } }
}

/// The fine-label requests in flight, so the run can wait for all of them (or stop them).
final class FineTasks: Sendable {
    private let tasks = Mutex<(running: [Task<Void, Never>], cancelled: Bool)>(([], false))

    func start(_ body: @escaping @Sendable () async -> Void) {
        let task = Task { await body() }
        let cancelled = tasks.withLock { t in t.running.append(task); return t.cancelled }
        if cancelled { task.cancel() }
    }

    func cancelAll() {
        let running = tasks.withLock { t in t.cancelled = true; return t.running }
        for task in running { task.cancel() }
    }

    func waitAll() async {
        while true {
            let batch = tasks.withLock { t in defer { t.running.removeAll() }; return t.running }
            if batch.isEmpty { return }
            for t in batch { await t.value }
        }
    }
}

/// A task's story, written to the journal as JSON: the coarse and fine exchanges' metadata (path,
/// per-hop timestamps, bytes, split), the escalation's, the final label's source, and every
/// failed attempt and re-route.
struct TaskRecord: Codable, Sendable {
    var coarse: TaskMetadata?
    var fine: TaskMetadata?
    var escalation: TaskMetadata?
    var coarseLatency: Double
    var fineLatency: Double?
    var labelSource: LabelSource?
    var notes: [String] = []

    init(coarse: TaskMetadata?, coarseLatency: Double) {
        self.coarse = coarse
        self.coarseLatency = coarseLatency
    }

    mutating func note(_ s: String) { notes.append(s) }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
