import HDDNNScheduling
import Testing

/// The fine-label path, every branch, without a network: the request says what to send, the test
/// says what happened.
@Suite struct FineLabelRequestTests {
    let candidates = FineLabelRequest.Candidates(relays: ["end-1", "end-2"], tier: ["edge-1", "edge-2"], otherTier: ["cloud"])

    func request(policy: FaultPolicy = .monitor, deadline: Double? = nil, expected: Double = 0.1, maxAttempts: Int = 64,
                 giveUpAfter: Double = 5, upper: String = "edge-1", candidates: FineLabelRequest.Candidates? = nil) -> FineLabelRequest {
        FineLabelRequest(relay: "end-1", upper: upper, candidates: candidates ?? self.candidates, policy: policy, deadline: deadline,
                         expected: { _ in expected }, requestTimeout: 60, heartbeat: 0.5, maxAttempts: maxAttempts, giveUpAfter: giveUpAfter)
    }

    @Test func anAnswerEndsTheRequest() {
        var r = request()
        #expect(r.next(now: 0) == .send(relay: "end-1", upper: "edge-1", timeout: 60))
        #expect(r.answered() == .finish(.answered(upper: "edge-1")))
        #expect(r.attempts == 1 && r.notes.isEmpty)
    }

    @Test func aFailedUpperNodeIsReplacedByTheNextLiveOneOfItsTier() {
        var r = request()
        _ = r.next(now: 0)
        #expect(r.failed(.upperDown, now: 1, live: ["end-1", "end-2", "edge-2", "cloud"]) == .send(relay: "end-1", upper: "edge-2", timeout: 60))
        #expect(r.attempts == 2)
    }

    @Test func aDeadTierSendsTheTaskToTheOtherUpperTierAndSaysSo() {
        var r = request()
        _ = r.next(now: 0)
        #expect(r.failed(.upperDown, now: 1, live: ["end-1", "end-2", "cloud"]) == .send(relay: "end-1", upper: "cloud", timeout: 60))
        #expect(r.notes.contains { $0.contains("routed to cloud of the other upper tier") }, "\(r.notes)")
    }

    @Test func aFailedRelayIsReplacedByTheNextLiveEndDevice() {
        var r = request()
        _ = r.next(now: 0)
        #expect(r.failed(.relayDown, now: 1, live: ["end-2", "edge-1"]) == .send(relay: "end-2", upper: "edge-1", timeout: 60))
    }

    @Test func withoutAPolicyAFailureKeepsTheCoarseLabel() {
        var r = request(policy: .none)
        _ = r.next(now: 0)
        #expect(r.failed(.upperDown, now: 1, live: nil) == .finish(.coarse(.upperFailed(node: "edge-1"))))
    }

    @Test func reassignWithoutAMonitorTriesEveryCandidateInTurnUntilAttemptsAreSpent() {
        var r = request(policy: .reassign, maxAttempts: 4)
        var sent: [String] = []
        var action = r.next(now: 0)
        while case .send(_, let upper, _) = action {
            sent.append(upper)
            action = r.failed(.upperDown, now: 0, live: nil)
        }
        #expect(sent == ["edge-1", "edge-2", "cloud", "edge-1"], "without a live list every upper node of both tiers is tried in turn")
        #expect(action == .finish(.coarse(.upperFailed(node: "edge-1"))))
    }

    @Test func withNothingLiveTheRequestWaitsThenGivesUpWithItsReason() {
        var r = request(giveUpAfter: 2)
        _ = r.next(now: 0)
        #expect(r.failed(.upperDown, now: 1, live: ["end-1"]) == .wait(seconds: 0.5))
        #expect(r.resume(now: 2, live: ["end-1"]) == .wait(seconds: 0.5))
        #expect(r.resume(now: 3.1, live: ["end-1"]) == .finish(.coarse(.noUpperNode)))
        #expect(r.attempts == 1, "no send to a node the Monitor lists as dead")
    }

    @Test func aNodeThatComesBackWhileWaitingIsUsed() {
        var r = request()
        _ = r.next(now: 0)
        #expect(r.failed(.upperDown, now: 1, live: ["end-1"]) == .wait(seconds: 0.5))
        #expect(r.resume(now: 1.5, live: ["end-1", "edge-2"]) == .send(relay: "end-1", upper: "edge-2", timeout: 60))
    }

    @Test func theDeadlineIsCheckedBeforeEverySend() {
        var tight = request(deadline: 10, expected: 3)
        #expect(tight.next(now: 8) == .finish(.coarse(.deadline)), "2 s left, 3 s needed")
        var loose = request(deadline: 10, expected: 1)
        #expect(loose.next(now: 8) == .send(relay: "end-1", upper: "edge-1", timeout: 2), "the send may not outlive the deadline")
        #expect(loose.failed(.deadline, now: 10, live: nil) == .finish(.coarse(.deadline)))
    }

    @Test func badAnswersAndRefusalsKeepTheCoarseLabelWithTheirReason() {
        var a = request()
        _ = a.next(now: 0)
        #expect(a.failed(.badAnswer, now: 0, live: nil) == .finish(.coarse(.badAnswer(node: "edge-1"))))
        var b = request()
        _ = b.next(now: 0)
        #expect(b.failed(.refused("400 bad shape"), now: 0, live: nil) == .finish(.coarse(.upperFailed(node: "edge-1"))))
        #expect(b.notes.contains { $0.contains("400 bad shape") })
    }

    @Test func anEscalationHasNoOtherTierToFallBackTo() {
        var r = request(giveUpAfter: 0, upper: "cloud", candidates: .init(relays: ["end-1"], tier: ["cloud"], otherTier: []))
        _ = r.next(now: 0)
        #expect(r.failed(.upperDown, now: 1, live: ["end-1", "edge-1"]) == .finish(.coarse(.noUpperNode)))
    }

    /// Found by `hddnn chaos`: under Reassign with the cloud and edge-1 dead, a task bounced
    /// between the two until its attempts ran out while edge-2 was alive.
    @Test func reassignVisitsEveryUpperNodeOfBothTiersInTurn() {
        var r = request(policy: .reassign, upper: "cloud",
                        candidates: .init(relays: ["end-1"], tier: ["cloud"], otherTier: ["edge-1", "edge-2"]))
        var sent: [String] = []
        var action = r.next(now: 0)
        while case .send(_, let upper, _) = action, sent.count < 4 {
            sent.append(upper)
            action = r.failed(.upperDown, now: 0, live: nil)
        }
        #expect(sent == ["cloud", "edge-1", "edge-2", "cloud"])
    }
}
