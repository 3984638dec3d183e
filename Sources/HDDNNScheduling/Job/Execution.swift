import Foundation
import HDDNNCluster
import Synchronization

/// One run of a job's tasks: a worker per end device, fine-label requests in flight beside them,
/// the Monitor's heartbeat, the fault injector and the progress ticker.
struct Execution: Sendable {
    let runner: JobRunner
    let jobID: String
    let layout: ClusterLayout
    let infos: [String: NodeInfo]
    let data: JobData
    let spans: [(first: Int, count: Int)]
    let scheme: any Scheme
    let costs: CostModel
    let todo: [Int]

    /// What the run itself saw (the journal holds the per-task results).
    struct Outcome: Sendable {
        var seconds: Double
        var fineLost: Int
        var deadlineMisses: Int
        var timeoutsPaid: Int
        var bytesMoved: Int
        var killed: [String]
    }

    private var policy: FaultPolicy { runner.configuration.faultPolicy }

    func run() async -> Outcome {
        let state = JobState(policy: policy, devices: layout.end, tasks: todo)
        let monitor: Monitor? = policy == .monitor
            ? Monitor(client: runner.client, nodes: (layout.end + layout.edge + layout.cloud).compactMap { try? runner.topology.node($0) },
                      interval: runner.configuration.heartbeat, probeTimeout: max(0.2, runner.configuration.heartbeat))
            : nil
        let killed = SharedList()
        let fines = FineTasks()
        let started = TaskMetadata.now()

        await withTaskGroup(of: Void.self) { group in
            if let monitor { group.addTask { await monitor.run() } }
            group.addTask { await self.injectFaults(state: state, killed: killed) }
            group.addTask { await self.tick(state: state, monitor: monitor, started: started) }
            await withTaskGroup(of: Void.self) { workers in
                for d in layout.end.indices {
                    workers.addTask { await self.worker(device: d, state: state, monitor: monitor, fines: fines) }
                }
            }
            await fines.waitAll()
            group.cancelAll()
        }
        // Tasks that never got a coarse label (none policy, or every end device gone) are lost.
        let lost = await state.lost
        for task in lost {
            _ = try? runner.journal.recordFinal(job: jobID, task: task, fine: nil, source: "lost", upperNode: nil, fineLatency: nil,
                                                metadata: "{\"lost\":true}", lost: true)
        }
        let now = TaskMetadata.now()
        progressUpdate(state: state, monitor: monitor, seconds: now - started)
        return Outcome(seconds: now - started, fineLost: await state.fineLost, deadlineMisses: await state.deadlineMisses,
                       timeoutsPaid: await state.timeoutsPaid, bytesMoved: await state.bytesMoved,
                       killed: killed.values)
    }

    // MARK: End devices

    private func worker(device d: Int, state: JobState, monitor: Monitor?, fines: FineTasks) async {
        let endName = layout.end[d]
        guard let end = try? runner.node(endName), let info = infos[endName] else { return }
        var noLiveDeviceSince: Double?
        while !Task.isCancelled {
            guard let task = await state.next(device: d, live: monitor?.liveNodes) else {
                if await state.coarsePhaseOver { return }
                if let monitor, !layout.end.contains(where: monitor.isLive) {
                    // Every end device is gone: wait a while for one to come back, then give up.
                    let now = TaskMetadata.now()
                    let since = noLiveDeviceSince ?? now
                    noLiveDeviceSince = since
                    if now - since > max(5, 4 * runner.topology.defaults.timeout) {
                        let abandoned = await state.abandon()
                        if abandoned > 0 { runner.logger.error("no end device is alive; tasks lost", metadata: ["tasks": "\(abandoned)"]) }
                        return
                    }
                } else {
                    noLiveDeviceSince = nil
                }
                try? await Task.sleep(for: .milliseconds(10))
                continue
            }
            let span = spans[task]
            let first = await state.firstDispatch[task] ?? TaskMetadata.now()
            let images = data.tensor(first: span.first, count: span.count, name: info.model.inputName)
            let metadata = TaskMetadata(taskID: "\(jobID)/\(task)", source: "coordinator")
            do {
                let exchange = try await runner.client.infer(node: end, model: info.model.name, inputs: [images], metadata: metadata,
                                                             timeout: runner.topology.defaults.requestTimeout, binary: runner.configuration.binary)
                guard let labels = exchange.outputs.first?.argmaxRows(), labels.count == span.count else {
                    runner.logger.error("end device answered without logits", metadata: ["task": "\(task)", "node": "\(endName)"])
                    await state.markLost(task)
                    continue
                }
                await state.moved(exchange.requestBytes + exchange.responseBytes)
                let latency = TaskMetadata.now() - first
                let attempts = await state.attempts[task] ?? 1
                try? runner.journal.recordCoarse(job: jobID, task: task, labels: labels, endNode: endName, latency: latency, attempts: attempts)
                await state.coarse(task)
                let record = TaskRecord(coarse: exchange.metadata, coarseLatency: latency)
                if let upper = scheme.upperNode(task: task, endDevice: d, layout: layout, load: await state.upperLoad) {
                    await state.upperAssigned(upper)
                    fines.start { await self.fine(task: task, device: d, upper: upper, first: first, record: record, state: state, monitor: monitor) }
                } else {
                    finish(task: task, state: state, fine: nil, source: "coarse (\(scheme.name) scheme)", upper: nil, latency: nil, record: record)
                    await state.final(task, fine: false)
                }
            } catch let error where error.isNodeFailure {
                runner.logger.warning("end device failed", metadata: ["task": "\(task)", "node": "\(endName)", "error": "\(error)"])
                monitor?.markDead(endName)
                let kept = await state.failed(task, device: d, live: monitor?.liveNodes, maxAttempts: JobRunner.maxAttempts)
                if !kept { runner.logger.error("task lost", metadata: ["task": "\(task)", "policy": "\(policy.rawValue)"]) }
            } catch {
                runner.logger.error("end device refused the task", metadata: ["task": "\(task)", "node": "\(endName)", "error": "\(error)"])
                await state.markLost(task)
            }
        }
    }

