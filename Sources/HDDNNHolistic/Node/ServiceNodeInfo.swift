import HDDNNCluster
import HDDNNData

/// What a service node registers with the catalogue (`POST /hddnn/v1/catalog`) and answers at
/// `GET /hddnn/v1/node`: where it is, whom it may be trusted with, what data it holds (described,
/// never shown) and what each model it serves costs here, measured at start.
public struct ServiceNodeInfo: Codable, Sendable, Equatable {
    public var name: String
    public var host: String
    public var port: Int
    public var role: NodeRole
    public var trust: Trust
    public var domain: String
    public var slowdown: Double
    public var holding: HoldingDescription?
    public var services: [Offer]

    /// One model this node runs and what it costs here.
    public struct Offer: Codable, Sendable, Equatable {
        public var card: ModelCard
        /// Seconds per record of the whole model on this node (slowdown included), from a batch of `batch`.
        public var secondsPerRecord: Double
        /// The split, when the model has one: the head's and the tail's seconds per record here, and
        /// the feature maps' bytes per record.
        public var split: SplitCost?
        /// Bytes of one raw record on the wire.
        public var rawBytesPerRecord: Int
        public var batch: Int

        public struct SplitCost: Codable, Sendable, Equatable {
            public var cut: String
            public var headSecondsPerRecord: Double
            public var tailSecondsPerRecord: Double
            public var bytesPerRecord: Int
        }

        public var model: String { card.name }
    }

    public func offer(_ model: String) -> Offer? { services.first { $0.model == model } }
}

/// The parameters of a service request (`hddnn_*`, beside `TaskMetadata`'s).
enum ServiceParameter {
    /// Which partition of the records ("test", "train"; tables have one, "all").
    static let partition = "hddnn_partition"
    /// Where the model should run: the holder itself (default) or a node of its domain.
    static let runAt = "hddnn_run_at"
    /// The data domain of the node that sent raw records or feature maps.
    static let domain = "hddnn_domain"
    /// The input that names records instead of carrying them.
    static let recordIDs = "record_ids"
}
