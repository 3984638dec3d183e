/// What a model takes and gives, in terms a program can check: the `NAME.card.json` written next
/// to `NAME.onnx` by training/train.py (`make_card`), field for field.
///
/// The holistic-DL vision asks for "semantic descriptions of model inputs and outputs so models
/// plug in and out": the card is that description. The engine reads it to feed a model the right
/// tensor (`input`), to read its answer (`output`: which level, which labels), to compare answers
/// across tiers (`taxonomy`), and to report what the model was measured to do (`metrics`).
/// `validate(against:)` refuses a card that contradicts its ONNX file.
public struct ModelCard: Codable, Sendable, Equatable {
    public var name: String
    /// Card format version ("1.0").
    public var version: String
    /// "image-classification" for every model so far.
    public var task: String
    /// "image".
    public var modality: String
    public var architecture: String?
    /// The ONNX file's name, relative to the card.
    public var file: String?
    public var input: Input
    public var output: Output
    public var taxonomy: Taxonomy?
    /// What a record is, which part of it the model reads and what it answers: what the holistic
    /// layer's catalogue plans with (nil on the HDDNN hierarchy's models, which take whole images).
    public var semantics: Semantics?
    public var training: Training?
    public var metrics: Metrics?
    /// Trainable parameters.
    public var params: Int?
    /// Multiply-accumulates for one sample.
    public var macsPerSample: Int?
    /// Facts about the exported file.
    public var onnx: ONNXFile?

    enum CodingKeys: String, CodingKey {
        case name, version, task, modality, architecture, file, input, output, taxonomy, semantics, training, metrics, params
        case macsPerSample = "macs_per_sample"
        case onnx
    }

    /// The tensor the model takes.
    public struct Input: Codable, Sendable, Equatable {
        public var name: String
        /// Dimensions; -1 marks a dynamic one (the batch).
        public var shape: [Int]
        /// "float32".
        public var dtype: String
        /// "NCHW".
        public var layout: String
        /// The values the caller feeds, `[low, high]`: [0, 1] is pixel bytes / 255.
        public var valueRange: [Double]
        public var normalization: Normalization?
        /// In words, anything else the caller does (padding, channel replication).
        public var preprocessing: String?

        enum CodingKeys: String, CodingKey {
            case name, shape, dtype, layout
            case valueRange = "value_range"
            case normalization, preprocessing
        }

        /// `valueRange` as the range raw UINT8 pixels are scaled into.
        public var pixelRange: ClosedRange<Float> { Float(valueRange.first ?? 0)...Float(valueRange.last ?? 1) }

        public init(name: String, shape: [Int], dtype: String = "float32", layout: String = "NCHW",
                    valueRange: [Double] = [0, 1], normalization: Normalization? = nil, preprocessing: String? = nil) {
            self.name = name
            self.shape = shape
            self.dtype = dtype
            self.layout = layout
            self.valueRange = valueRange
            self.normalization = normalization
            self.preprocessing = preprocessing
        }
    }

    /// Per-channel `(x - mean) / std` the caller applies; identity (0, 1) when the model
    /// normalizes inside, whose statistics are then listed under `inModel` for the record.
    public struct Normalization: Codable, Sendable, Equatable {
        public var mean: [Double]
        public var std: [Double]
        public var inModel: Statistics?

        public struct Statistics: Codable, Sendable, Equatable {
            public var mean: [Double]
            public var std: [Double]

            public init(mean: [Double], std: [Double]) {
                self.mean = mean
                self.std = std
            }
        }

        enum CodingKeys: String, CodingKey {
            case mean, std
            case inModel = "in_model"
        }

        public init(mean: [Double], std: [Double], inModel: Statistics? = nil) {
            self.mean = mean
            self.std = std
            self.inModel = inModel
        }
    }

    /// The tensor the model gives.
    public struct Output: Codable, Sendable, Equatable {
        public var name: String
        /// "logits" (argmax is the answer either way; softmax gives confidences).
        public var kind: String
        public var level: LabelLevel
        /// Class names in output order; their count is the output's width.
        public var labels: [String]

        public init(name: String, kind: String = "logits", level: LabelLevel, labels: [String]) {
            self.name = name
            self.kind = kind
            self.level = level
            self.labels = labels
        }
    }

    /// The model's meaning in the terms a query uses (the holistic vision's "semantic descriptions
    /// of model inputs and outputs"): a planner matches `subject` and `answers` against a query and
    /// `source` with `view` or `columns` against the data a node holds.
    public struct Semantics: Codable, Sendable, Equatable {
        /// What one record is ("fashion-mnist-image", "actg175-patient"); queries name it.
        public var subject: String
        /// The question the output answers ("clothing-label", "actg175-event").
        public var answers: String
        /// The data set the records come from ("fashion-mnist", "actg175").
        public var source: String
        /// The part of an image record the model sees ("top", "bottom", "whole")...
        public var view: String?
        /// ...as the half-open row range `[first, end)` of the image.
        public var rows: [Int]?
        /// The table columns the model reads, in input order.
        public var columns: [String]?
        public var note: String?

        public init(subject: String, answers: String, source: String, view: String? = nil, rows: [Int]? = nil,
                    columns: [String]? = nil, note: String? = nil) {
            self.subject = subject
            self.answers = answers
            self.source = source
            self.view = view
            self.rows = rows
            self.columns = columns
            self.note = note
        }

        /// The part of a record the model reads, in words ("fashion-mnist view top", "actg175 columns cd40, cd420").
        public var inputDescription: String {
            if let view { return "\(source) view \(view)" }
            if let columns { return "\(source) columns \(columns.joined(separator: ", "))" }
            return source
        }
    }

