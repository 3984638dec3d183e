import ArgumentParser
import Foundation
import HDDNNData
import HDDNNRuntime

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model's accuracy and speed on a data set's test split.",
        discussion: """
            The model's card (NAME.card.json beside NAME.onnx) says what the model takes and at \
            which level it answers. Accuracy is top-1 at that level; a fine model is also scored \
            at the coarse level, its answers mapped through the taxonomy. Coarse accuracy is also \
            given macro-averaged over the coarse classes, which are unbalanced. Without --limit the \
            figures are set beside the ones the card recorded at training time.
            Examples:
              hddnn eval --model models/edge-resnet.onnx --threads 2
              hddnn eval --model models/end-mobilenet.onnx --limit 1000 --json
              hddnn eval --model paper.onnx --dataset cifar100 --data ~/cifar-100-binary
            """)

    enum DatasetName: String, ExpressibleByArgument, CaseIterable {
        case fashionMNIST = "fashion-mnist"
        case cifar100
    }

    @Option(help: "The ONNX model file; its card NAME.card.json must sit beside it.")
    var model: String

    @Option(help: "The data set (default: the card's training data set, else fashion-mnist).")
    var dataset: DatasetName?

    @Option(help: ArgumentHelp("Folder with the data set's files (default for fashion-mnist: \(FashionMNIST.defaultDirectory)).", valueName: "DIR"))
    var data: String?

    @Option(help: "Which split to evaluate on.")
    var split: SplitName = .test

    @Option(help: "Evaluate only the first N images.")
    var limit: Int?

    @Option(help: "Images per engine run.")
    var batch: Int = 100

    @OptionGroup var engine: EngineOptions

    @Flag(help: "Print the results as JSON on stdout.")
    var json = false

    enum SplitName: String, ExpressibleByArgument, CaseIterable {
        case test, train
        var datasetSplit: DatasetSplit { self == .test ? .test : .train }
    }

    func validate() throws {
        guard (1...100_000).contains(batch) else { throw ValidationError("--batch must be between 1 and 100000, got \(batch)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: model)
        let carded = try CardedModel.load(onnx: url, options: engine.sessionOptions())
        let name = dataset ?? carded.card.training?.dataset.flatMap(DatasetName.init(rawValue:)) ?? .fashionMNIST
        let reader: any LabeledImageReader
        let directory: String
        switch name {
        case .fashionMNIST:
            directory = data ?? FashionMNIST.defaultDirectory
            reader = try FashionMNIST.open(directory: directory, split: split.datasetSplit)
        case .cifar100:
            guard let data else {
                throw ValidationError("--dataset cifar100 needs --data DIR, the cifar-100-binary folder of https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz")
            }
            directory = data
            reader = try CIFAR100.open(directory: directory, split: split.datasetSplit)
        }
        let progress = ProgressReporter(label: "eval \(carded.card.name)")
        let result = try Evaluator(model: carded).run(on: reader, batchSize: batch, limit: limit, progress: progress.update)
        progress.finish()

        // The card's figures are for the full test split; compare only against a run on it.
        let recorded = limit == nil && split == .test ? carded.card.metrics : nil
        let report = EvalReport(result: result, modelPath: model, card: carded.card, dataDirectory: directory,
                                threads: engine.threads, recorded: recorded)
        print(json ? try jsonString(report) : report.text)
    }
}

/// What `eval` prints, as a value so that text and JSON say the same things. The accuracy keys
/// are the card's `metrics` keys, so the two can be compared by a program.
struct EvalReport: Encodable {
    let model: String
    let name: String
    let dataset: String
    let dataDirectory: String
    let level: String
    let samples: Int
    let batch: Int
    let threads: Int
    let fineAccuracy: Double?
    let coarseAccuracy: Double
    let coarseMacroAccuracy: Double
    let coarsePerClassAccuracy: [String: Double]
    let seconds: Double
    let imagesPerSecond: Double
    let engineImagesPerSecond: Double
    let confusion: Confusion
    let cardMetrics: ModelCard.Metrics?

    struct Confusion: Encodable {
        let labels: [String]
        /// counts[truth][predicted]
        let counts: [[Int]]
    }

    enum CodingKeys: String, CodingKey {
        case model, name, dataset, level, samples, batch, threads, seconds, confusion
        case dataDirectory = "data_directory"
        case fineAccuracy = "fine_accuracy"
        case coarseAccuracy = "coarse_accuracy"
        case coarseMacroAccuracy = "coarse_macro_accuracy"
        case coarsePerClassAccuracy = "coarse_per_class_accuracy"
        case imagesPerSecond = "images_per_second"
        case engineImagesPerSecond = "engine_images_per_second"
        case cardMetrics = "card_metrics"
    }

    let coarseLabels: [String]
    let topConfusions: [(truth: String, predicted: String, count: Int)]
    let architecture: String?

    init(result: EvaluationResult, modelPath: String, card: ModelCard, dataDirectory: String, threads: Int,
         recorded: ModelCard.Metrics?) {
        model = modelPath
        name = card.name
        dataset = result.dataset
        self.dataDirectory = dataDirectory
        level = result.level.rawValue
        samples = result.samples
        batch = result.batchSize
        self.threads = threads
        fineAccuracy = result.fine?.accuracy
        coarseAccuracy = result.coarse.accuracy
        coarseMacroAccuracy = result.coarse.macroAccuracy
        var perClass = [String: Double]()
        for (k, label) in result.coarse.labels.enumerated() { if let r = result.coarse.recall(k) { perClass[label] = r } }
        coarsePerClassAccuracy = perClass
        coarseLabels = result.coarse.labels
        seconds = result.seconds
        imagesPerSecond = result.imagesPerSecond
        engineImagesPerSecond = result.engineImagesPerSecond
        let own = result.fine ?? result.coarse
        confusion = Confusion(labels: own.labels, counts: own.counts)
        topConfusions = own.topConfusions(5)
        cardMetrics = recorded
        architecture = card.architecture
    }

    var text: String {
        func acc(_ value: Double, _ card: Double?) -> String {
            String(format: "%.4f", value) + (card.map { String(format: "  (card: %.4f)", $0) } ?? "")
        }
        var lines = [
            "model:                 \(model) (\(name)\(architecture.map { ": " + $0 } ?? ""); answers \(level) labels)",
            "data:                  \(dataset), \(samples) images from \(dataDirectory)",
        ]
        if let fineAccuracy {
            lines.append("fine accuracy:         " + acc(fineAccuracy, cardMetrics?.fineAccuracy))
            lines.append("coarse accuracy:       " + acc(coarseAccuracy, cardMetrics?.coarseAccuracy) + "  fine answers mapped to coarse")
        } else {
            lines.append("coarse accuracy:       " + acc(coarseAccuracy, cardMetrics?.coarseAccuracy))
        }
        lines.append("coarse macro accuracy: " + acc(coarseMacroAccuracy, cardMetrics?.coarseMacroAccuracy)
            + "  mean over \(coarsePerClassAccuracy.count) coarse classes")
        let perClass = coarseLabels.compactMap { label in coarsePerClassAccuracy[label].map { String(format: "%@ %.4f", label, $0) } }
        lines.append("  per coarse class:    " + perClass.joined(separator: ", "))
        lines.append(String(format: "speed:                 %.0f images/s (engine alone %.0f images/s), batch %d, %d thread%@, %.2f s",
                            imagesPerSecond, engineImagesPerSecond, batch, threads, threads == 1 ? "" : "s", seconds))
        if !topConfusions.isEmpty {
            lines.append("most confused:         " + topConfusions.map { "\($0.truth) -> \($0.predicted) \($0.count)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
