import Foundation
import HDDNNTrust
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
        try parse(root: YAMLField.root(text, path: path), baseDirectory: baseDirectory)
    }

    /// The topology part of a parsed YAML file. `hierarchy` files (the HDDNN deployments) need a
    /// model per node and at least one end device; other files built on a topology (the holistic
    /// layer's, `extraKeys`) give nodes their models another way.
    public static func parse(root: [String: Any], baseDirectory: URL, hierarchy: Bool = true,
                             extraKeys: Set<String> = []) throws(TopologyError) -> Topology {
        let known: Set<String> = ["defaults", "nodes", "links", "tls", "name", "description"]
        for key in root.keys where !known.contains(key) && !extraKeys.contains(key) {
            throw .invalidField(field: key, reason: "unknown top-level key (expected \((known.subtracting(["name", "description"]).union(extraKeys)).sorted().joined(separator: ", ")))")
        }

        var defaults = Defaults()
        if let d = root["defaults"] {
            let map = try YAMLField.mapping(d, field: "defaults")
            if let v = map["host"] { defaults.host = try YAMLField.string(v, field: "defaults.host") }
            if let v = map["threads"] { defaults.threads = try YAMLField.positiveInt(v, field: "defaults.threads") }
            if let v = map["slowdown"] { defaults.slowdown = try YAMLField.slowdown(v, field: "defaults.slowdown") }
            if let v = map["timeout"] { defaults.timeout = try YAMLField.seconds(v, field: "defaults.timeout") }
            if let v = map["request_timeout"] { defaults.requestTimeout = try YAMLField.seconds(v, field: "defaults.request_timeout") }
            if let v = map["latency"] { defaults.latency = try YAMLField.seconds(v, field: "defaults.latency") }
            if let v = map["bandwidth"] { defaults.bandwidth = try YAMLField.bytesPerSecond(v, field: "defaults.bandwidth") }
            if let v = map["max_body"] { defaults.maxBodyBytes = try YAMLField.positiveInt(v, field: "defaults.max_body") }
            if let v = map["benchmark_batch"] { defaults.benchmarkBatch = try YAMLField.positiveInt(v, field: "defaults.benchmark_batch") }
        }

        guard let rawNodes = root["nodes"] as? [Any], !rawNodes.isEmpty else {
            throw .invalidField(field: "nodes", reason: "a list of nodes is required")
        }
        var nodes: [NodeSpec] = []
        for (i, raw) in rawNodes.enumerated() {
            let map = try YAMLField.mapping(raw, field: "nodes[\(i)]")
            let name = try YAMLField.string(map["name"], field: "nodes[\(i)].name")
            let f = "nodes.\(name)"
            guard let role = NodeRole(rawValue: try YAMLField.string(map["role"], field: "\(f).role")) else {
                throw .invalidField(field: "\(f).role", reason: "must be end, edge or cloud")
            }
            let trustText = try map["trust"].map { v throws(TopologyError) in try YAMLField.string(v, field: "\(f).trust") }
                ?? (role == .cloud ? "undependable" : "dependable")
            guard let trust = Trust(rawValue: trustText) else {
                throw .invalidField(field: "\(f).trust", reason: "must be dependable or undependable")
            }
            var foreign: ForeignServer?
            if let raw = map["oip"] {
                let oip = try YAMLField.mapping(raw, field: "\(f).oip")
                foreign = ForeignServer(url: try YAMLField.string(oip["url"], field: "\(f).oip.url"),
                                        model: try YAMLField.string(oip["model"], field: "\(f).oip.model"),
                                        version: try oip["version"].map { v throws(TopologyError) in "\(v)" })
            }
            var address: (host: String, port: Int)?
            if let foreign { address = try ForeignServer.address(of: foreign.url, field: "\(f).oip.url") }
            let port: Int
            if let address { port = address.port } else { port = try YAMLField.positiveInt(map["port"], field: "\(f).port") }
            let host: String
            if let address { host = address.host } else {
                host = try map["host"].map { v throws(TopologyError) in try YAMLField.string(v, field: "\(f).host") } ?? defaults.host
            }
            guard port < 65536 else { throw .invalidField(field: "\(f).port", reason: "must be below 65536") }
            var spec = NodeSpec(
                name: name, role: role, trust: trust,
                model: hierarchy || map["model"] != nil ? try YAMLField.string(map["model"], field: "\(f).model") : "",
                host: host,
                port: port,
                threads: try map["threads"].map { v throws(TopologyError) in try YAMLField.positiveInt(v, field: "\(f).threads") } ?? defaults.threads,
                slowdown: try map["slowdown"].map { v throws(TopologyError) in try YAMLField.slowdown(v, field: "\(f).slowdown") } ?? defaults.slowdown,
                splitAt: try map["split_at"].map { v throws(TopologyError) in try YAMLField.string(v, field: "\(f).split_at") })
            spec.foreign = foreign
            nodes.append(spec)
        }

        var links: [LinkSpec] = []
        for (i, raw) in ((root["links"] as? [Any]) ?? []).enumerated() {
            let map = try YAMLField.mapping(raw, field: "links[\(i)]")
            let f = "links[\(i)]"
            links.append(LinkSpec(
                from: try YAMLField.string(map["from"], field: "\(f).from"),
                to: try YAMLField.string(map["to"], field: "\(f).to"),
                latency: try map["latency"].map { v throws(TopologyError) in try YAMLField.seconds(v, field: "\(f).latency") },
                bandwidth: try map["bandwidth"].map { v throws(TopologyError) in try YAMLField.bytesPerSecond(v, field: "\(f).bandwidth") }))
        }
        var tls: TLSSettings?
        switch root["tls"] {
        case nil:
            // TLS unless asked otherwise: the project's PKI in .hddnn/pki beside the topology.
            let folder = baseDirectory.appendingPathComponent(TLSSettings.defaultFolder).standardizedFileURL
            tls = TLSSettings(ca: folder.appendingPathComponent(CertificateAuthority.certificateFileName).path, certificates: folder.path)
        case false as Bool: tls = nil
        case let text as String where ["off", "no", "false"].contains(text.lowercased()): tls = nil
        case let raw?:
            let map = try YAMLField.mapping(raw, field: "tls")
            for key in map.keys where !["ca", "certificates", "tokens", "trust_domain", "domain"].contains(key) {
                throw .invalidField(field: "tls.\(key)", reason: "unknown key (expected ca, certificates, tokens, trust_domain, domain)")
            }
            func path(_ key: String) throws(TopologyError) -> String {
                let p = try YAMLField.string(map[key], field: "tls.\(key)")
                return p.hasPrefix("/") ? p : baseDirectory.appendingPathComponent(p).standardizedFileURL.path
            }
            tls = TLSSettings(ca: try path("ca"), certificates: try path("certificates"),
                              trustDomain: try map["trust_domain"].map { v throws(TopologyError) in try YAMLField.string(v, field: "tls.trust_domain") } ?? "hddnn.local",
                              domain: try map["domain"].map { v throws(TopologyError) in try YAMLField.string(v, field: "tls.domain") } ?? "default",
                              tokens: map["tokens"] == nil ? nil : try path("tokens"))
        }
        // Under TLS every node is addressed by its identity, so its name must be able to be one.
        if let tls {
            for node in nodes where TLSIdentity.identity(of: node, tls: tls) == nil {
                throw .invalidField(field: "nodes.\(node.name).name",
                                    reason: "under tls a node name is part of its identity: letters, digits, '.', '-' or '_' (and the trust domain '\(tls.trustDomain)' lowercase letters, digits, '.', '-', '_')")
            }
        }
        // A deployment file describes a hierarchy, and every hierarchy starts at the end devices.
        if hierarchy, !nodes.contains(where: { $0.role == .end }) { throw .noNodes(role: .end) }
        return try Topology(nodes: nodes, links: links, defaults: defaults, tls: tls, baseDirectory: baseDirectory)
    }
}

