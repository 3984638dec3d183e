import HDDNNCluster

/// A scheduling scheme (paper §3.4): which end device takes each task, and which upper node (if
/// any) gives its fine label. Tasks go to end devices in sequential (round-robin) order in every
/// scheme; schemes differ in where the fine label comes from.
public protocol Scheme: Sendable {
    /// "End", "End-Edge", ...
    var name: String { get }
    /// The upper node for a task that end device `endDevice` (an index into `layout.end`) runs,
    /// or nil when the task stops at the coarse label.
    func upperNode(task: Int, endDevice: Int, layout: ClusterLayout) -> String?
    /// The same decision with the job's current state: how many fine-label requests each upper
    /// node holds and how many tasks each has taken so far. The paper's schemes ignore it.
    func upperNode(task: Int, endDevice: Int, layout: ClusterLayout, load: UpperLoad) -> String?
    /// What eq. 1-11 predict for this scheme with these costs.
    func predict(_ costs: CostModel) -> Prediction
    /// For per-image escalation: the normalized entropy above which an image the edge answered
    /// goes on to the cloud. nil for every scheme whose tasks stop at one upper node.
    var escalationThreshold: Double? { get }
}

extension Scheme {
    public var escalationThreshold: Double? { nil }

    public func upperNode(task: Int, endDevice: Int, layout: ClusterLayout, load: UpperLoad) -> String? {
        upperNode(task: task, endDevice: endDevice, layout: layout)
    }
}

/// What dynamic schemes see of the upper tiers while a job runs.
public struct UpperLoad: Sendable {
    /// Fine-label requests each upper node holds now (sent, not answered).
    public var outstanding: [String: Int]
    /// Tasks each upper node has been given so far in this job.
    public var assigned: [String: Int]
    /// Tasks given an upper node so far.
    public var total: Int { assigned.values.reduce(0, +) }

    public init(outstanding: [String: Int] = [:], assigned: [String: Int] = [:]) {
        self.outstanding = outstanding
        self.assigned = assigned
    }
}

/// The nodes by tier, in topology order.
public struct ClusterLayout: Sendable, Equatable, Codable {
    public var end: [String]
    public var edge: [String]
    public var cloud: [String]

    public init(end: [String], edge: [String], cloud: [String]) {
        self.end = end
        self.edge = edge
        self.cloud = cloud
    }

    public init(_ topology: Topology, endDevices: Int? = nil) {
        let ends = topology.nodes(.end).map(\.name)
        self.init(end: Array(ends.prefix(endDevices ?? ends.count)), edge: topology.nodes(.edge).map(\.name),
                  cloud: topology.nodes(.cloud).map(\.name))
    }

    public func tier(of node: String) -> NodeRole? {
        if end.contains(node) { return .end }
        if edge.contains(node) { return .edge }
        if cloud.contains(node) { return .cloud }
        return nil
    }
}

/// The schemes by command-line name.
public enum SchemeKind: String, Sendable, CaseIterable, Codable {
    case end
    case endEdge = "end-edge"
    case endCloud = "end-cloud"
    case mapping
    /// Ours: earliest predicted finish over every upper node, never fewer cloud tasks than Mapping.
    case earliestFinish = "earliest-finish"
    /// Ours: the edge answers every image, the cloud only the uncertain ones (`EscalationScheme`).
    case escalate

    /// The paper's four (`allCases` adds ours).
    public static let paper: [SchemeKind] = [.end, .endEdge, .endCloud, .mapping]

    /// The scheme, with Mapping's N_map from eq. 7 unless `nmap` overrides it, and the escalation
    /// threshold `threshold` (its default when nil).
    public func make(costs: CostModel, nmap: Int? = nil, threshold: Double? = nil) -> any Scheme {
        switch self {
        case .end: EndScheme()
        case .endEdge: EndEdgeScheme()
        case .endCloud: EndCloudScheme()
        case .mapping: MappingScheme(costs: costs, nmap: nmap)
        case .earliestFinish: EarliestFinishScheme(costs: costs, nmap: nmap)
        case .escalate: EscalationScheme(threshold: threshold ?? EscalationScheme.defaultThreshold)
        }
    }

    /// Which upper tiers the scheme sends to.
    public var needs: [NodeRole] {
        switch self {
        case .end: []
        case .endEdge: [.edge]
        case .endCloud: [.cloud]
        case .mapping, .earliestFinish, .escalate: [.edge, .cloud]
        }
    }

    /// The tiers a topology must have for the scheme: Mapping sends to the cloud only what its
    /// edge devices cannot take (eq. 8), and Escalate only what its edge devices are unsure of,
    /// so both run without one.
    public var requires: [NodeRole] {
        self == .mapping || self == .escalate ? [.edge] : needs
    }
}
