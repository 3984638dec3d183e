/// What one evaluation measured: accuracies at the model's level and at the coarse level, and
/// throughput.
public struct EvaluationResult: Sendable {
    public let model: String
    public let dataset: String
    public let level: LabelLevel
    public let samples: Int
    public let batchSize: Int
    /// Wall time of the whole run: reading, preparing and inference.
    public let seconds: Double
    /// Time inside the engine alone.
    public let engineSeconds: Double
    /// The fine-level tally, for fine models.
    public let fine: ConfusionMatrix?
    /// The coarse-level tally: a coarse model's own, or a fine model's mapped through the taxonomy.
    public let coarse: ConfusionMatrix

    /// Samples per second of wall time.
    public var imagesPerSecond: Double { seconds > 0 ? Double(samples) / seconds : 0 }
    /// Samples per second of engine time.
    public var engineImagesPerSecond: Double { engineSeconds > 0 ? Double(samples) / engineSeconds : 0 }
    /// Top-1 accuracy at the model's own level.
    public var accuracy: Double { (fine ?? coarse).accuracy }

    public init(model: String, dataset: String, level: LabelLevel, samples: Int, batchSize: Int, seconds: Double,
                engineSeconds: Double, fine: ConfusionMatrix?, coarse: ConfusionMatrix) {
        self.model = model
        self.dataset = dataset
        self.level = level
        self.samples = samples
        self.batchSize = batchSize
        self.seconds = seconds
        self.engineSeconds = engineSeconds
        self.fine = fine
        self.coarse = coarse
    }
}
