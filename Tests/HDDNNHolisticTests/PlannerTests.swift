import Foundation
import HDDNNCluster
import HDDNNData
import HDDNNHolistic
import HDDNNTestSupport
import Testing

/// The planner and placer on a catalogue built from the shipped cards and measured-looking costs:
/// what it refuses and why, where it places, and what it trades for a deadline.
struct PlannerTests {
    static func card(_ name: String) throws -> ModelCard {
        try JSONDecoder().decode(ModelCard.self, from: Data(contentsOf: Repository.models.appendingPathComponent("holistic/\(name).card.json")))
    }

    static func offer(_ name: String, msPerRecord: Double, split: Bool = true) throws -> ServiceNodeInfo.Offer {
        let card = try card(name)
        let rawBytes: Int = card.sampleShape.reduce(1, *) * (card.modality == "image" ? 1 : 4)
        let cost = ServiceNodeInfo.Offer.SplitCost(cut: "cut", headSecondsPerRecord: msPerRecord / 100_000,
                                                   tailSecondsPerRecord: msPerRecord / 1000, bytesPerRecord: 32 * 28 * 28 * 4)
        return ServiceNodeInfo.Offer(card: card, secondsPerRecord: msPerRecord / 1000, split: split ? cost : nil,
                                     rawBytesPerRecord: rawBytes, batch: 100)
    }

    static func node(_ name: String, _ role: NodeRole, _ trust: Trust = .dependable, domain: String,
                     holding: HoldingDescription? = nil, _ offers: [ServiceNodeInfo.Offer]) -> ServiceNodeInfo {
        ServiceNodeInfo(name: name, host: "127.0.0.1", port: 1, role: role, trust: trust, domain: domain, slowdown: 1,
                        holding: holding, services: offers)
    }

    /// Slow cameras (1 ms per record), a fast hub and a fast cloud; two trial parties.
    static func catalogue(camsHold: Bool = true) throws -> [ServiceNodeInfo] {
        let views = ["top", "bottom", "whole"]
        func fmnist(_ ms: Double) throws -> [ServiceNodeInfo.Offer] { try views.map { try offer("fmnist-\($0)", msPerRecord: ms) } }
        var nodes = try views.map { v in
            node("cam-\(v)", .end, domain: "home",
                 holding: camsHold ? HoldingDescription(source: "fashion-mnist", part: "view \(v)", view: v, records: ["test": 10_000]) : nil,
                 try fmnist(1.0))
        }
        nodes.append(node("hub", .edge, domain: "home", try fmnist(0.1)))
        nodes.append(node("cloud", .cloud, .undependable, domain: "home", try fmnist(0.05)))
        let lab = try card("actg-lab"), clinic = try card("actg-clinic")
        nodes.append(node("lab", .edge, domain: "lab",
                          holding: .init(source: "actg175", part: "lab", columns: lab.semantics!.columns, records: ["all": 2139]),
                          [try offer("actg-lab", msPerRecord: 0.01, split: false)]))
        nodes.append(node("clinic", .edge, domain: "clinic",
                          holding: .init(source: "actg175", part: "clinic", columns: clinic.semantics!.columns, records: ["all": 2139]),
                          [try offer("actg-clinic", msPerRecord: 0.01, split: false)]))
        return nodes
    }

    static let topology: Topology = {
        let yaml = """
            nodes:
              - { name: cam-top, role: end, port: 1 }
              - { name: cam-bottom, role: end, port: 2 }
              - { name: cam-whole, role: end, port: 3 }
              - { name: hub, role: edge, port: 4 }
              - { name: cloud, role: cloud, port: 5 }
              - { name: lab, role: edge, port: 6 }
              - { name: clinic, role: edge, port: 7 }
            links:
              - { from: "cam-*", to: hub, latency: 5ms, bandwidth: 20Mbit/s }
              - { from: "cam-*", to: cloud, latency: 40ms, bandwidth: 10Mbit/s }
              - { from: catalog, to: "*", latency: 5ms, bandwidth: 100Mbit/s }
            """
        let root = try! YAMLField.root(yaml, path: "test")
        return try! Topology.parse(root: root, baseDirectory: URL(fileURLWithPath: "/"), hierarchy: false)
    }()

    static let table: FusionTable = {
        func entry(_ members: [String], _ method: FusionMethod, _ accuracy: Double) -> FusionTable.Entry {
            .init(subject: "fashion-mnist-image", answers: "clothing-label", members: members, method: method,
                  validation: .init(records: 5000, accuracy: accuracy), stacker: nil)
        }
        return FusionTable(fitted: "test", entries: [
            entry(["fmnist-top"], .single, 0.87), entry(["fmnist-bottom"], .single, 0.86), entry(["fmnist-whole"], .single, 0.92),
            entry(["fmnist-bottom", "fmnist-top"], .average, 0.91),
            entry(["fmnist-bottom", "fmnist-top", "fmnist-whole"], .average, 0.925),
        ])
    }()

    func planner(_ nodes: [ServiceNodeInfo]? = nil) -> Planner {
        Planner(placer: Placer(topology: Self.topology, nodes: nodes ?? (try! Self.catalogue())), table: Self.table)
    }

