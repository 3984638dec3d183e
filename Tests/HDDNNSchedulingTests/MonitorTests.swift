import HDDNNCluster
import HDDNNScheduling
import HDDNNTestSupport
import Synchronization
import Testing

/// The Monitor's live list (paper §3.6) with a scripted probe and a manual clock: a heartbeat
/// happens only when the clock says so.
@Suite struct MonitorTests {
    final class Script: Sendable {
        let down = Mutex<Set<String>>([])
        let probes = Mutex(0)
        func probe(_ node: NodeSpec) -> Bool {
            probes.withLock { $0 += 1 }
            return !down.withLock { $0.contains(node.name) }
        }
    }

    let nodes = ["end-1", "edge-1"].map { NodeSpec(name: $0, role: $0.hasPrefix("end") ? .end : .edge, trust: .dependable, model: "m.onnx", port: 1) }

    @Test func aNodeLeavesTheListAtTheHeartbeatAfterItStopsAnsweringAndRejoinsWhenItAnswers() async throws {
        let clock = ManualClock()
        let script = Script()
        let monitor = Monitor(nodes: nodes, interval: 0.5, probeTimeout: 0.1, clock: clock) { node, _ in script.probe(node) }
        let running = Task { await monitor.run() }
        defer { running.cancel() }
        #expect(await clock.waitForSleepers(1), "the first round ran and the monitor sleeps")
        #expect(monitor.completedRounds == 1 && monitor.liveNodes == ["end-1", "edge-1"])

        script.down.withLock { _ = $0.insert("edge-1") }
        clock.advance(by: 0.4)
        try await Task.sleep(for: .milliseconds(20))
        #expect(monitor.completedRounds == 1 && monitor.isLive("edge-1"), "no heartbeat before the interval has passed")
        clock.advance(by: 0.1)
        #expect(await clock.waitForSleepers(1) && monitor.completedRounds == 2)
        #expect(!monitor.isLive("edge-1") && monitor.isLive("end-1"))

        script.down.withLock { $0.removeAll() }
        clock.advance(by: 0.5)
        #expect(await clock.waitForSleepers(1) && monitor.completedRounds == 3)
        #expect(monitor.isLive("edge-1"), "a node that answers again rejoins")
        #expect(script.probes.withLock { $0 } == 6)
    }

    @Test func aSenderCanDropANodeBetweenHeartbeats() async {
        let monitor = Monitor(nodes: nodes, clock: ManualClock()) { _, _ in true }
        monitor.markDead("end-1")
        #expect(monitor.liveNodes == ["edge-1"])
    }

    @Test func cancellingTheMonitorEndsItsSleep() async {
        let clock = ManualClock()
        let monitor = Monitor(nodes: nodes, clock: clock) { _, _ in true }
        let running = Task { await monitor.run() }
        #expect(await clock.waitForSleepers(1))
        running.cancel()
        await running.value
        #expect(clock.sleepers == 0)
    }
}

/// The manual clock itself: a task cancelled before it sleeps must not sleep forever.
@Suite struct ManualClockTests {
    @Test func aSleepAfterCancellationEndsAtOnce() async {
        let clock = ManualClock()
        let task = Task {
            while !Task.isCancelled { await Task.yield() }
            do { try await clock.sleep(seconds: 10); return false } catch { return true }
        }
        task.cancel()
        #expect(await task.value, "the sleep threw CancellationError instead of waiting for a clock that never moves")
        #expect(clock.sleepers == 0)
    }

    @Test func sleepersWakeInDeadlineOrderWhenTimePasses() async throws {
        let clock = ManualClock(now: 0)
        final class Order: Sendable { let woke = Mutex<[Int]>([]) }
        let order = Order()
        let a = Task { try await clock.sleep(seconds: 2); order.woke.withLock { $0.append(2) } }
        let b = Task { try await clock.sleep(seconds: 1); order.woke.withLock { $0.append(1) } }
        #expect(await clock.waitForSleepers(2))
        clock.advance(by: 1.5)
        try await b.value
        #expect(order.woke.withLock { $0 } == [1] && clock.sleepers == 1)
        clock.advance(by: 1)
        try await a.value
        #expect(order.woke.withLock { $0 } == [1, 2] && clock.now == 2.5)
    }
}
