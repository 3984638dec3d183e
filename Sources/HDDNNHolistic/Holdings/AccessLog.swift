import Foundation
import Logging
import Synchronization

/// Every time a node touched its raw records, or raw records or feature maps crossed it: the
/// evidence that data stayed where the privacy rule says (`GET /hddnn/v1/access-log`, and one
/// log line each). A node that only ever runs its own models shows `read` entries and nothing
/// that left.
public final class AccessLog: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public enum Action: String, Codable, Sendable {
            /// Records read and fed to a model on this node; only its outputs left.
            case read
            /// Raw records sent to a dependable node of the same domain.
            case sentRaw = "sent-raw"
            /// A split's head ran here; its feature maps were sent.
            case sentFeatures = "sent-features"
            /// Raw records arrived from a holder of this domain.
            case receivedRaw = "received-raw"
            case receivedFeatures = "received-features"
        }
        public var time: Double
        public var query: String
        public var action: Action
        public var source: String
        public var part: String
        public var records: Int
        public var model: String
        public var peer: String?
        /// Bytes of records or feature maps that moved (0 for `read`).
        public var bytes: Int
    }

    private let entries = Mutex<[Entry]>([])
    private let logger: Logger
    /// Entries kept (the oldest go first).
    public let capacity: Int

    public init(logger: Logger, capacity: Int = 10_000) {
        self.logger = logger
        self.capacity = capacity
    }

    public func record(_ entry: Entry) {
        entries.withLock {
            $0.append(entry)
            if $0.count > capacity { $0.removeFirst($0.count - capacity) }
        }
        logger.info("data access", metadata: [
            "query": "\(entry.query)", "action": "\(entry.action.rawValue)", "source": "\(entry.source)",
            "part": "\(entry.part)", "records": "\(entry.records)", "model": "\(entry.model)",
            "peer": "\(entry.peer ?? "-")", "bytes": "\(entry.bytes)",
        ])
    }

    public var all: [Entry] { entries.withLock { $0 } }
}
