import HDDNNScheduling
import HDDNNTestSupport
import Testing

/// Dispatch by fault policy (paper §3.6) under a manual clock.
@Suite struct JobStateTests {
    @Test func tasksAreDealtRoundRobinAndStampedWithTheJobsClock() async {
        let clock = ManualClock(now: 100)
        let state = JobState(policy: .monitor, devices: ["end-1", "end-2"], tasks: [0, 1, 2, 3], clock: clock)
        #expect(await state.next(device: 0, live: nil) == 0)
        clock.advance(by: 2.5)
        #expect(await state.next(device: 1, live: nil) == 1)
        #expect(await state.firstDispatch == [0: 100, 1: 102.5])
        #expect(await state.next(device: 0, live: nil) == 2)
    }

    @Test func noneLosesAFailedTaskWithItsDevice() async {
        let state = JobState(policy: .none, devices: ["end-1", "end-2"], tasks: [0, 1], clock: ManualClock())
        let task = await state.next(device: 1, live: nil)!
        #expect(await !state.failed(task, device: 1, live: nil, maxAttempts: 64))
        #expect(await state.lost == [1: .endDeviceFailed(node: "end-2")])
    }

    @Test func reassignWaitsForTheRoundThenDealsToEveryDevice() async {
        let state = JobState(policy: .reassign, devices: ["end-1", "end-2"], tasks: [0, 1], clock: ManualClock())
        let t0 = await state.next(device: 0, live: nil)!
        #expect(await state.failed(t0, device: 0, live: nil, maxAttempts: 64))
        #expect(await state.next(device: 0, live: nil) == nil, "task 1 is still queued: the round is not over")
        #expect(await state.next(device: 1, live: nil) == 1)
        #expect(await state.next(device: 0, live: nil) == nil, "dealt again, to the device after the one it failed on")
        #expect(await state.next(device: 1, live: nil) == 0)
        #expect(await state.attempts[0] == 2)
    }

    @Test func monitorHandsADeadDevicesQueueToTheLiveOnes() async {
        let state = JobState(policy: .monitor, devices: ["end-1", "end-2", "end-3"], tasks: Array(0..<6), clock: ManualClock())
        #expect(await state.next(device: 2, live: ["end-1", "end-2"]) == nil)
        var got: [Int] = []
        while let t = await state.next(device: 0, live: ["end-1", "end-2"]) { got.append(t) }
        while let t = await state.next(device: 1, live: ["end-1", "end-2"]) { got.append(t) }
        #expect(got.sorted() == Array(0..<6))
    }

    @Test func attemptsRunOutIntoALossWithTheCount() async {
        let state = JobState(policy: .reassign, devices: ["end-1"], tasks: [0], clock: ManualClock())
        for _ in 0..<3 {
            let t = await state.next(device: 0, live: nil)!
            _ = await state.failed(t, device: 0, live: nil, maxAttempts: 3)
        }
        #expect(await state.lost == [0: .attemptsSpent(3)])
        #expect(await state.coarsePhaseOver)
    }

    @Test func abandonedTasksAreLostForWantOfAnEndDevice() async {
        let state = JobState(policy: .monitor, devices: ["end-1"], tasks: [0, 1, 2], clock: ManualClock())
        _ = await state.next(device: 0, live: nil)
        #expect(await state.abandon() == 2)
        #expect(await state.lost == [1: .noEndDevice, 2: .noEndDevice])
    }

    /// Found by `hddnn chaos`: with two of three end devices dead, a shared rotation could deal one
    /// task to the dead ones round after round until its 64 attempts ran out.
    @Test func reassignSendsAFailedTaskToTheNextDeviceSoItMeetsEveryOne() async {
        let state = JobState(policy: .reassign, devices: ["end-1", "end-2", "end-3"], tasks: [0, 1, 2], clock: ManualClock())
        // end-2 and end-3 are dead; follow task 1 (dealt first to end-2) through its rounds.
        var visited: [Int] = []
        for _ in 0..<3 {
            var got: [Int: Int] = [:]
            for d in 0..<3 { while let t = await state.next(device: d, live: nil) { got[t] = d } }
            guard let device = got[1] else { break }
            visited.append(device)
            for (t, d) in got where d != 0 { _ = await state.failed(t, device: d, live: nil, maxAttempts: 64) }
            if device == 0 { break }
        }
        #expect(visited == [1, 2, 0], "dead end-2, dead end-3, then the live end-1")
    }
}
