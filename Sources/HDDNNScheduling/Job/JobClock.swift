import HDDNNCluster

/// The coordinator's sense of time: when tasks were dispatched, when deadlines fall, how long to
/// wait between heartbeats. Passed in, so `JobState` and `Monitor` run under a manual clock in
/// tests. Readings are seconds on the wall clock by default, because task deadlines travel to the
/// nodes in the task's metadata and are compared there with the nodes' own clocks.
public protocol JobClock: Sendable {
    /// Seconds since the clock's epoch.
    var now: Double { get }
    /// Suspends for `seconds` of this clock's time; throws `CancellationError` when cancelled.
    func sleep(seconds: Double) async throws
}

/// The wall clock (the same epoch as `TaskMetadata.now()`, which stamps every hop).
public struct SystemJobClock: JobClock {
    public init() {}
    public var now: Double { TaskMetadata.now() }
    public func sleep(seconds: Double) async throws {
        try await Task.sleep(for: .seconds(max(0, seconds)))
    }
}
