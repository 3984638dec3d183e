import HDDNNScheduling
import Synchronization

/// A `JobClock` that moves only when a test says so: sleepers wake when `advance(by:)` passes
/// their deadline, in deadline order.
public final class ManualClock: JobClock {
    private struct Sleeper {
        var deadline: Double
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let state: Mutex<(now: Double, sleepers: [Int: Sleeper], next: Int)>

    public init(now: Double = 1_000) {
        state = Mutex((now, [:], 0))
    }

    public var now: Double { state.withLock { $0.now } }

    /// Sleepers waiting now.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    public func sleep(seconds: Double) async throws {
        let id = state.withLock { s in defer { s.next += 1 }; return s.next }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { s -> Bool in
                    if seconds <= 0 { return true }
                    s.sleepers[id] = Sleeper(deadline: s.now + seconds, continuation: c)
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
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
    /// time only once the code under test is waiting on it. False if that never happens.
    public func waitForSleepers(_ count: Int, within seconds: Double = 5) async -> Bool {
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end {
            if sleepers >= count { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return false
    }
}