    func clothing(_ n: Int = 10, deadline: Double? = nil, levels: [LabelLevel]? = nil) -> Query {
        Query(subject: "fashion-mnist-image", answers: "clothing-label", levels: levels, records: (0..<Int64(n)).map { $0 }, deadlineMs: deadline)
    }

    @Test func refusalsSayWhatIsMissing() throws {
        let p = planner()
        #expect(throws: PlanError.unknownSubject("x-ray", known: ["actg175-patient", "fashion-mnist-image"])) {
            try p.plan(Query(subject: "x-ray", answers: "fracture", records: [1]))
        }
        #expect(throws: PlanError.noAnswer(subject: "actg175-patient", answers: "survival-days", known: ["actg175-event"])) {
            try p.plan(Query(subject: "actg175-patient", answers: "survival-days", records: [1]))
        }
        // The trial's models answer at one level, with no taxonomy to coarsen it.
        #expect(throws: PlanError.levelUnavailable(level: "coarse", answers: "actg175-event", available: ["fine"])) {
            try p.plan(Query(subject: "actg175-patient", answers: "actg175-event", levels: [.coarse], records: [1]))
        }
        #expect(throws: PlanError.noRecords) { try p.plan(Query(subject: "x", answers: "y", records: [])) }
        #expect(throws: PlanError.unknownModels(["fmnist-left"], candidates: ["fmnist-bottom", "fmnist-top", "fmnist-whole"])) {
            try p.plan(Query(subject: "fashion-mnist-image", answers: "clothing-label", records: [1], models: ["fmnist-left"]))
        }
        // Models registered but nobody holds what they read.
        let unheld = refusal { () throws(PlanError) in try planner(try! Self.catalogue(camsHold: false)).plan(clothing()) }
        #expect(unheld?.description.contains("fmnist-top reads fashion-mnist view top") == true, "\(String(describing: unheld))")
        // A deadline nothing meets names the fastest option.
        guard case .deadlineUnreachable(_, let fastest, let ms)? = refusal({ () throws(PlanError) in try p.plan(clothing(deadline: 0.5)) }) else {
            Issue.record("planned an impossible deadline")
            return
        }
        #expect(ms > 0.5 && !fastest.isEmpty)
    }

    /// The planner's refusal, nil when it planned.
    func refusal(_ body: () throws(PlanError) -> Plan) -> PlanError? {
        switch Result(catching: body) {
        case .success: nil
        case .failure(let e): e
        }
    }

    @Test func privacyKeepsRecordsInTheirDomain() throws {
        let placer = Placer(topology: Self.topology, nodes: try Self.catalogue())
        // The lab's model runs at the lab only: no other node serves it, and other domains get outcomes only.
        let lab = placer.options(model: "actg-lab", records: 100)
        #expect(lab.permitted.map(\.runAt) == ["lab"])
        // Images: the undependable cloud gets the split's feature maps, never raw pixels.
        let top = placer.options(model: "fmnist-top", records: 100).permitted
        #expect(top.first { $0.runAt == "cloud" }?.mode == .split)
        #expect(top.first { $0.runAt == "hub" }?.mode == .raw)
        #expect(top.allSatisfy { $0.holder == "cam-top" })
        // Without a split, the cloud is refused, with the reason.
        var nodes = try Self.catalogue()
        for i in nodes.indices { for j in nodes[i].services.indices { nodes[i].services[j].split = nil } }
        let unsplit = Placer(topology: Self.topology, nodes: nodes).options(model: "fmnist-top", records: 100)
        #expect(!unsplit.permitted.contains { $0.runAt == "cloud" })
        #expect(unsplit.refused.contains { $0.contains("cloud is undependable") })
    }

    /// The placer moves a big batch off the slow camera to the hub (the transfer costs less than
    /// the compute it saves) and keeps a single record at the camera; the naive rules each get
    /// one of the two wrong.
    @Test func placementDependsOnTheBatch() throws {
        let placer = Placer(topology: Self.topology, nodes: try Self.catalogue())
        let big = try #require(placer.place(model: "fmnist-whole", records: 1000, policy: .optimal))
        let small = try #require(placer.place(model: "fmnist-whole", records: 1, policy: .optimal))
        #expect(big.runAt == "hub" && big.mode == .raw)
        #expect(small.runAt == "cam-whole" && small.mode == .local)
        let atData = try #require(placer.place(model: "fmnist-whole", records: 1000, policy: .atData))
        let fastest = try #require(placer.place(model: "fmnist-whole", records: 1, policy: .fastestNode))
        #expect(atData.predicted > big.predicted)
        #expect(fastest.runAt == "cloud" && fastest.predicted > small.predicted)
    }

    @Test func deadlinesTradeAccuracyForTime() throws {
        let p = planner()
        let unhurried = try p.plan(clothing(200))
        #expect(unhurried.fusion.name == "average(fmnist-bottom, fmnist-top, fmnist-whole)")
        // The three-model fusion queues two models on the hub; the whole-image model alone is faster.
        let hurried = try p.plan(clothing(200, deadline: unhurried.predicted * 1000 * p.safety * 0.9))
        #expect(hurried.predicted < unhurried.predicted)
        #expect(hurried.fusion.validation.accuracy < unhurried.fusion.validation.accuracy)
        #expect(hurried.alternatives.contains { !$0.fits })
    }
}
