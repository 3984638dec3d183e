import Foundation
import HDDNNTrust
import Yams

/// The machines of an HDDNN deployment and the links between them, read from a YAML file
/// (`configs/paper.yaml`, `configs/local.yaml`). Every process (nodes and the job runner) reads
/// the same file, so each knows where its peers listen, whom it may trust with raw data, and
/// which link figures to emulate on the bytes it sends.
///
/// ```yaml
/// defaults: { host: 127.0.0.1, threads: 1, slowdown: 1, timeout: 2s, latency: 0ms, bandwidth: unlimited }
/// nodes:
///   - { name: end-1, role: end, trust: dependable, model: models/end-mobilenet.onnx, port: 9101 }
///   - { name: cloud, role: cloud, trust: undependable, model: models/cloud-wrn.onnx, port: 9301, threads: 2 }
/// links:
///   - { from: "end-*", to: cloud, latency: 500ms, bandwidth: 100Mbit/s }
/// ```
/// Links are symmetric and matched by name with `*` wildcards; the first matching entry wins and
/// a pair with no entry gets the defaults. `coordinator` names the process that runs the job.
public struct Topology: Sendable {
    public var nodes: [NodeSpec]
    public var links: [LinkSpec]
    public var defaults: Defaults
    /// Mutual TLS on every hop (the default); nil is plain HTTP (`tls: off`).
    public var tls: TLSSettings?
    /// The folder relative model paths are resolved against (the file's own folder's parent when
    /// the file sits in `configs/`, else the file's folder).
    public var baseDirectory: URL

    public struct Defaults: Sendable {
        public var host = "127.0.0.1"
        public var threads = 1
        public var slowdown = 1.0
        /// The communication module's timeout (t_timeout of eq. 17): what a send to a dead node
        /// costs before the sender gives up on it.
        public var timeout = 2.0
        /// How long a live node may take to answer (queueing and compute included) before the
        /// sender gives up; a task's own deadline, when shorter, wins.
        public var requestTimeout = 120.0
        public var latency = 0.0
        /// Bytes per second; infinity is unlimited.
        public var bandwidth = Double.infinity
        /// Largest request body a node accepts.
        public var maxBodyBytes = 64 << 20
        /// Batch size each node benchmarks at start (t_p of eq. 1-11 is per task of this size).
        public var benchmarkBatch = 50
        public init() {}
    }

    public init(nodes: [NodeSpec], links: [LinkSpec] = [], defaults: Defaults = .init(), tls: TLSSettings? = nil,
                baseDirectory: URL) throws(TopologyError) {
        var seen = Set<String>()
        for n in nodes where !seen.insert(n.name).inserted { throw .duplicateNode(n.name) }
        for n in nodes where n.role == .end && n.trust != .dependable {
            throw .invalidField(field: "nodes.\(n.name).trust",
                                reason: "end devices hold the raw data and must be dependable (paper §3.5)")
        }
        for n in nodes where n.foreign != nil {
            guard n.trust == .undependable, n.role != .end else {
                throw .invalidField(field: "nodes.\(n.name).oip",
                                    reason: "a foreign OIP server proves no identity, so it must be an undependable edge or cloud node and gets only feature maps")
            }
        }
        self.nodes = nodes
        self.links = links
        self.defaults = defaults
        self.tls = tls
        self.baseDirectory = baseDirectory
    }

    public func node(_ name: String) throws(TopologyError) -> NodeSpec {
        guard let n = nodes.first(where: { $0.name == name }) else { throw .unknownNode(name, known: nodes.map(\.name)) }
        return n
    }

    public func nodes(_ role: NodeRole) -> [NodeSpec] { nodes.filter { $0.role == role } }

    /// The emulated link between two processes (symmetric; defaults when no entry matches).
    public func link(_ a: String, _ b: String) -> LinkProfile {
        for l in links where (l.matches(a, b) || l.matches(b, a)) {
            return LinkProfile(latency: l.latency ?? defaults.latency, bandwidth: l.bandwidth ?? defaults.bandwidth)
        }
        return LinkProfile(latency: defaults.latency, bandwidth: defaults.bandwidth)
    }

