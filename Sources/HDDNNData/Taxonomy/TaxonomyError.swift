/// Why a taxonomy is malformed, or does not fit another model's labels.
public enum TaxonomyError: Error, Sendable, Equatable, CustomStringConvertible {
    case mappingLength(fineLabels: Int, mapping: Int)
    case coarseIndexOutOfRange(fine: String, index: Int, coarseCount: Int)
    case emptyCoarseLabel(String)
    case duplicateLabel(level: String, label: String)
    case unknownFineLabel(String, group: String)
    case unmappedFineLabel(String)
    /// The fine level maps onto other coarse labels than the ones a coarse model gives.
    case coarseMismatch(expected: [String], got: [String])

    public var description: String {
        switch self {
        case let .mappingLength(fine, mapping):
            "taxonomy: fine_to_coarse has \(mapping) entries for \(fine) fine labels; give one coarse index per fine label"
        case let .coarseIndexOutOfRange(fine, index, count):
            "taxonomy: fine label '\(fine)' maps to coarse index \(index), but there are \(count) coarse labels"
        case let .emptyCoarseLabel(label):
            "taxonomy: no fine label maps to coarse label '\(label)'; remove it or map a fine label to it"
        case let .duplicateLabel(level, label):
            "taxonomy: \(level) label '\(label)' appears twice; labels must be unique within a level"
        case let .unknownFineLabel(label, group):
            "taxonomy: group '\(group)' names fine label '\(label)', which is not in the fine label list"
        case let .unmappedFineLabel(label):
            "taxonomy: fine label '\(label)' belongs to no coarse group"
        case let .coarseMismatch(expected, got):
            "the fine model's taxonomy maps onto coarse labels \(expected), but the coarse model gives \(got)"
                + Self.firstDifference(expected, got)
                + "; pair models trained with the same taxonomy (see the \"taxonomy\" of their cards)"
        }
    }

    static func firstDifference(_ a: [String], _ b: [String]) -> String {
        if let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            return " (they differ first at index \(i): '\(a[i])' vs '\(b[i])')"
        }
        return a.count == b.count ? "" : " (\(a.count) vs \(b.count) labels)"
    }
}
