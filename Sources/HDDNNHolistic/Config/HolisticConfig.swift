import Foundation
import HDDNNCluster
import HDDNNData
import HDDNNRuntime

/// A holistic deployment (`configs/holistic.yaml`): the topology's nodes and emulated links, and
/// on top of them who holds which data, which data domain each node belongs to, which models
/// exist, where the catalogue listens and which fusions were fitted.
///
/// ```yaml
/// catalog: { port: 19400 }
/// models: [models/holistic/fmnist-top.onnx, models/holistic/actg-lab.onnx]
/// fusions: models/holistic/fusions.json
/// nodes:
///   - { name: cam-top, role: end, domain: home, port: 19411, data: { source: fashion-mnist, view: top } }
///   - { name: lab, role: edge, domain: lab, port: 19441, data: { source: actg175, file: .hddnn/data/actg175/lab.csv } }
/// ```
///
/// The privacy rule every node enforces and the planner plans with: a node's raw records go only
/// to dependable nodes of its own domain; a domain's undependable nodes get a split's feature
/// maps; other domains get outcomes only.
public struct HolisticConfig: Sendable {
    public var topology: Topology
    public var catalog: NodeSpec
    public var domains: [String: String]
    public var holdings: [String: HoldingSpec]
    public var models: [URL]
    public var fusions: URL?
    public var path: String

    /// The catalogue's name in link entries and traces.
    public static let catalogName = "catalog"

