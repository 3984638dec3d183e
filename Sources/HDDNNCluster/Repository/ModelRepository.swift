import Foundation
import Synchronization

/// The models a node serves, by name and version, and the folder they come from, in the layout
/// of Triton's model repository: `NAME/<v>/model.onnx` is version `v` of `NAME` (with its card
/// `model.card.json` beside it), a flat `NAME.onnx` (card `NAME.card.json`) is version 1 unless
/// a folder `NAME/1/` exists, so a new version rolls out as `NAME/2/model.onnx` beside the file.
///
/// The node's own model (the topology's) is always loaded: it can get new versions, never be
/// unloaded. Requests resolve a `ServedModel` at their start; a load or unload replaces the
/// table, so what a request holds stays valid to its end. Names are checked before any path is
/// made of them and every file must resolve inside the folder, so no request reads elsewhere.
public final class ModelRepository: Sendable {
    /// The folder, absolute, its symbolic links resolved.
    public let folder: URL
    /// The node's own model: loaded from the start, never unloaded.
    public let pinned: String
    /// A second name the own model answers to (`hddnn serve --model-name`: on KServe, the
    /// InferenceService's name, which its clients call the model by).
    public let alias: String?
    private let table: Mutex<Table>

    /// The pinned model's versions apart, so it cannot go missing.
    struct Table {
        var pinned: Versions
        var alias: String?
        var others: [String: Versions] = [:]

        subscript(name: String) -> Versions? { name == pinned.latest.name || name == alias ? pinned : others[name] }
        var all: [String: Versions] { others.merging([pinned.latest.name: pinned]) { $1 } }
    }

    /// The loaded versions of one model, in ascending order; never empty.
    public struct Versions: Sendable {
        public private(set) var all: [ServedModel]
        /// The highest version: what a request without `/versions/{v}` gets.
        public var latest: ServedModel { all[all.count - 1] }

        /// Nil when `models` is empty.
        public init?(_ models: [ServedModel]) {
            guard !models.isEmpty else { return nil }
            all = models.sorted { ModelRepository.versionOrder($0.version, $1.version) }
        }

        init(first: ServedModel) { all = [first] }

        public func version(_ v: String) -> ServedModel? { all.first { $0.version == v } }
        public var numbers: [String] { all.map(\.version) }
    }

    public init(folder: URL, pinned: ServedModel, alias: String? = nil) {
        self.folder = folder.standardizedFileURL.resolvingSymlinksInPath()
        self.pinned = pinned.name
        self.alias = alias == pinned.name ? nil : alias
        table = Mutex(Table(pinned: Versions(first: pinned), alias: self.alias))
    }

    // MARK: Requests

    /// The model a request names, at `version` or its latest; a 404 lists what is served.
    public func resolve(_ name: String, version: String? = nil) throws(OIPError) -> ServedModel {
        let entry = table.withLock { $0[name] }
        guard let entry else { throw .unknownModel(name, served: names) }
        guard let version else { return entry.latest }
        guard let model = entry.version(version) else {
            throw .unknownVersion(model: name, version: version, served: entry.numbers)
        }
        return model
    }

    /// The node's own model at its latest version.
    public var current: ServedModel { table.withLock { $0.pinned.latest } }

    public func versions(of name: String) -> [String] { table.withLock { $0[name]?.numbers } ?? [] }
    public var names: [String] { table.withLock { Array($0.all.keys) + [$0.alias].compactMap { $0 } }.sorted() }

    // MARK: Load and unload

    /// Publishes `models` as every loaded version of their model (they share one name).
    public func install(_ versions: Versions) {
        table.withLock { table in
            if versions.latest.name == table.pinned.latest.name { table.pinned = versions } else { table.others[versions.latest.name] = versions }
        }
    }

    /// Removes every version of `name`; requests holding one finish on it.
    public func unload(_ name: String) throws(RepositoryError) {
        try Self.check(name)
        guard name != pinned else { throw .pinned(name) }
        guard table.withLock({ $0.others.removeValue(forKey: name) }) != nil else { throw .notLoaded(name) }
    }

    /// The versions of `name` on disk, ascending: the numbered folders holding `model.onnx`, and
    /// the flat `NAME.onnx` as version 1 when no folder `1/` holds one.
    public func files(of name: String) throws(RepositoryError) -> [(version: String, url: URL)] {
        try Self.files(of: name, in: folder)
    }

