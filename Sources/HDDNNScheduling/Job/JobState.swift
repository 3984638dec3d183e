import Foundation

/// The mutable heart of a running job: which end device holds which tasks, what each task has
/// reached, and the counters the progress line shows. An actor, so workers, fine-label requests,
/// the monitor and the fault injector never race on it.
///
/// Dispatch follows the fault policy (paper §3.6):
/// - tasks start in round-robin queues over the job's end devices (sequential order, §3.4);
/// - none: a failed task is lost;
/// - Reassign: a failed task waits until every queue is empty (all tasks assigned at least once),
///   then the waiting tasks are dealt to all devices again, dead or not, each to the device after
///   the one it last failed on, so every task meets every device in turn (a rotation shared by
///   all tasks can fall in step with the number of devices and send one task to the same dead
///   devices until its attempts run out: the chaos test found that);
/// - Monitor: a device that leaves the live list hands its queue to the live devices at once, and
///   a failed task goes to the live device with the shortest queue.
///
/// A lost task keeps its `LossReason`. The clock stamps first dispatches (per-image latency and
/// deadlines count from there); tests pass a manual one.
public actor JobState {
    public let policy: FaultPolicy
    public let devices: [String]
    public let clock: any JobClock
    private var queues: [[Int]]
    private var waiting: [Int] = []
    /// The device each waiting task failed on last (Reassign deals it to the next one).
    private var lastFailedOn: [Int: Int] = [:]
    public private(set) var attempts: [Int: Int] = [:]
    public private(set) var firstDispatch: [Int: Double] = [:]
    private var coarseDone = Set<Int>()
    private var finalDone = Set<Int>()
    public private(set) var lost: [Int: LossReason] = [:]
    private(set) var fineLabels = 0
    private(set) var fineLost = 0
    private(set) var deadlineMisses = 0
    private(set) var bytesMoved = 0
    private(set) var timeoutsPaid = 0
    let total: Int
    private var nextRoundStart = 0

    public init(policy: FaultPolicy, devices: [String], tasks: [Int], clock: any JobClock = SystemJobClock()) {
        self.policy = policy
        self.devices = devices
        self.clock = clock
        self.total = tasks.count
        queues = Array(repeating: [], count: devices.count)
        for (i, t) in tasks.enumerated() { queues[i % devices.count].append(t) }
    }

    /// The next task for device `d`, or nil when it has none now.
    public func next(device d: Int, live: Set<String>?) -> Int? {
        if policy == .monitor, let live, !live.contains(devices[d]) {
            handOff(from: d, live: live)
            return nil
        }
        if queues[d].isEmpty, !waiting.isEmpty, queues.allSatisfy(\.isEmpty) {
            let targets = policy == .monitor ? devices.indices.filter { live?.contains(devices[$0]) ?? true } : Array(devices.indices)
            guard !targets.isEmpty else { return nil }
            for (k, t) in waiting.enumerated() {
                if policy == .reassign, let failedOn = lastFailedOn[t] {
                    queues[(failedOn + 1) % devices.count].append(t)
                } else {
                    queues[targets[(nextRoundStart + k) % targets.count]].append(t)
                }
            }
            nextRoundStart += waiting.count
            waiting.removeAll()
        }
        guard !queues[d].isEmpty else { return nil }
        let task = queues[d].removeFirst()
        attempts[task, default: 0] += 1
        if firstDispatch[task] == nil { firstDispatch[task] = clock.now }
        return task
    }

    private func handOff(from d: Int, live: Set<String>) {
        guard !queues[d].isEmpty else { return }
        let targets = devices.indices.filter { live.contains(devices[$0]) }
        guard !targets.isEmpty else { return }
        for (k, t) in queues[d].enumerated() { queues[targets[k % targets.count]].append(t) }
        queues[d].removeAll()
    }

    /// A task's coarse exchange failed because its device is gone.
    /// Returns false when the task is now lost.
    public func failed(_ task: Int, device d: Int, live: Set<String>?, maxAttempts: Int) -> Bool {
        timeoutsPaid += 1
        switch policy {
        case .none:
            lost[task] = .endDeviceFailed(node: devices[d])
            return false
        case _ where (attempts[task] ?? 0) >= maxAttempts:
            lost[task] = .attemptsSpent(attempts[task] ?? 0)
            return false
        case .reassign:
            lastFailedOn[task] = d
            waiting.append(task)
        case .monitor:
            let targets = devices.indices.filter { $0 != d && (live?.contains(devices[$0]) ?? true) }
            if let shortest = targets.min(by: { queues[$0].count < queues[$1].count }) {
                queues[shortest].insert(task, at: 0)
            } else {
                waiting.append(task)
            }
            handOff(from: d, live: live ?? [])
        }
        return true
    }

    public func markLost(_ task: Int, _ reason: LossReason) { lost[task] = reason }

    /// Declares every queued or waiting task lost (no device left to run them); returns how many.
    public func abandon() -> Int {
        let left = queues.flatMap { $0 } + waiting
        queues = queues.map { _ in [] }
        waiting.removeAll()
        for task in left { lost[task] = .noEndDevice }
        return left.count
    }

    public func coarse(_ task: Int) { coarseDone.insert(task) }

    public func final(_ task: Int, fine: Bool, fineLost: Bool = false, deadlineMiss: Bool = false) {
        finalDone.insert(task)
        if fine { fineLabels += 1 }
        if fineLost { self.fineLost += 1 }
        if deadlineMiss { deadlineMisses += 1 }
    }

    func paidTimeout() { timeoutsPaid += 1 }

    /// Images the cloud answered for the escalation scheme.
    private(set) var escalatedImages = 0
    func escalated(_ images: Int) { escalatedImages += images }

    // Upper-tier load, for dynamic schemes.
    private var outstanding: [String: Int] = [:]
    private var assigned: [String: Int] = [:]

    var upperLoad: UpperLoad { UpperLoad(outstanding: outstanding, assigned: assigned) }

    /// A task was given to `node` (its first attempt there counts toward the node's share).
    func upperAssigned(_ node: String) { assigned[node, default: 0] += 1 }
    func upperSent(_ node: String) { outstanding[node, default: 0] += 1 }
    func upperAnswered(_ node: String) { outstanding[node, default: 0] -= 1 }

    func moved(_ bytes: Int) { bytesMoved += bytes }

    /// Every task has its coarse label or is lost: the end devices are done.
    public var coarsePhaseOver: Bool { coarseDone.count + lost.count >= total }
    public var coarseCount: Int { coarseDone.count }
    public var finalCount: Int { finalDone.count }
}
