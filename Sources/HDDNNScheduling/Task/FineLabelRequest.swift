import Foundation

/// The fine label of one task as a state machine: the execution sends what it says, reports what
/// happened, and does what it says next, until it says `finish`. It holds no network or clock of
/// its own (times come in as arguments), so every path is a unit test.
///
/// A request goes from the coordinator to an end device (the relay, which splits the batch when
/// the upper node is undependable, eq. 12-16) and on to an upper node. When a send fails:
/// - the relay failed: the next live end device relays instead;
/// - the upper node failed: the next live node of the same tier answers instead, else a live node
///   of the other upper tier (said in the task's notes: its fine label then comes from that tier's
///   model), else, under Monitor, the request waits a heartbeat for one to come back and ends with
///   the coarse label (`noUpperNode`) once `giveUpAfter` passes with none;
/// - the policy is none, or `maxAttempts` sends failed: the coarse label is final (`upperFailed`);
/// - the deadline passed, or the next send could not finish before it: the coarse label is final
///   (`deadline`).
public struct FineLabelRequest: Sendable {
    /// What the execution does next.
    public enum Action: Sendable, Equatable {
        /// Send the task through `relay` to `upper`, waiting at most `timeout` seconds.
        case send(relay: String, upper: String, timeout: Double)
        /// Wait, then ask `resume(now:live:)`.
        case wait(seconds: Double)
        /// Done: the last send's answer is the fine label, or the coarse label stays, for a reason.
        case finish(Ending)
    }

    public enum Ending: Sendable, Equatable {
        case answered(upper: String)
        case coarse(CoarseReason)
    }

    /// What went wrong with a send.
    public enum Failure: Sendable, Equatable {
        /// The relaying end device did not answer.
        case relayDown
        /// The upper node (or the relay's hop to it) failed.
        case upperDown
        /// The send ran into the task's deadline.
        case deadline
        /// The upper node answered without logits of the task's size.
        case badAnswer
        /// A refusal that sending again would not cure (a 4xx, a malformed body).
        case refused(String)
    }

    /// Where the request may go.
    public struct Candidates: Sendable {
        /// End devices that may relay, in order.
        public var relays: [String]
        /// Upper nodes of the tier the scheme chose, in order.
        public var tier: [String]
        /// Upper nodes of the other upper tier, tried when the chosen tier has none live.
        public var otherTier: [String]

        public init(relays: [String], tier: [String], otherTier: [String]) {
            self.relays = relays
            self.tier = tier
            self.otherTier = otherTier
        }
    }

    public let candidates: Candidates
    public let policy: FaultPolicy
    /// Absolute time by which the fine label must arrive.
    public let deadline: Double?
    /// Seconds the next send is expected to take at a node (its tier's t_c + t_p + t_e).
    public let expected: @Sendable (String) -> Double
    public let requestTimeout: Double
    public let heartbeat: Double
    public let maxAttempts: Int
    /// Under Monitor: seconds with no live upper node before the coarse label is final.
    public let giveUpAfter: Double

    public private(set) var relay: String
    public private(set) var upper: String
    public private(set) var attempts = 0
    /// What happened, for the task's metadata.
    public private(set) var notes: [String] = []
    private var noUpperSince: Double?

    public init(relay: String, upper: String, candidates: Candidates, policy: FaultPolicy, deadline: Double?,
         expected: @escaping @Sendable (String) -> Double, requestTimeout: Double, heartbeat: Double,
         maxAttempts: Int, giveUpAfter: Double) {
        self.relay = relay
        self.upper = upper
        self.candidates = candidates
        self.policy = policy
        self.deadline = deadline
        self.expected = expected
        self.requestTimeout = requestTimeout
        self.heartbeat = heartbeat
        self.maxAttempts = maxAttempts
        self.giveUpAfter = giveUpAfter
    }

    /// The first or next send, unless the deadline rules it out.
    public mutating func next(now: Double) -> Action {
        if let deadline {
            let remaining = deadline - now
            let needs = expected(upper)
            if remaining <= 0 || remaining < needs {
                note("fine label skipped: \(String(format: "%.2f", max(0, remaining))) s left, \(upper) needs about \(String(format: "%.2f", needs)) s")
                return .finish(.coarse(.deadline))
            }
        }
        attempts += 1
        return .send(relay: relay, upper: upper, timeout: deadline.map { min(requestTimeout, $0 - now) } ?? requestTimeout)
    }

