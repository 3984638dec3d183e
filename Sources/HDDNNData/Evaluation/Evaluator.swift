import HDDNNRuntime

/// Runs a carded model over a labelled data set and tallies its answers.
///
/// A model is scored at its own level (its card's `output.level`); a fine model is also scored
/// at the coarse level by mapping both its answer and the truth through the taxonomy, the way
/// HDDNN compares tiers. Batches stream from the reader, so memory stays at one batch.
public struct Evaluator: Sendable {
    public let model: CardedModel

    public init(model: CardedModel) { self.model = model }

    /// Evaluates on the first `limit` samples (all when nil), `batchSize` at a time. `progress`
    /// gets (samples done, samples to do) after each batch.
    public func run(on reader: any LabeledImageReader, batchSize: Int = 100, limit: Int? = nil,
                    progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws(EvaluationError) -> EvaluationResult {
        precondition(batchSize > 0, "batch size must be positive")
        let card = model.card
        let taxonomy = reader.taxonomy
        try Self.checkLabels(card: card, dataset: reader.name, taxonomy: taxonomy)
        let adapter = try InputAdapter(source: reader.sampleShape, card: card)
        let total = min(limit ?? reader.count, reader.count)
        let classes = card.output.labels.count

        var matrix = ConfusionMatrix(labels: card.output.labels)
        var done = 0
        var engine = Duration.zero
        let clock = ContinuousClock()
        let start = clock.now
        while done < total {
            let batch: LabeledBatch?
            do { batch = try reader.next(maxCount: min(batchSize, total - done)) } catch { throw .dataset(error) }
            guard let batch else { break }
            let input = adapter.apply(batch.images)
            let t0 = clock.now
            let outputs: [String: Tensor]
            do { outputs = try model.session.run([card.input.name: input]) } catch { throw .engine(error) }
            engine += clock.now - t0
            guard let logits = outputs[card.output.name], logits.dataType == .float32,
                  logits.shape.first == batch.count, logits.count == batch.count * classes else {
                throw .unexpectedOutput(model: card.name, shape: outputs[card.output.name]?.shape ?? [], labels: classes)
            }
            let truth = card.output.level == .fine ? batch.fine : batch.coarse
            logits.withFloats { scores in
                for i in 0..<batch.count {
                    matrix.add(truth: truth[i], predicted: Self.argmax(scores, row: i, width: classes))
                }
            }
            done += batch.count
            progress?(done, total)
        }
        let seconds = Self.seconds(clock.now - start)
        let coarse = card.output.level == .fine
            ? matrix.mapped(through: taxonomy.fineToCoarse, labels: taxonomy.coarseLabels) : matrix
        return EvaluationResult(model: card.name, dataset: reader.name, level: card.output.level, samples: done,
                                batchSize: batchSize, seconds: seconds, engineSeconds: Self.seconds(engine),
                                fine: card.output.level == .fine ? matrix : nil, coarse: coarse)
    }

    /// Refuses a model whose labels are not the data set's at the model's level, or whose card's
    /// taxonomy groups them differently from the data set's.
    static func checkLabels(card: ModelCard, dataset: String, taxonomy: Taxonomy) throws(EvaluationError) {
        let expected = card.output.level == .fine ? taxonomy.fineLabels : taxonomy.coarseLabels
        guard card.output.labels == expected else {
            throw .incompatibleLabels(model: card.name, dataset: dataset,
                                      reason: "it gives \(card.output.level) labels \(card.output.labels), the data set's are \(expected)")
        }
        if let own = card.taxonomy, own != taxonomy {
            throw .incompatibleLabels(model: card.name, dataset: dataset, reason: "its card's taxonomy groups the labels differently from the data set's")
        }
    }

    /// Index of the largest score in row `row` (the first on ties, as numpy's argmax).
    static func argmax(_ scores: UnsafeBufferPointer<Float>, row: Int, width: Int) -> Int {
        let base = row * width
        var best = 0
        var bestScore = scores[base]
        for k in 1..<max(width, 1) where scores[base + k] > bestScore {
            best = k
            bestScore = scores[base + k]
        }
        return best
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
