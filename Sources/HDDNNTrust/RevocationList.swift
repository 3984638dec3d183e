import Foundation
import Synchronization

/// The project's deny list: bearer tokens (by `jti`) and node certificates (by serial number)
/// revoked before they expire. One entry a line in `revoked.txt` beside the CA,
/// `token <jti>` or `certificate <serial in hex>`, `#` starting a comment; `hddnn token revoke`
/// and `hddnn pki revoke` append to it. A node re-reads the file when it changes (looking at
/// most once a second), so a revocation takes effect without a restart. A missing file is an
/// empty list.
public final class RevocationList: Sendable {
    public static let fileName = "revoked.txt"

    public let path: String
    private let state = Mutex(State())

    struct State {
        var tokens: Set<String> = []
        var serials: Set<String> = []
        var modified: Date?
        var checked: ContinuousClock.Instant?
    }

    public init(path: String) {
        self.path = path
    }

    /// The list beside `ca` (the CA certificate's path).
    public convenience init(besideCA ca: String) {
        self.init(path: URL(fileURLWithPath: ca).deletingLastPathComponent().appendingPathComponent(Self.fileName).path)
    }

    public func isRevoked(token id: String) -> Bool { refreshed().tokens.contains(id) }
    public func isRevoked(serial: String) -> Bool { refreshed().serials.contains(serial.lowercased()) }

    /// A certificate serial number as the list writes it: lower-case hex, no separators.
    public static func serial(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Appends an entry (`kind` is `token` or `certificate`), creating the file when needed.
    public static func append(_ kind: String, _ value: String, to path: String, note: String) throws(TrustError) {
        let line = "\(kind) \(value)  # \(note)\n"
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: Data("# revoked tokens and certificates (hddnn token revoke, hddnn pki revoke)\n".utf8)) else {
                throw .unwritable(path, "cannot create the revocation list")
            }
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(line.utf8))
        } catch { throw .unwritable(path, "cannot append to the revocation list: \(error.localizedDescription)") }
    }

    private func refreshed() -> State {
        state.withLock { s in
            let now = ContinuousClock.now
            if let checked = s.checked, now - checked < .seconds(1) { return s }
            s.checked = now
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            guard modified != s.modified else { return s }
            s.modified = modified
            (s.tokens, s.serials) = Self.parse(FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? "")
            return s
        }
    }

    /// The entries of a list's text; lines that are not `token <id>` or `certificate <serial>` are skipped.
    public static func parse(_ text: String) -> (tokens: Set<String>, serials: Set<String>) {
        var tokens = Set<String>(), serials = Set<String>()
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard fields.count == 2 else { continue }
            switch fields[0] {
            case "token": tokens.insert(String(fields[1]))
            case "certificate": serials.insert(fields[1].lowercased().replacingOccurrences(of: ":", with: ""))
            default: continue
            }
        }
        return (tokens, serials)
    }
}