    /// The model file of a node, resolved against the topology's base folder.
    public func modelURL(_ node: NodeSpec) -> URL {
        node.model.hasPrefix("/") ? URL(fileURLWithPath: node.model)
            : baseDirectory.appendingPathComponent(node.model).standardizedFileURL
    }

    /// `http://host:port` of a node.
    /// Where `node` answers. Under TLS the host is the node's identity as a DNS name
    /// (`TLSIdentity.host`), which the client resolves to `node.host` itself, so the handshake
    /// proves the peer is that node with that role and trust.
    public func baseURL(_ node: NodeSpec) -> String {
        if let foreign = node.foreign { return foreign.url }
        guard let tls else { return "http://\(node.host):\(node.port)" }
        return "https://\(TLSIdentity.host(of: node, tls: tls)):\(node.port)"
    }
}

/// One node of the topology.
public struct NodeSpec: Sendable, Equatable {
    public var name: String
    public var role: NodeRole
    public var trust: Trust
    /// ONNX file (a model card must sit beside it).
    public var model: String
    public var host: String
    public var port: Int
    public var threads: Int
    /// Emulated compute slowdown k: the node waits (k-1) times its measured compute time.
    public var slowdown: Double
    /// Where to split this node's model for senders that may not give it raw data (default:
    /// after the first convolution).
    public var splitAt: String?
    /// The data domain its certificate names, when not the topology's `tls.domain` (the
    /// holistic layer's parties each have their own).
    public var domain: String?
    /// The role its certificate names, when it is not a node of the hierarchy (the holistic
    /// catalogue is addressed like a node but is not one).
    public var identityRole: NodeIdentity.Role?
    /// Set when the tier is an OIP server this project did not write (`oip:` in the topology);
    /// `model` is then the whole model whose head our dependable nodes run and whose card says
    /// what the tier answers.
    public var foreign: ForeignServer?

    public init(name: String, role: NodeRole, trust: Trust, model: String, host: String = "127.0.0.1",
                port: Int, threads: Int = 1, slowdown: Double = 1, splitAt: String? = nil) {
        self.name = name
        self.role = role
        self.trust = trust
        self.model = model
        self.host = host
        self.port = port
        self.threads = threads
        self.slowdown = slowdown
        self.splitAt = splitAt
    }
}

/// A link entry: a pair of name patterns and what the link costs.
public struct LinkSpec: Sendable, Equatable {
    public var from: String
    public var to: String
    /// Seconds one way; nil takes the default.
    public var latency: Double?
    /// Bytes per second (infinity: unlimited); nil takes the default.
    public var bandwidth: Double?

    public init(from: String, to: String, latency: Double? = nil, bandwidth: Double? = nil) {
        self.from = from
        self.to = to
        self.latency = latency
        self.bandwidth = bandwidth
    }

    func matches(_ a: String, _ b: String) -> Bool { Self.glob(from, a) && Self.glob(to, b) }

    /// `*` matches any run of characters.
    static func glob(_ pattern: String, _ name: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return pattern == name }
        var rest = Substring(name)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() {
            guard let r = rest.range(of: part) else { return false }
            rest = rest[r.upperBound...]
        }
        return rest.hasSuffix(parts.last!)
    }
}

/// What one direction of a link costs a message: t_c = latency + bytes / bandwidth (eq. 18).
public struct LinkProfile: Sendable, Equatable {
    /// One-way latency in seconds.
    public var latency: Double
    /// Bytes per second; infinity is unlimited.
    public var bandwidth: Double

    public init(latency: Double, bandwidth: Double = .infinity) {
        self.latency = latency
        self.bandwidth = bandwidth
    }

    /// Eq. 18: t_c = B / b, plus the link's propagation latency.
    public func seconds(bytes: Int) -> Double { latency + transmissionSeconds(bytes: bytes) }

    public func transmissionSeconds(bytes: Int) -> Double { bandwidth.isFinite ? Double(bytes) / bandwidth : 0 }

    public var isFree: Bool { latency == 0 && !bandwidth.isFinite }
}