    /// How the model was made, to reproduce it.
    public struct Training: Codable, Sendable, Equatable {
        public var dataset: String?
        public var command: String?
        public var seconds: Double?
        public var device: String?
        public var seed: Int?
        public var epochs: Int?
        public var batchSize: Int?
        public var optimizer: String?
        public var augmentation: String?
        public var timeBudgetSeconds: Double?
        /// Set on smoke runs trained on the first `limit` images only.
        public var limit: Int?
        public var note: String?

        enum CodingKeys: String, CodingKey {
            case dataset, command, seconds, device, seed, epochs
            case batchSize = "batch_size"
            case optimizer, augmentation
            case timeBudgetSeconds = "time_budget_s"
            case limit, note
        }

        public init(dataset: String? = nil, command: String? = nil, seconds: Double? = nil, device: String? = nil,
                    seed: Int? = nil, epochs: Int? = nil, batchSize: Int? = nil, optimizer: String? = nil,
                    augmentation: String? = nil, timeBudgetSeconds: Double? = nil, limit: Int? = nil, note: String? = nil) {
            self.dataset = dataset
            self.command = command
            self.seconds = seconds
            self.device = device
            self.seed = seed
            self.epochs = epochs
            self.batchSize = batchSize
            self.optimizer = optimizer
            self.augmentation = augmentation
            self.timeBudgetSeconds = timeBudgetSeconds
            self.limit = limit
            self.note = note
        }
    }

    /// Test-set accuracy measured at training time, in the same terms `hddnn eval` reports.
    public struct Metrics: Codable, Sendable, Equatable {
        /// Which images were measured ("fashion-mnist test (10,000 images)").
        public var split: String?
        public var fineAccuracy: Double?
        public var coarseAccuracy: Double?
        public var coarseMacroAccuracy: Double?
        public var coarsePerClassAccuracy: [String: Double]?
        /// Area under the ROC curve of a two-class model's second class.
        public var auc: Double?
        public var validationAccuracy: Double?
        public var validationAUC: Double?

        enum CodingKeys: String, CodingKey {
            case split, auc
            case validationAccuracy = "validation_accuracy"
            case validationAUC = "validation_auc"
            case fineAccuracy = "fine_accuracy"
            case coarseAccuracy = "coarse_accuracy"
            case coarseMacroAccuracy = "coarse_macro_accuracy"
            case coarsePerClassAccuracy = "coarse_per_class_accuracy"
        }

        public init(split: String? = nil, fineAccuracy: Double? = nil, coarseAccuracy: Double? = nil,
                    coarseMacroAccuracy: Double? = nil, coarsePerClassAccuracy: [String: Double]? = nil) {
            self.split = split
            self.fineAccuracy = fineAccuracy
            self.coarseAccuracy = coarseAccuracy
            self.coarseMacroAccuracy = coarseMacroAccuracy
            self.coarsePerClassAccuracy = coarsePerClassAccuracy
        }
    }

    /// The exported file as the exporter checked it.
    public struct ONNXFile: Codable, Sendable, Equatable {
        public var opset: Int?
        public var bytes: Int?
        public var batchnorm: String?
        /// Node counts by operator type.
        public var operators: [String: Int]?
        public var onnxruntimeCheck: RuntimeCheck?

        /// ONNX Runtime against PyTorch on a batch of test images.
        public struct RuntimeCheck: Codable, Sendable, Equatable {
            public var batch: Int
            public var maxAbsDiff: Double
            public var argmaxAgreement: Double

            enum CodingKeys: String, CodingKey {
                case batch
                case maxAbsDiff = "max_abs_diff"
                case argmaxAgreement = "argmax_agreement"
            }

            public init(batch: Int, maxAbsDiff: Double, argmaxAgreement: Double) {
                self.batch = batch
                self.maxAbsDiff = maxAbsDiff
                self.argmaxAgreement = argmaxAgreement
            }
        }

        enum CodingKeys: String, CodingKey {
            case opset, bytes, batchnorm, operators
            case onnxruntimeCheck = "onnxruntime_check"
        }

        public init(opset: Int? = nil, bytes: Int? = nil, batchnorm: String? = nil, operators: [String: Int]? = nil,
                    onnxruntimeCheck: RuntimeCheck? = nil) {
            self.opset = opset
            self.bytes = bytes
            self.batchnorm = batchnorm
            self.operators = operators
            self.onnxruntimeCheck = onnxruntimeCheck
        }
    }

    public init(name: String, version: String = "1.0", task: String = "image-classification", modality: String = "image",
                architecture: String? = nil, file: String? = nil, input: Input, output: Output, taxonomy: Taxonomy? = nil,
                semantics: Semantics? = nil, training: Training? = nil, metrics: Metrics? = nil, params: Int? = nil, macsPerSample: Int? = nil,
                onnx: ONNXFile? = nil) {
        self.name = name
        self.version = version
        self.task = task
        self.modality = modality
        self.architecture = architecture
        self.file = file
        self.input = input
        self.output = output
        self.taxonomy = taxonomy
        self.semantics = semantics
        self.training = training
        self.metrics = metrics
        self.params = params
        self.macsPerSample = macsPerSample
        self.onnx = onnx
    }
}

/// Which level of a taxonomy a model answers at.
public enum LabelLevel: String, Codable, Sendable, CaseIterable {
    /// The detailed classes (Fashion-MNIST's 10, CIFAR-100's 100): edge and cloud models.
    case fine
    /// The groups (Fashion-MNIST's 5, CIFAR-100's 20 superclasses): end-device models.
    case coarse
}
