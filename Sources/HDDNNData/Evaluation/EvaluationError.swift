import HDDNNRuntime

/// Why a model could not be evaluated on a data set.
public enum EvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
    case dataset(DatasetError)
    case engine(EngineError)
    /// The model's input cannot be made from the data set's images.
    case incompatibleInput(model: String, reason: String)
    /// The model answers with other labels than the data set has.
    case incompatibleLabels(model: String, dataset: String, reason: String)
    /// The model's output is not one row of scores per image.
    case unexpectedOutput(model: String, shape: [Int], labels: Int)

    public var description: String {
        switch self {
        case let .dataset(e): e.description
        case let .engine(e): e.description
        case let .incompatibleInput(model, reason): "cannot feed model '\(model)': \(reason)"
        case let .incompatibleLabels(model, dataset, reason): "model '\(model)' does not answer in \(dataset)'s labels: \(reason); evaluate it on the data set it was trained for (its card's \"training.dataset\")"
        case let .unexpectedOutput(model, shape, labels): "model '\(model)' gave an output of shape \(shape), expected [batch, \(labels)]"
        }
    }
}