    // MARK: Upper tiers

    /// Gets the fine label of `task` from `upper`, relayed by an end device, retrying by policy.
    private func fine(task: Int, device d: Int, upper initial: String, first: Double, record: TaskRecord,
                      state: JobState, monitor: Monitor?) async {
        var record = record
        var upper = initial
        var relay = d
        let tier = layout.tier(of: initial) ?? .edge
        let tierCost = tier == .cloud ? costs.cloud : costs.edge
        let deadline = runner.configuration.deadline.map { first + $0 }
        let span = spans[task]
        var attempt = 0
        while true {
            attempt += 1
            let now = TaskMetadata.now()
            if let deadline {
                let remaining = deadline - now
                let expected = (tierCost?.perTask ?? 0) + (tierCost?.splitHead ?? 0)
                if remaining <= 0 || remaining < expected {
                    record.note("fine label skipped: \(String(format: "%.2f", max(0, remaining))) s left, \(upper) needs about \(String(format: "%.2f", expected)) s")
                    finish(task: task, state: state, fine: nil, source: "coarse (deadline)", upper: upper, latency: nil, record: record)
                    await state.final(task, fine: false, deadlineMiss: true)
                    return
                }
            }
            guard let relayNode = try? runner.node(layout.end[relay]), let upperInfo = infos[upper] else { return }
            let images = data.tensor(first: span.first, count: span.count, name: upperInfo.model.inputName)
            let metadata = TaskMetadata(taskID: "\(jobID)/\(task)", source: "coordinator", route: [upper], deadline: deadline)
            var timeout = runner.topology.defaults.requestTimeout
            if let deadline { timeout = min(timeout, deadline - now) }
            await state.upperSent(upper)
            let result: Result<NodeClient.Exchange, NodeClientError>
            do {
                result = .success(try await runner.client.infer(node: relayNode, model: upperInfo.model.name, inputs: [images],
                                                                metadata: metadata, timeout: timeout, binary: runner.configuration.binary))
            } catch {
                result = .failure(error)
            }
            await state.upperAnswered(upper)
            switch result {
            case .success(let exchange):
                guard let labels = exchange.outputs.first?.argmaxRows(), labels.count == span.count else {
                    record.note("\(upper) answered without logits")
                    finish(task: task, state: state, fine: nil, source: "coarse (fine failed)", upper: upper, latency: nil, record: record)
                    await state.final(task, fine: false, fineLost: true)
                    return
                }
                await state.moved(exchange.requestBytes + exchange.responseBytes + (exchange.metadata?.bytesSent ?? 0))
                record.fine = exchange.metadata
                finish(task: task, state: state, fine: labels, source: "fine", upper: upper, latency: TaskMetadata.now() - first, record: record)
                await state.final(task, fine: true)
                return
            case .failure(let error):
                let relayFailed: Bool
                switch error {
                case .unreachable(let node, _), .timedOut(let node, _): relayFailed = node == relayNode.name
                default: relayFailed = false
                }
                if case .timedOut = error, let deadline, TaskMetadata.now() >= deadline - 0.01 {
                    record.note("fine label cancelled at the deadline")
                    finish(task: task, state: state, fine: nil, source: "coarse (deadline)", upper: upper, latency: nil, record: record)
                    await state.final(task, fine: false, deadlineMiss: true)
                    return
                }
                if case .rejected(_, 504, _) = error, let deadline, TaskMetadata.now() >= deadline - 0.05 {
                    record.note("fine label cancelled at the deadline by \(relayNode.name)")
                    finish(task: task, state: state, fine: nil, source: "coarse (deadline)", upper: upper, latency: nil, record: record)
                    await state.final(task, fine: false, deadlineMiss: true)
                    return
                }
                let failed = relayFailed ? relayNode.name : upper
                record.note("attempt \(attempt) via \(relayNode.name) to \(upper) failed: \(error)")
                guard error.isNodeFailure, policy != .none, attempt < JobRunner.maxAttempts else {
                    runner.logger.warning("fine label lost", metadata: ["task": "\(task)", "error": "\(error)"])
                    finish(task: task, state: state, fine: nil, source: "coarse (fine lost: \(failed) failed)", upper: upper, latency: nil, record: record)
                    await state.final(task, fine: false, fineLost: true)
                    return
                }
                await state.paidTimeout()
                monitor?.markDead(failed)
                if relayFailed {
                    relay = pick(from: layout.end, after: layout.end[relay], monitor: monitor).flatMap { layout.end.firstIndex(of: $0) } ?? relay
                } else {
                    let sameTier = tier == .cloud ? layout.cloud : layout.edge
                    upper = pick(from: sameTier, after: upper, monitor: monitor)
                        ?? pick(from: tier == .cloud ? layout.edge : layout.cloud, after: upper, monitor: monitor)
                        ?? upper
                }
                if policy == .monitor, let monitor, !monitor.isLive(upper) || !monitor.isLive(layout.end[relay]) {
                    try? await Task.sleep(for: .seconds(runner.configuration.heartbeat))
                }
            }
        }
    }

