import Foundation
import HDDNNCluster
import Logging
import Synchronization

/// The live-node list of the Monitor policy (paper §3.6): polls every node's
/// `GET /v2/health/ready` each `interval`; a node that does not answer 200 within `probeTimeout`
/// leaves the list, one that answers again rejoins. Senders also report failures directly
/// (`markDead`), so a node is dropped at the first timeout even between heartbeats.
///
/// The probe and the clock are passed in: the job gives it the node client's readiness probe and
/// the wall clock, a test a scripted probe and a `ManualClock`.
public final class Monitor: Sendable {
    /// Asks one node whether it is ready, within `timeout` seconds.
    public typealias Probe = @Sendable (_ node: NodeSpec, _ timeout: Double) async -> Bool

    public let interval: Double
    public let probeTimeout: Double
    private let probe: Probe
    private let clock: any JobClock
    private let nodes: [NodeSpec]
    private let live: Mutex<Set<String>>
    private let rounds = Mutex(0)
    private let logger: Logger

    public init(nodes: [NodeSpec], interval: Double = 0.5, probeTimeout: Double = 0.5, clock: any JobClock = SystemJobClock(),
                logger: Logger = Logger(label: "hddnn.monitor"), probe: @escaping Probe) {
        self.probe = probe
        self.clock = clock
        self.nodes = nodes
        self.interval = interval
        self.probeTimeout = probeTimeout
        self.live = Mutex(Set(nodes.map(\.name)))
        self.logger = logger
    }

    /// A monitor probing `GET /v2/health/ready` through `client`.
    public convenience init(client: NodeClient, nodes: [NodeSpec], interval: Double = 0.5, probeTimeout: Double = 0.5,
                            clock: any JobClock = SystemJobClock(), logger: Logger = Logger(label: "hddnn.monitor")) {
        self.init(nodes: nodes, interval: interval, probeTimeout: probeTimeout, clock: clock, logger: logger) { node, timeout in
            await client.isReady(node, timeout: timeout)
        }
    }

    /// Heartbeat rounds completed so far.
    public var completedRounds: Int { rounds.withLock { $0 } }

    public func isLive(_ node: String) -> Bool { live.withLock { $0.contains(node) } }

    public var liveNodes: Set<String> { live.withLock { $0 } }

    /// Drops a node after a failed exchange.
    public func markDead(_ node: String) { set(node, alive: false) }

    /// Polls until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await withTaskGroup(of: (String, Bool).self) { group in
                for node in nodes {
                    group.addTask { (node.name, await self.probe(node, self.probeTimeout)) }
                }
                for await (name, ready) in group { set(name, alive: ready) }
            }
            rounds.withLock { $0 += 1 }
            do { try await clock.sleep(seconds: interval) } catch { return }
        }
    }

    private func set(_ node: String, alive: Bool) {
        let changed = live.withLock { list in alive ? list.insert(node).inserted : list.remove(node) != nil }
        guard changed else { return }
        logger.notice(alive ? "node back in the live list" : "node removed from the live list", metadata: ["node": "\(node)"])
    }
}
