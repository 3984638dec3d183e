import HDDNNScheduling
import Synchronization

/// A `JobClock` that moves only when a test says so: sleepers wake when `advance(by:)` passes
/// their deadline, in deadline order.
public final class ManualClock: JobClock {
    private struct Sleeper {
        var deadline: Double
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let state: Mutex<(now: Double, sleepers: [Int: Sleeper], next: Int, cancelled: Set<Int>)>

    public init(now: Double = 1_000) {
        state = Mutex((now, [:], 0, []))
    }

    public var now: Double { state.withLock { $0.now } }

    /// Sleepers waiting now.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    public func sleep(seconds: Double) async throws {
        let id = state.withLock { s in defer { s.next += 1 }; return s.next }
        // The cancellation handler may run before the continuation exists (a task cancelled
        // before it sleeps); it leaves a mark, so the sleep then ends at once instead of never.
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { s -> Result<Bool, CancellationError> in
                    if s.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if seconds <= 0 { return .success(true) }
                    s.sleepers[id] = Sleeper(deadline: s.now + seconds, continuation: c)
                    return .success(false)
                }
                switch outcome {
                case .failure(let error): c.resume(throwing: error)
                case .success(true): c.resume()
                case .success(false): break
                }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> Sleeper? in
                guard let sleeper = s.sleepers.removeValue(forKey: id) else { s.cancelled.insert(id); return nil }
                return sleeper
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline it reaches.
    public func advance(by seconds: Double) {
        let due = state.withLock { s -> [Sleeper] in
            s.now += seconds
            let due = s.sleepers.filter { $0.value.deadline <= s.now }
            for key in due.keys { s.sleepers.removeValue(forKey: key) }
            return due.values.sorted { $0.deadline < $1.deadline }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Waits (in real time, briefly) until `count` tasks sleep on this clock, so a test advances
    /// time only once the code under test is waiting on it. False if that never happens. The
    /// bound is generous because a loaded machine (the whole suite in parallel on 2 cores) can
    /// keep a task from running for seconds; it returns as soon as the sleepers are there.
    public func waitForSleepers(_ count: Int, within seconds: Double = 60) async -> Bool {
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end {
            if sleepers >= count { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return false
    }
}