    /// The next node after `current` in `nodes` (round-robin); under Monitor, only live ones.
    private func pick(from nodes: [String], after current: String, monitor: Monitor?) -> String? {
        guard !nodes.isEmpty else { return nil }
        let start = (nodes.firstIndex(of: current) ?? -1) + 1
        for k in 0..<nodes.count {
            let candidate = nodes[(start + k) % nodes.count]
            if monitor?.isLive(candidate) ?? true { return candidate }
        }
        return nil
    }

    private func finish(task: Int, state: JobState, fine: [Int]?, source: String, upper: String?, latency: Double?, record: TaskRecord) {
        var record = record
        record.labelSource = source
        record.fineLatency = latency
        _ = try? runner.journal.recordFinal(job: jobID, task: task, fine: fine, source: source, upperNode: upper,
                                            fineLatency: latency, metadata: record.json)
    }

    // MARK: Faults and progress

    private func injectFaults(state: JobState, killed: SharedList) async {
        var pending = runner.configuration.kills.sorted { $0.afterFraction < $1.afterFraction }
        guard !pending.isEmpty, let killer = runner.killer else { return }
        let total = max(1, spans.count)
        while !pending.isEmpty && !Task.isCancelled {
            let done = Double(spans.count - todo.count + (await state.coarseCount)) / Double(total)
            while let next = pending.first, done >= next.afterFraction {
                pending.removeFirst()
                runner.logger.notice("killing node (SIGKILL)", metadata: ["node": "\(next.node)", "at": "\(Int(done * 100))% of tasks"])
                killer(next.node)
                killed.append(next.node)
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private func tick(state: JobState, monitor: Monitor?, started: Double) async {
        while !Task.isCancelled {
            progressUpdate(state: state, monitor: monitor, seconds: TaskMetadata.now() - started)
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func progressUpdate(state: JobState, monitor: Monitor?, seconds: Double) {
        guard let progress = runner.progress else { return }
        Task {
            progress(JobProgress(scheme: scheme.name, total: spans.count, coarse: spans.count - todo.count + (await state.coarseCount),
                                 final: spans.count - todo.count + (await state.finalCount), fine: await state.fineLabels,
                                 lost: await state.lost.count, seconds: seconds,
                                 liveEndDevices: monitor.map { m in layout.end.filter { m.isLive($0) }.count }))
        }
    }
}

/// A list several tasks append to.
final class SharedList: Sendable {
    private let list = Mutex<[String]>([])
    func append(_ s: String) { list.withLock { $0.append(s) } }
    var values: [String] { list.withLock { $0 } }
}

/// The fine-label requests in flight, so the run can wait for all of them.
final class FineTasks: Sendable {
    private let tasks = Mutex<[Task<Void, Never>]>([])

    func start(_ body: @escaping @Sendable () async -> Void) {
        let task = Task { await body() }
        tasks.withLock { $0.append(task) }
    }

    func waitAll() async {
        while true {
            let batch = tasks.withLock { t in defer { t.removeAll() }; return t }
            if batch.isEmpty { return }
            for t in batch { await t.value }
        }
    }
}

/// A task's story, written to the journal as JSON: the coarse and fine exchanges' metadata (path,
/// per-hop timestamps, bytes, split), the final label's source, and every failed attempt.
struct TaskRecord: Codable, Sendable {
    var coarse: TaskMetadata?
    var fine: TaskMetadata?
    var coarseLatency: Double
    var fineLatency: Double?
    var labelSource: String?
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
