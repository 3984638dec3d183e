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

    public init(name: String, host: String, port: Int, role: NodeRole, trust: Trust, domain: String, slowdown: Double,
                holding: HoldingDescription?, services: [Offer]) {
        self.name = name
        self.host = host
        self.port = port
        self.role = role
        self.trust = trust
        self.domain = domain
        self.slowdown = slowdown
        self.holding = holding
        self.services = services
    }

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

        public init(card: ModelCard, secondsPerRecord: Double, split: SplitCost?, rawBytesPerRecord: Int, batch: Int) {
            self.card = card
            self.secondsPerRecord = secondsPerRecord
            self.split = split
            self.rawBytesPerRecord = rawBytesPerRecord
            self.batch = batch
        }

        public struct SplitCost: Codable, Sendable, Equatable {
            public var cut: String
            public var headSecondsPerRecord: Double
            public var tailSecondsPerRecord: Double
            public var bytesPerRecord: Int

            public init(cut: String, headSecondsPerRecord: Double, tailSecondsPerRecord: Double, bytesPerRecord: Int) {
                self.cut = cut
                self.headSecondsPerRecord = headSecondsPerRecord
                self.tailSecondsPerRecord = tailSecondsPerRecord
                self.bytesPerRecord = bytesPerRecord
            }
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
