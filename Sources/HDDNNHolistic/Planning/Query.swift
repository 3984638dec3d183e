import HDDNNData

/// A question for the catalogue, in the terms model cards use: "the clothing label, coarse and
/// fine, of fashion-mnist test images 3, 17 and 42", "the trial outcome of patient 10056". It
/// names records; their data stays with whoever holds it.
public struct Query: Codable, Sendable, Equatable {
    /// What a record is (a card's `semantics.subject`).
    public var subject: String
    /// What to answer (a card's `semantics.answers`).
    public var answers: String
    /// Taxonomy levels wanted, for answers that have them (default: every level the models give).
    public var levels: [LabelLevel]?
    public var records: [Int64]
    /// Which partition the ids count in ("test" by default; tables have one).
    public var partition: String?
    /// The answer is wanted within this many milliseconds of the query's arrival.
    public var deadlineMs: Double?
    /// A fusion method to use instead of the best one.
    public var fusion: FusionMethod?
    /// Only these models may contribute.
    public var models: [String]?
    public var placement: PlacementPolicy?

    enum CodingKeys: String, CodingKey {
        case subject, answers, levels, records, partition
        case deadlineMs = "deadline_ms"
        case fusion, models, placement
    }

    public init(subject: String, answers: String, levels: [LabelLevel]? = nil, records: [Int64], partition: String? = nil,
                deadlineMs: Double? = nil, fusion: FusionMethod? = nil, models: [String]? = nil, placement: PlacementPolicy? = nil) {
        self.subject = subject
        self.answers = answers
        self.levels = levels
        self.records = records
        self.partition = partition
        self.deadlineMs = deadlineMs
        self.fusion = fusion
        self.models = models
        self.placement = placement
    }
}