/// Readers for YAML fields that name the field in every error ("nodes.end-1.port: must be below
/// 65536"), shared by every file format built on a topology.
public enum YAMLField {
    /// The file's top-level mapping.
    public static func root(_ text: String, path: String) throws(TopologyError) -> [String: Any] {
        do {
            guard let r = try Yams.load(yaml: text) as? [String: Any] else {
                throw TopologyError.invalidYAML(path: path, reason: "the top level must be a mapping with `nodes:`")
            }
            return r
        } catch let e as TopologyError { throw e } catch {
            throw .invalidYAML(path: path, reason: "\(error)")
        }
    }

    public static func mapping(_ v: Any, field: String) throws(TopologyError) -> [String: Any] {
        guard let m = v as? [String: Any] else { throw .invalidField(field: field, reason: "must be a mapping") }
        return m
    }

    public static func string(_ v: Any?, field: String) throws(TopologyError) -> String {
        switch v {
        case let s as String: return s
        case let i as Int: return String(i)
        case let d as Double: return String(d)
        case nil: throw .invalidField(field: field, reason: "is required")
        default: throw .invalidField(field: field, reason: "must be a string")
        }
    }

    public static func positiveInt(_ v: Any?, field: String) throws(TopologyError) -> Int {
        guard let i = v as? Int else {
            throw .invalidField(field: field, reason: v == nil ? "is required" : "must be a whole number")
        }
        guard i > 0 else { throw .invalidField(field: field, reason: "must be positive") }
        return i
    }

    public static func seconds(_ v: Any, field: String) throws(TopologyError) -> Double {
        try Quantity.seconds(try string(v, field: field), field: field)
    }

    public static func bytesPerSecond(_ v: Any, field: String) throws(TopologyError) -> Double {
        try Quantity.bytesPerSecond(try string(v, field: field), field: field)
    }

    public static func slowdown(_ v: Any, field: String) throws(TopologyError) -> Double {
        guard let d = (v as? Double) ?? (v as? Int).map(Double.init), d >= 1, d.isFinite else {
            throw .invalidField(field: field, reason: "must be a number >= 1 (a node k times slower waits (k-1) x its compute time)")
        }
        return d
    }
}
