import Foundation
import HDDNNCluster
import HDDNNData
import Logging
import Synchronization

/// The registry of service nodes and what they serve, the planner over it, and the executor:
/// the holistic layer's coordinator. Nodes register themselves (`POST /hddnn/v1/catalog`);
/// queries (`POST /hddnn/v1/query`) are planned against the registrations and run over the nodes.
public final class Catalog: Sendable {
    public let config: HolisticConfig
    public let client: NodeClient
    public let logger: Logger
    private let state = Mutex<State>(State())

    struct State {
        var nodes: [String: ServiceNodeInfo] = [:]
        var table: FusionTable?
        var expected: [String]?
    }

    public init(config: HolisticConfig, table: FusionTable? = nil, logger: Logger = Logger(label: "hddnn.catalog")) {
        self.config = config
        self.logger = logger
        client = NodeClient(origin: HolisticConfig.catalogName, topology: config.topology)
        state.withLock { $0.table = table }
    }

    /// Loads the deployment's fusion table when it has one and the file exists.
    public static func table(for config: HolisticConfig) throws(HolisticError) -> FusionTable? {
        guard let url = config.fusions, FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try FusionTable.load(url)
    }

    public func shutdown() async { await client.shutdown() }

    public func register(_ info: ServiceNodeInfo) throws(HolisticError) {
        guard let spec = config.topology.nodes.first(where: { $0.name == info.name }) else {
            throw .config("node '\(info.name)' is not in \(config.path); the catalogue knows \(config.topology.nodes.map(\.name).joined(separator: ", "))")
        }
        guard spec.trust == info.trust, config.domain(info.name) == info.domain else {
            throw .config("node '\(info.name)' registers as \(info.trust.rawValue) in domain '\(info.domain)', the deployment says \(spec.trust.rawValue) in '\(config.domain(info.name))'")
        }
        let known = state.withLock { s in defer { s.nodes[info.name] = info }; return s.nodes[info.name] != nil }
        if !known { logger.info("registered", metadata: ["node": "\(info.name)", "models": "\(info.services.map(\.model))"]) }
    }

    public var nodes: [ServiceNodeInfo] { state.withLock { $0.nodes.values.sorted { $0.name < $1.name } } }
    public var table: FusionTable? { state.withLock { $0.table } }
    public func setTable(_ table: FusionTable?) { state.withLock { $0.table = table } }

    /// Whether every node expected has registered (all of the deployment's unless `expect` says).
    public var isComplete: Bool {
        state.withLock { s in (s.expected ?? config.topology.nodes.map(\.name)).allSatisfy { s.nodes[$0] != nil } }
    }

    /// The nodes readiness waits for, when some of the deployment's are not started.
    public func expect(_ names: [String]) { state.withLock { $0.expected = names } }

    public var planner: Planner {
        Planner(placer: Placer(topology: config.topology, nodes: nodes), table: table)
    }

    public func plan(_ query: Query) throws(PlanError) -> Plan { try planner.plan(query) }

    /// Plans and runs a query.
    public func answer(_ query: Query) async throws(HolisticError) -> QueryAnswer {
        let plan: Plan
        do { plan = try self.plan(query) } catch { throw .plan(error) }
        let answer = try await QueryExecutor(client: client, nodes: nodes, table: table).execute(query, plan: plan)
        logger.info("answered", metadata: [
            "query": "\(answer.query)", "subject": "\(query.subject)", "records": "\(query.records.count)",
            "fusion": "\(answer.provenance.fusion)", "ms": "\(String(format: "%.1f", answer.provenance.measuredMs))",
        ])
        return answer
    }

    /// The catalogue as `GET /hddnn/v1/catalog` shows it: every model, who serves it and who holds its input.
    public var listing: Listing {
        let nodes = self.nodes
        var models: [String: Listing.Model] = [:]
        for node in nodes {
            for offer in node.services {
                let s = offer.card.semantics
                var m = models[offer.model] ?? Listing.Model(
                    name: offer.model, subject: s?.subject, answers: s?.answers, reads: s?.inputDescription,
                    level: offer.card.output.level.rawValue, labels: offer.card.output.labels, metrics: offer.card.metrics,
                    servedBy: [:], heldBy: [])
                m.servedBy[node.name] = offer.secondsPerRecord * 1000
                if let s, node.holding?.serves(s) == true { m.heldBy.append(node.name) }
                models[offer.model] = m
            }
        }
        return Listing(nodes: nodes, models: models.values.sorted { $0.name < $1.name },
                       fusions: table?.entries.map { "\($0.name): validation \($0.validation.auc.map { "AUC \(String(format: "%.3f", $0))" } ?? "accuracy \(String(format: "%.4f", $0.validation.accuracy))")" } ?? [])
    }

    public struct Listing: Codable, Sendable {
        public var nodes: [ServiceNodeInfo]
        public var models: [Model]
        public var fusions: [String]

        public struct Model: Codable, Sendable {
            public var name: String
            public var subject: String?
            public var answers: String?
            public var reads: String?
            public var level: String
            public var labels: [String]
            public var metrics: ModelCard.Metrics?
            /// Milliseconds per record on each node that serves it.
            public var servedBy: [String: Double]
            public var heldBy: [String]

            enum CodingKeys: String, CodingKey {
                case name, subject, answers, reads, level, labels, metrics
                case servedBy = "ms_per_record_on", heldBy = "input_held_by"
            }
        }
    }
}
