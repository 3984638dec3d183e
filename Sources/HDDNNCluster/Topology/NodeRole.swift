/// A node's tier in HDDNN's hierarchy (paper §3.1): end devices close to the user run a small
/// network and give the coarse label; edge devices and the cloud run bigger networks and give the
/// fine label.
public enum NodeRole: String, Sendable, Codable, CaseIterable, Comparable {
    case end, edge, cloud

    /// Order up the hierarchy: end < edge < cloud.
    public static func < (a: NodeRole, b: NodeRole) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Whether raw data may be sent to a node (paper §3.5). End devices are dependable; edge devices
/// are partly dependable; the cloud is undependable. An undependable node only ever receives
/// feature maps that a dependable node computed with the head of its network.
public enum Trust: String, Sendable, Codable {
    case dependable, undependable
}
