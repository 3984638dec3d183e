import Foundation
import HDDNNCluster
import Logging
import Synchronization

/// The live-node list of the Monitor policy (paper §3.6): polls every node's
/// `GET /v2/health/ready` each `interval`; a node that does not answer 200 within `probeTimeout`
/// leaves the list, one that answers again rejoins. Senders also report failures directly
/// (`markDead`), so a node is dropped at the first timeout even between heartbeats.
public final class Monitor: Sendable {
    public let interval: Double
    public let probeTimeout: Double
    private let client: NodeClient
    private let nodes: [NodeSpec]
    private let live: Mutex<Set<String>>
    private let logger: Logger

    public init(client: NodeClient, nodes: [NodeSpec], interval: Double = 0.5, probeTimeout: Double = 0.5,
                logger: Logger = Logger(label: "hddnn.monitor")) {
        self.client = client
        self.nodes = nodes
        self.interval = interval
        self.probeTimeout = probeTimeout
        self.live = Mutex(Set(nodes.map(\.name)))
        self.logger = logger
    }

    public func isLive(_ node: String) -> Bool { live.withLock { $0.contains(node) } }

    public var liveNodes: Set<String> { live.withLock { $0 } }

    /// Drops a node after a failed exchange.
    public func markDead(_ node: String) { set(node, alive: false) }


    /// Polls until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await withTaskGroup(of: (String, Bool).self) { group in
                for node in nodes {
                    group.addTask { (node.name, await self.client.isReady(node, timeout: self.probeTimeout)) }
                }
                for await (name, ready) in group { set(name, alive: ready) }
            }
            try? await Task.sleep(for: .seconds(interval))
        }
    }

    private func set(_ node: String, alive: Bool) {
        let changed = live.withLock { list in alive ? list.insert(node).inserted : list.remove(node) != nil }
        guard changed else { return }
        logger.notice(alive ? "node back in the live list" : "node removed from the live list", metadata: ["node": "\(node)"])
    }
}
