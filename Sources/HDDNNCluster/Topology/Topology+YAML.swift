import Foundation
import Yams

extension Topology {
    /// Reads a topology file; every field error names the field and what it should hold.
    public static func load(_ path: String) throws(TopologyError) -> Topology {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        let folder = url.deletingLastPathComponent()
        let base = folder.lastPathComponent == "configs" ? folder.deletingLastPathComponent() : folder
        return try parse(text, path: path, baseDirectory: base)
    }

    public static func parse(_ text: String, path: String = "<memory>", baseDirectory: URL) throws(TopologyError) -> Topology {
        let root: [String: Any]
        do {
            guard let r = try Yams.load(yaml: text) as? [String: Any] else {
                throw TopologyError.invalidYAML(path: path, reason: "the top level must be a mapping with `nodes:`")
            }
            root = r
        } catch let e as TopologyError { throw e } catch {
            throw .invalidYAML(path: path, reason: "\(error)")
        }
        for key in root.keys where !["defaults", "nodes", "links", "name", "description"].contains(key) {
            throw .invalidField(field: key, reason: "unknown top-level key (expected defaults, nodes, links)")
        }

        var defaults = Defaults()
        if let d = root["defaults"] {
            let map = try mapping(d, field: "defaults")
            if let v = map["host"] { defaults.host = try string(v, field: "defaults.host") }
            if let v = map["threads"] { defaults.threads = try positiveInt(v, field: "defaults.threads") }
            if let v = map["slowdown"] { defaults.slowdown = try slowdown(v, field: "defaults.slowdown") }
            if let v = map["timeout"] { defaults.timeout = try seconds(v, field: "defaults.timeout") }
            if let v = map["request_timeout"] { defaults.requestTimeout = try seconds(v, field: "defaults.request_timeout") }
            if let v = map["latency"] { defaults.latency = try seconds(v, field: "defaults.latency") }
            if let v = map["bandwidth"] { defaults.bandwidth = try bytesPerSecond(v, field: "defaults.bandwidth") }
            if let v = map["max_body"] { defaults.maxBodyBytes = try positiveInt(v, field: "defaults.max_body") }
            if let v = map["benchmark_batch"] { defaults.benchmarkBatch = try positiveInt(v, field: "defaults.benchmark_batch") }
        }

        guard let rawNodes = root["nodes"] as? [Any], !rawNodes.isEmpty else {
            throw .invalidField(field: "nodes", reason: "a list of nodes is required")
        }
        var nodes: [NodeSpec] = []
        for (i, raw) in rawNodes.enumerated() {
            let map = try mapping(raw, field: "nodes[\(i)]")
            let name = try string(map["name"], field: "nodes[\(i)].name")
            let f = "nodes.\(name)"
            guard let role = NodeRole(rawValue: try string(map["role"], field: "\(f).role")) else {
                throw .invalidField(field: "\(f).role", reason: "must be end, edge or cloud")
            }
            let trustText = try map["trust"].map { v throws(TopologyError) in try string(v, field: "\(f).trust") }
                ?? (role == .cloud ? "undependable" : "dependable")
            guard let trust = Trust(rawValue: trustText) else {
                throw .invalidField(field: "\(f).trust", reason: "must be dependable or undependable")
            }
            let port = try positiveInt(map["port"], field: "\(f).port")
            guard port < 65536 else { throw .invalidField(field: "\(f).port", reason: "must be below 65536") }
            nodes.append(NodeSpec(
                name: name, role: role, trust: trust,
                model: try string(map["model"], field: "\(f).model"),
                host: try map["host"].map { v throws(TopologyError) in try string(v, field: "\(f).host") } ?? defaults.host,
                port: port,
                threads: try map["threads"].map { v throws(TopologyError) in try positiveInt(v, field: "\(f).threads") } ?? defaults.threads,
                slowdown: try map["slowdown"].map { v throws(TopologyError) in try slowdown(v, field: "\(f).slowdown") } ?? defaults.slowdown,
                splitAt: try map["split_at"].map { v throws(TopologyError) in try string(v, field: "\(f).split_at") }))
        }

        var links: [LinkSpec] = []
        for (i, raw) in ((root["links"] as? [Any]) ?? []).enumerated() {
            let map = try mapping(raw, field: "links[\(i)]")
            let f = "links[\(i)]"
            links.append(LinkSpec(
                from: try string(map["from"], field: "\(f).from"),
                to: try string(map["to"], field: "\(f).to"),
                latency: try map["latency"].map { v throws(TopologyError) in try seconds(v, field: "\(f).latency") },
                bandwidth: try map["bandwidth"].map { v throws(TopologyError) in try bytesPerSecond(v, field: "\(f).bandwidth") }))
        }
        // A deployment file describes a hierarchy, and every hierarchy starts at the end devices.
        guard nodes.contains(where: { $0.role == .end }) else { throw .noNodes(role: .end) }
        return try Topology(nodes: nodes, links: links, defaults: defaults, baseDirectory: baseDirectory)
    }

    private static func mapping(_ v: Any, field: String) throws(TopologyError) -> [String: Any] {
        guard let m = v as? [String: Any] else { throw .invalidField(field: field, reason: "must be a mapping") }
        return m
    }

    private static func string(_ v: Any?, field: String) throws(TopologyError) -> String {
        switch v {
        case let s as String: return s
        case let i as Int: return String(i)
        case let d as Double: return String(d)
        case nil: throw .invalidField(field: field, reason: "is required")
        default: throw .invalidField(field: field, reason: "must be a string")
        }
    }

    private static func positiveInt(_ v: Any?, field: String) throws(TopologyError) -> Int {
        guard let i = v as? Int else {
            throw .invalidField(field: field, reason: v == nil ? "is required" : "must be a whole number")
        }
        guard i > 0 else { throw .invalidField(field: field, reason: "must be positive") }
        return i
    }

    private static func seconds(_ v: Any, field: String) throws(TopologyError) -> Double {
        try Quantity.seconds(try string(v, field: field), field: field)
    }

    private static func bytesPerSecond(_ v: Any, field: String) throws(TopologyError) -> Double {
        try Quantity.bytesPerSecond(try string(v, field: field), field: field)
    }

    private static func slowdown(_ v: Any, field: String) throws(TopologyError) -> Double {
        guard let d = (v as? Double) ?? (v as? Int).map(Double.init), d >= 1, d.isFinite else {
            throw .invalidField(field: field, reason: "must be a number >= 1 (a node k times slower waits (k-1) x its compute time)")
        }
        return d
    }
}