    /// The last send answered with the fine label.
    public mutating func answered() -> Action { .finish(.answered(upper: upper)) }

    /// The last send failed; `live` is the Monitor's list after the failed node was dropped (nil
    /// without a Monitor: every node counts as live).
    public mutating func failed(_ failure: Failure, now: Double, live: Set<String>?) -> Action {
        let failedNode = failure == .relayDown ? relay : upper
        switch failure {
        case .deadline:
            note("fine label cancelled at the deadline")
            return .finish(.coarse(.deadline))
        case .badAnswer:
            note("\(upper) answered without logits")
            return .finish(.coarse(.badAnswer(node: upper)))
        case .refused(let message):
            note("attempt \(attempts) via \(relay) to \(upper) refused: \(message)")
            return .finish(.coarse(.upperFailed(node: failedNode)))
        case .relayDown, .upperDown:
            note("attempt \(attempts) via \(relay) to \(upper) failed: \(failedNode) did not answer")
        }
        guard policy != .none, attempts < maxAttempts else { return .finish(.coarse(.upperFailed(node: failedNode))) }

        // Without a Monitor's list, the node that just failed is the one known to be down.
        if failure == .relayDown {
            relay = Self.pick(candidates.relays, after: relay, where: { $0 != failedNode && (live?.contains($0) ?? true) }) ?? relay
        } else {
            reroute(live: live, after: upper, failed: failedNode)
        }
        return route(now: now, live: live)
    }

    /// After a `wait`: the next send, re-picked from the live list as it is now.
    public mutating func resume(now: Double, live: Set<String>?) -> Action {
        if let live, !live.contains(relay) { relay = Self.pick(candidates.relays, after: relay, where: live.contains) ?? relay }
        if let live, !live.contains(upper) { reroute(live: live, after: upper, failed: nil) }
        return route(now: now, live: live)
    }

    /// Moves to the next live upper node other than `failed`: the same tier first, then the other
    /// one. Without a Monitor's list (Reassign) every node is "live", so the next node is taken
    /// round-robin over both tiers together: picking the same tier first would bounce between
    /// one dead node of each tier forever (`hddnn chaos` found a task doing that with the cloud
    /// and edge-1 dead and edge-2 alive). Nothing changes when there is no other node.
    private mutating func reroute(live: Set<String>?, after current: String, failed: String?) {
        func isLive(_ node: String) -> Bool { node != failed && (live?.contains(node) ?? true) }
        let next: String?
        if live == nil {
            next = Self.pick(candidates.tier + candidates.otherTier, after: current, where: isLive)
        } else {
            next = Self.pick(candidates.tier, after: current, where: isLive) ?? Self.pick(candidates.otherTier, after: current, where: isLive)
        }
        guard let next else { return }
        if candidates.otherTier.contains(next) != candidates.otherTier.contains(upper) {
            note("no live node of \(current)'s tier: routed to \(next) of the other upper tier")
        }
        upper = next
    }

    /// Sends when the relay and the upper node are live; otherwise waits a heartbeat for the
    /// Monitor's list to change, and gives up after `giveUpAfter`.
    private mutating func route(now: Double, live: Set<String>?) -> Action {
        func isLive(_ node: String) -> Bool { live?.contains(node) ?? true }
        guard isLive(upper), isLive(relay) else {
            let since = noUpperSince ?? now
            noUpperSince = since
            if now - since >= giveUpAfter {
                note("no live \(isLive(relay) ? "upper node" : "end device to relay") for \(String(format: "%.1f", now - since)) s")
                return .finish(.coarse(isLive(relay) ? .noUpperNode : .upperFailed(node: relay)))
            }
            return .wait(seconds: heartbeat)
        }
        noUpperSince = nil
        return next(now: now)
    }

    mutating func note(_ text: String) { notes.append(text) }

    /// The first node after `current` in `nodes` (round-robin) that satisfies `ok`.
    static func pick(_ nodes: [String], after current: String, where ok: (String) -> Bool) -> String? {
        guard !nodes.isEmpty else { return nil }
        let start = (nodes.firstIndex(of: current) ?? -1) + 1
        for k in 0..<nodes.count where ok(nodes[(start + k) % nodes.count]) { return nodes[(start + k) % nodes.count] }
        return nil
    }
}
