import HDDNNCluster

/// How a placer chooses where a model runs.
public enum PlacementPolicy: String, Codable, Sendable, CaseIterable {
    /// The permitted node with the lowest predicted latency: request, records or feature maps
    /// over the emulated links (eq. 18), compute at the node's measured speed, answer back.
    case optimal
    /// Naive: always where the data is (edge-computing's rule of thumb).
    case atData = "at-data"
    /// Naive: the permitted node that computes the model fastest, links ignored.
    case fastestNode = "fastest-node"
}

/// Where one model of a plan runs and what that is predicted to cost.
public struct Placement: Codable, Sendable, Equatable {
    public enum Mode: String, Codable, Sendable {
        /// The holder runs the model on its records.
        case local
        /// The holder sends raw records to a dependable node of its domain.
        case raw
        /// The holder runs the split's head and sends feature maps to an undependable node of its domain.
        case split
    }
    public var model: String
    public var holder: String
    public var runAt: String
    public var mode: Mode
    /// Predicted seconds: the request to the holder, records to the runner, compute, answer back.
    public var request: Double
    public var forward: Double
    public var compute: Double
    public var answer: Double
    /// The fixed cost of the HTTP exchanges (one, or two when records are forwarded).
    public var overhead: Double

    enum CodingKeys: String, CodingKey {
        case model, holder, mode, request, forward, compute, answer, overhead
        case runAt = "run_at"
    }

    public var predicted: Double { request + forward + compute + answer + overhead }
}

/// Places models on nodes from what the catalogue knows: each node's measured cost per record,
/// trust and domain, and the topology's link figures. The privacy rule decides which nodes may
/// run a model on a holder's records; the policy decides among them.
public struct Placer: Sendable {
    public var topology: Topology
    public var nodes: [ServiceNodeInfo]
    /// Where queries come from (the catalogue), for the request and answer links.
    public var origin: String

    /// Bytes of a request's or answer's JSON header and parameters beyond its tensors (measured
    /// on our messages: 0.5-1.5 KB with the task record).
    static let envelopeBytes = 1_000

    /// Seconds one exchange costs beyond its link and compute time: HTTP, JSON, scheduling. Our
    /// one-record queries measured 6-10 ms above a prediction without it (docs/holistic.md).
    public static let exchangeOverhead = 0.004

    public init(topology: Topology, nodes: [ServiceNodeInfo], origin: String = HolisticConfig.catalogName) {
        self.topology = topology
        self.nodes = nodes
        self.origin = origin
    }

    /// Nodes that hold the records `model` reads.
    public func holders(of card: ServiceNodeInfo.Offer) -> [ServiceNodeInfo] {
        guard let semantics = card.card.semantics else { return [] }
        return nodes.filter { $0.holding?.serves(semantics) == true && $0.offer(card.model) != nil }
    }

    /// Every placement of `model` for `records` records the privacy rule permits, with why the
    /// others are not (for refusals).
    public func options(model: String, records n: Int) -> (permitted: [Placement], refused: [String]) {
        var permitted: [Placement] = [], refused: [String] = []
        let runners = nodes.filter { $0.offer(model) != nil }
        guard let any = runners.first?.offer(model) else { return ([], ["no node serves \(model)"]) }
        for holder in holders(of: any) {
            let h = holder.offer(model)!
            let classes = h.card.output.labels.count
            let request = link(origin, holder.name).seconds(bytes: Self.envelopeBytes + 8 * n)
            let answerBytes = Self.envelopeBytes + 4 * classes * n
            let back = link(holder.name, origin).seconds(bytes: answerBytes)
            for runner in runners {
                let r = runner.offer(model)!
                // What travels from the holder to the runner (nothing when the holder runs it).
                var mode: Placement.Mode, bytesPerRecord = 0, compute: Double
                if runner.name == holder.name {
                    mode = .local
                    compute = Double(n) * h.secondsPerRecord
                } else if runner.domain != holder.domain {
                    refused.append("\(holder.name)'s records may not go to \(runner.name) (domain \(runner.domain), not \(holder.domain))")
                    continue
                } else if runner.trust == .dependable {
                    mode = .raw
                    bytesPerRecord = h.rawBytesPerRecord
                    compute = Double(n) * r.secondsPerRecord
                } else if let hs = h.split, let rs = r.split {
                    mode = .split
                    bytesPerRecord = hs.bytesPerRecord
                    compute = Double(n) * (hs.headSecondsPerRecord + rs.tailSecondsPerRecord)
                } else {
                    refused.append("\(runner.name) is undependable and \(model) has no split to protect \(holder.name)'s records")
                    continue
                }
                var forward = 0.0
                if mode != .local {
                    let forwardBytes = Self.envelopeBytes + n * bytesPerRecord
                    if forwardBytes > topology.defaults.maxBodyBytes {
                        refused.append("\(n) records of \(model) to \(runner.name) would be \(forwardBytes >> 20) MiB, over the \(topology.defaults.maxBodyBytes >> 20) MiB request limit")
                        continue
                    }
                    forward = link(holder.name, runner.name).seconds(bytes: forwardBytes)
                }
                let answer = back + (runner.name == holder.name ? 0 : link(runner.name, holder.name).seconds(bytes: answerBytes))
                permitted.append(Placement(model: model, holder: holder.name, runAt: runner.name, mode: mode,
                                           request: request, forward: forward, compute: compute, answer: answer,
                                           overhead: Self.exchangeOverhead * (mode == .local ? 1 : 2)))
            }
        }
        return (permitted, refused)
    }

    /// Records move only for a predicted gain of at least this fraction: a move exposes data and
    /// costs bandwidth the prediction does not price, and node benchmarks differ by a few percent
    /// from run to run, so a near tie stays at the data.
    public static let moveMargin = 0.10

    /// The placement `policy` picks for `model`, nil when none is permitted. `alongside` are
    /// placements already chosen for the same query (their compute queues on shared nodes).
    public func place(model: String, records n: Int, policy: PlacementPolicy, alongside: [Placement] = []) -> Placement? {
        let permitted = options(model: model, records: n).permitted
        switch policy {
        case .optimal:
            let cost = { (p: Placement) in Planner.predict(alongside + [p]) }
            guard let best = permitted.min(by: { cost($0) < cost($1) }) else { return nil }
            if let local = permitted.first(where: { $0.mode == .local }), cost(local) <= cost(best) * (1 + Self.moveMargin) {
                return local
            }
            return best
        case .atData:
            return permitted.filter { $0.mode == .local }.min { $0.predicted < $1.predicted }
        case .fastestNode:
            return permitted.min { a, b in
                let ca = a.compute, cb = b.compute
                return ca != cb ? ca < cb : (a.mode == .local && b.mode != .local)
            }
        }
    }

    private func link(_ a: String, _ b: String) -> LinkProfile { topology.link(a, b) }
}