    public static func load(_ path: String) throws(HolisticError) -> HolisticConfig {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw .config("cannot read \(path): \((error as NSError).localizedDescription)")
        }
        let folder = url.deletingLastPathComponent()
        let base = folder.lastPathComponent == "configs" ? folder.deletingLastPathComponent() : folder
        return try parse(text, path: path, baseDirectory: base)
    }

    public static func parse(_ text: String, path: String = "<memory>", baseDirectory: URL) throws(HolisticError) -> HolisticConfig {
        do {
            let root = try YAMLField.root(text, path: path)
            var topology = try Topology.parse(root: root, baseDirectory: baseDirectory, hierarchy: false,
                                              extraKeys: ["catalog", "models", "fusions"])
            func resolve(_ p: String) -> URL {
                p.hasPrefix("/") ? URL(fileURLWithPath: p) : baseDirectory.appendingPathComponent(p).standardizedFileURL
            }
            let catalogMap = try root["catalog"].map { v throws(TopologyError) in try YAMLField.mapping(v, field: "catalog") } ?? [:]
            var catalog = NodeSpec(
                name: catalogName, role: .cloud, trust: .dependable, model: "",
                host: try catalogMap["host"].map { v throws(TopologyError) in try YAMLField.string(v, field: "catalog.host") }
                    ?? topology.defaults.host,
                port: try YAMLField.positiveInt(catalogMap["port"] ?? 19400, field: "catalog.port"))
            catalog.identityRole = .catalog
            guard let modelList = root["models"] as? [Any], !modelList.isEmpty else {
                throw HolisticError.config("models: list the ONNX files (model cards beside them) the deployment may run")
            }
            var models: [URL] = []
            for (i, m) in modelList.enumerated() { models.append(resolve(try YAMLField.string(m, field: "models[\(i)]"))) }
            let fusions = try root["fusions"].map { v throws(TopologyError) in resolve(try YAMLField.string(v, field: "fusions")) }

            // The node entries again, for the keys the topology leaves alone.
            var domains: [String: String] = [:]
            var holdings: [String: HoldingSpec] = [:]
            for raw in (root["nodes"] as? [Any]) ?? [] {
                let map = try YAMLField.mapping(raw, field: "nodes[]")
                let name = try YAMLField.string(map["name"], field: "nodes[].name")
                domains[name] = try map["domain"].map { v throws(TopologyError) in try YAMLField.string(v, field: "nodes.\(name).domain") } ?? name
                guard let d = map["data"] else { continue }
                let data = try YAMLField.mapping(d, field: "nodes.\(name).data")
                let field = "nodes.\(name).data"
                holdings[name] = HoldingSpec(
                    source: try YAMLField.string(data["source"], field: "\(field).source"),
                    view: try data["view"].map { v throws(TopologyError) in try YAMLField.string(v, field: "\(field).view") },
                    file: try data["file"].map { v throws(TopologyError) in resolve(try YAMLField.string(v, field: "\(field).file")).path },
                    directory: try data["directory"].map { v throws(TopologyError) in try YAMLField.string(v, field: "\(field).directory") })
                if topology.nodes.first(where: { $0.name == name })?.trust == .undependable {
                    throw HolisticError.config("\(field): node '\(name)' is undependable and may not hold raw data")
                }
            }
            // Each party's certificates name its own data domain, so a node's domain is proven at
            // the handshake rather than claimed in a request.
            for i in topology.nodes.indices { topology.nodes[i].domain = domains[topology.nodes[i].name] ?? topology.nodes[i].name }
            if let tls = topology.tls {
                for node in topology.nodes where TLSIdentity.identity(of: node, tls: tls) == nil {
                    throw HolisticError.config("nodes.\(node.name).domain: '\(node.domain ?? "")' cannot be part of an identity (letters, digits, '.', '-' or '_')")
                }
            }
            return HolisticConfig(topology: topology, catalog: catalog, domains: domains, holdings: holdings,
                                  models: models, fusions: fusions, path: path)
        } catch let e as HolisticError {
            throw e
        } catch let e as TopologyError {
            throw .config("\(path): \(e)")
        } catch {
            throw .config("\(path): \(error)")
        }
    }

    public func domain(_ node: String) -> String { domains[node] ?? node }

    /// The models `node` loads: those whose input some node of its domain holds (it may be asked
    /// to run them on raw rows, if dependable, or on a split's feature maps).
    public func models(for node: String, options: SessionOptions = .init()) throws(HolisticError) -> [CardedModel] {
        let holders = holdings.filter { domain($0.key) == domain(node) }.map(\.value)
        var result: [CardedModel] = []
        for url in models {
            let model: CardedModel
            do { model = try CardedModel.load(onnx: url, options: options) } catch {
                throw .config("model \(url.path): \(error)")
            }
            guard let semantics = model.card.semantics else {
                throw .config("model \(url.lastPathComponent): its card has no `semantics` (subject, answers, source, view or columns)")
            }
            if holders.contains(where: { $0.serves(semantics) }) { result.append(model) }
        }
        return result
    }
}

/// The data a node holds: a Fashion-MNIST view (a sensor) or a table of one party's columns.
public struct HoldingSpec: Sendable, Equatable, Codable {
    public var source: String
    public var view: String?
    public var file: String?
    public var directory: String?

    /// Whether a model with these semantics reads this holding: same source, and the same view
    /// (images) or columns the holding has (tables; checked again against the file's header).
    /// The same rule a node applies to its opened holding (`HoldingDescription.serves`), with a
    /// table's columns read from its header line only.
    public func serves(_ s: ModelCard.Semantics) -> Bool {
        HoldingDescription(source: source, part: "", view: view, columns: tableColumns, records: [:]).serves(s)
    }

    /// The file or folder the holding names that is not there (nil when all is), so a local
    /// deployment can start without that node and say what would bring it in.
    public var missing: String? {
        for path in [file, directory].compactMap({ $0 }) where !FileManager.default.fileExists(atPath: path) { return path }
        return nil
    }

    /// A table's column names, from its header line (the key column left out).
    var tableColumns: [String]? {
        guard let file, let handle = FileHandle(forReadingAtPath: file) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4096)) ?? Data()
        guard let line = String(decoding: head, as: UTF8.self).split(whereSeparator: \.isNewline).first else { return nil }
        return line.split(separator: ",").dropFirst().map { String($0).trimmingCharacters(in: .whitespaces) }
    }
}
