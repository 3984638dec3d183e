import HDDNNONNX
import HDDNNRuntime

/// Why a model card cannot be used: missing, unreadable, malformed, or contradicting its model.
public indirect enum ModelCardError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingCard(model: String, card: String)
    case unreadable(path: String, reason: String)
    /// Not JSON, or JSON without a field the card format requires.
    case malformed(path: String, reason: String)
    case inputNotInModel(card: String, model: [String])
    case outputNotInModel(card: String, model: [String])
    case dtypeMismatch(tensor: String, card: String, model: DataType)
    case shapeMismatch(tensor: String, card: [Int], model: [Int?])
    /// The card lists another number of labels than the model's output has columns.
    case labelCountMismatch(output: String, labels: Int, width: Int)
    /// A field with a value no model could have (a range upside down, a zero std...).
    case invalidField(field: String, reason: String)
    /// The output labels are not the taxonomy's labels of the card's level.
    case labelsDisagreeWithTaxonomy(level: LabelLevel, labels: [String], taxonomy: [String])
    /// A model answers at another level than the role it is put in needs.
    case levelMismatch(model: String, expected: LabelLevel, got: LabelLevel)
    case missingTaxonomy(model: String)
    case taxonomy(TaxonomyError)
    case model(ONNXError)
    case engine(EngineError)
    /// Another error, with the card file it was found in.
    case inCard(path: String, ModelCardError)

    public var description: String {
        let fix = "fix the card or write it again with training/train.py"
        switch self {
        case let .missingCard(model, card):
            return "\(model) has no model card: expected \(card) beside it; write one with training/train.py (format in docs/trained-models.md)"
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .malformed(path, reason):
            return "\(path) is not a valid model card: \(reason); \(fix)"
        case let .inputNotInModel(card, model):
            return "the card's input '\(card)' is not an input of the model, whose inputs are \(Self.quoted(model)); \(fix)"
        case let .outputNotInModel(card, model):
            return "the card's output '\(card)' is not an output of the model, whose outputs are \(Self.quoted(model)); \(fix)"
        case let .dtypeMismatch(tensor, card, model):
            return "'\(tensor)': the card says dtype \(card), the model declares \(model); \(fix)"
        case let .shapeMismatch(tensor, card, model):
            return "'\(tensor)': the card says shape \(card) (-1 = any), the model declares \(Self.format(model)) (? = any); \(fix)"
        case let .labelCountMismatch(output, labels, width):
            return "output '\(output)' has \(width) columns but the card lists \(labels) labels; \(fix)"
        case let .invalidField(field, reason):
            return "card field \"\(field)\": \(reason)"
        case let .labelsDisagreeWithTaxonomy(level, labels, taxonomy):
            return "the output labels \(labels) are not the taxonomy's \(level) labels \(taxonomy)\(TaxonomyError.firstDifference(taxonomy, labels)); \(fix)"
        case let .levelMismatch(model, expected, got):
            return "model '\(model)' answers with \(got) labels where \(expected) labels are needed"
        case let .missingTaxonomy(model):
            return "model '\(model)' has no \"taxonomy\" in its card, so its fine answers cannot be mapped to coarse labels; add the taxonomy its training used"
        case let .taxonomy(e):
            return e.description
        case let .model(e):
            return e.description
        case let .engine(e):
            return e.description
        case let .inCard(path, e):
            return "\(path): \(e)"
        }
    }

    static func quoted(_ names: [String]) -> String { names.map { "'\($0)'" }.joined(separator: ", ") }
    static func format(_ shape: [Int?]) -> String { "[" + shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]" }
}