    /// The same in any repository folder (a dependable node reads the folder of the node whose
    /// model it runs the head of).
    public static func files(of name: String, in folder: URL) throws(RepositoryError) -> [(version: String, url: URL)] {
        try check(name)
        let folder = folder.standardizedFileURL.resolvingSymlinksInPath()
        func inside(_ url: URL) throws(RepositoryError) -> URL { try Self.inside(url, folder: folder) }
        let fm = FileManager.default
        let directory = folder.appendingPathComponent(name, isDirectory: true)
        var found: [(String, URL)] = []
        if let entries = try? fm.contentsOfDirectory(atPath: directory.path) {
            for v in entries where isVersion(v) {
                let url = directory.appendingPathComponent(v).appendingPathComponent("model.onnx")
                if fm.fileExists(atPath: url.path) { found.append((v, try inside(url))) }
            }
        }
        // A flat file is version 1 unless a folder `1/` says otherwise: new versions go beside it.
        let flat = folder.appendingPathComponent("\(name).onnx")
        if !found.contains(where: { $0.0 == "1" }), fm.fileExists(atPath: flat.path) { found.append(("1", try inside(flat))) }
        guard !found.isEmpty else { throw .notFound(name) }
        return found.sorted { versionOrder($0.0, $1.0) }.map { (version: $0.0, url: $0.1) }
    }

    /// Triton's repository index: every model in the folder and every loaded one, each loaded
    /// version `READY`, a model on disk but not loaded `UNAVAILABLE`.
    public func index() -> [RepositoryIndexEntry] {
        let loaded = table.withLock { $0.all }
        var onDisk = Set<String>()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for entry in entries {
            let name = entry.hasSuffix(".onnx") ? String(entry.dropLast(5)) : entry
            if (try? files(of: name)) != nil { onDisk.insert(name) }
        }
        var index: [RepositoryIndexEntry] = []
        for name in onDisk.union(loaded.keys).sorted() {
            if let versions = loaded[name] {
                index += versions.all.map { RepositoryIndexEntry(name: name, version: $0.version, state: .ready, reason: "") }
            } else {
                index.append(RepositoryIndexEntry(name: name, version: nil, state: .unavailable, reason: "unloaded"))
            }
        }
        return index
    }

    // MARK: Names and paths

    /// Where a model file sits in a repository: `F/NAME/<v>/model.onnx` is version v of NAME in
    /// folder F; any other `F/NAME.onnx` is version 1 of NAME in F.
    public static func locate(_ url: URL) -> (folder: URL, name: String, version: String) {
        let url = url.standardizedFileURL
        let versionFolder = url.deletingLastPathComponent(), modelFolder = versionFolder.deletingLastPathComponent()
        if url.lastPathComponent == "model.onnx", isVersion(versionFolder.lastPathComponent) {
            return (modelFolder.deletingLastPathComponent(), modelFolder.lastPathComponent, versionFolder.lastPathComponent)
        }
        return (versionFolder, url.deletingPathExtension().lastPathComponent, "1")
    }

    /// A model name: letters, digits, `.`, `_`, `-`, starting with a letter or digit, at most
    /// 128 characters. No separator and no leading dot, so no name walks out of the folder.
    public static func check(_ name: String) throws(RepositoryError) {
        let allowed = name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F || c == 0x2D
        }
        guard allowed, (1...128).contains(name.utf8.count), let first = name.utf8.first, first != 0x2E, first != 0x2D, first != 0x5F,
              !name.contains("..") else {
            throw .invalidName(name)
        }
    }

    /// `url` with its links resolved, which must still lie inside the folder (a link in the
    /// folder pointing elsewhere is refused).
    private static func inside(_ url: URL, folder: URL) throws(RepositoryError) -> URL {
        let resolved = url.standardizedFileURL.resolvingSymlinksInPath()
        guard resolved.path.hasPrefix(folder.path + "/") else { throw .outsideFolder(name: url.lastPathComponent) }
        return resolved
    }

    static func isVersion(_ s: String) -> Bool { !s.isEmpty && s.count <= 18 && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }

    static func versionOrder(_ a: String, _ b: String) -> Bool {
        switch (Int(a), Int(b)) {
        case let (x?, y?): x < y
        default: a < b
        }
    }
}

/// Why a repository request failed; `oip` is how a node answers it.
public enum RepositoryError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidName(String)
    case notFound(String)
    case notLoaded(String)
    case pinned(String)
    case outsideFolder(name: String)
    case unloadable(model: String, version: String, reason: String)

    public var description: String {
        switch self {
        case .invalidName(let n):
            "'\(n)' is not a model name (letters, digits, '.', '_' and '-', starting with a letter or digit, no '..')"
        case .notFound(let n):
            "no model '\(n)' in the node's model folder: put it at \(n)/<version>/model.onnx or \(n).onnx"
        case .notLoaded(let n): "model '\(n)' is not loaded; POST /v2/repository/index lists what is"
        case .pinned(let n):
            "'\(n)' is this node's own model (its topology's) and stays loaded; load a new version of it instead"
        case .outsideFolder(let n): "'\(n)' resolves outside the node's model folder and is not read"
        case .unloadable(let m, let v, let reason): "cannot load version \(v) of '\(m)': \(reason)"
        }
    }

    public var oip: OIPError {
        switch self {
        case .invalidName, .outsideFolder, .unloadable: .badRequest(description)
        case .notFound, .notLoaded: .notFound(description)
        case .pinned: .conflict(description)
        }
    }
}
