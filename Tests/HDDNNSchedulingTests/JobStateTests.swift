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
        #expect(await state.next(device: 0, live: nil) == 0, "dealt again, to a dead device too")
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
}
