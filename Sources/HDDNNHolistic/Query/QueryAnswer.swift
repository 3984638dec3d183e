import HDDNNCluster

/// The catalogue's answer to a query: a result per record and how it was made.
public struct QueryAnswer: Codable, Sendable {
    public var query: String
    public var subject: String
    public var answers: String
    public var results: [Result]
    public var provenance: Provenance

    public struct Result: Codable, Sendable, Equatable {
        public var record: Int64
        /// The label at each taxonomy level ("fine": "Coat", "coarse": "tops"), or "label" for an
        /// answer without a taxonomy ("label": "event").
        public var labels: [String: String]
        /// The fused probability of each label given.
        public var confidence: [String: Double]
        /// Fused class probabilities at the models' own level, in the card's label order.
        public var probabilities: [Double]
    }

    /// Which models on which nodes, fused how, in what time.
    public struct Provenance: Codable, Sendable {
        public var fusion: String
        public var method: FusionMethod
        /// The fusion's score on the validation set it was fitted on (nil without a fusion table).
        public var validation: FusionTable.Score?
        public var members: [Member]
        public var predictedMs: Double
        public var measuredMs: Double
        public var deadlineMs: Double?
        public var deadlineMet: Bool?
        /// Set when the answer is not the planned one (a member missed the deadline or failed).
        public var note: String?
        public var alternatives: [Plan.Alternative]

        enum CodingKeys: String, CodingKey {
            case fusion, method, validation, members, note, alternatives
            case predictedMs = "predicted_ms", measuredMs = "measured_ms"
            case deadlineMs = "deadline_ms", deadlineMet = "deadline_met"
        }
    }

    public struct Member: Codable, Sendable {
        public var model: String
        public var holder: String
        public var runAt: String
        public var mode: Placement.Mode
        /// Whether its outcome went into the answer.
        public var used: Bool
        public var predictedMs: Double
        public var wallMs: Double?
        public var computeMs: Double?
        /// Bytes of every message of this member's exchange (request, forwarded records, answer).
        public var bytes: Int?
        public var error: String?
        public var path: [TaskMetadata.Hop]

        enum CodingKeys: String, CodingKey {
            case model, holder, mode, used, bytes, error, path
            case runAt = "run_at", predictedMs = "predicted_ms", wallMs = "wall_ms", computeMs = "compute_ms"
        }
    }
}
