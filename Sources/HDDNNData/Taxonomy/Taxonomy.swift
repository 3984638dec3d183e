/// A two-level label set: fine labels, coarse labels, and which coarse label each fine one
/// belongs to.
///
/// HDDNN splits classification by level: end devices answer fast with a coarse label, edge
/// devices and the cloud answer later with a fine one. The two answers can only be compared, and
/// an upper model can only stand in for an end model, when the fine labels map onto exactly the
/// end model's coarse labels; `refines(coarse:)` is that check. Coarse answers travel as indices,
/// so the coarse labels must agree in order as well as in name.
///
/// Encoded as in the model cards (`"taxonomy"`), with the keys training/taxonomy.py writes.
public struct Taxonomy: Sendable, Equatable {
    public let fineLabels: [String]
    public let coarseLabels: [String]
    /// `fineToCoarse[f]` is the coarse index of fine index `f`.
    public let fineToCoarse: [Int]

    /// A taxonomy after checking that the mapping covers every fine label, points at existing
    /// coarse labels, leaves no coarse label empty, and that no label repeats within its level.
    public init(fineLabels: [String], coarseLabels: [String], fineToCoarse: [Int]) throws(TaxonomyError) {
        guard fineToCoarse.count == fineLabels.count else {
            throw .mappingLength(fineLabels: fineLabels.count, mapping: fineToCoarse.count)
        }
        for (level, labels) in [("fine", fineLabels), ("coarse", coarseLabels)] {
            var seen = Set<String>()
            for l in labels where !seen.insert(l).inserted { throw .duplicateLabel(level: level, label: l) }
        }
        for (f, c) in fineToCoarse.enumerated() where !coarseLabels.indices.contains(c) {
            throw .coarseIndexOutOfRange(fine: fineLabels[f], index: c, coarseCount: coarseLabels.count)
        }
        let used = Set(fineToCoarse)
        if let empty = coarseLabels.indices.first(where: { !used.contains($0) }) {
            throw .emptyCoarseLabel(coarseLabels[empty])
        }
        self.fineLabels = fineLabels
        self.coarseLabels = coarseLabels
        self.fineToCoarse = fineToCoarse
    }

    /// A taxonomy written as groups (`coarse label: its fine labels`), with fine indices in the
    /// order of `fineLabels`, the order the data set's label bytes use.
    public init(fineLabels: [String], groups: [(coarse: String, fine: [String])]) throws(TaxonomyError) {
        var mapping = [Int?](repeating: nil, count: fineLabels.count)
        let index = Dictionary(fineLabels.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        for (c, group) in groups.enumerated() {
            for name in group.fine {
                guard let f = index[name] else { throw .unknownFineLabel(name, group: group.coarse) }
                guard mapping[f] == nil else { throw .duplicateLabel(level: "fine", label: name) }
                mapping[f] = c
            }
        }
        if let missing = mapping.firstIndex(where: { $0 == nil }) { throw .unmappedFineLabel(fineLabels[missing]) }
        try self.init(fineLabels: fineLabels, coarseLabels: groups.map(\.coarse), fineToCoarse: mapping.map { $0! })
    }

    /// The coarse index of fine index `fine`.
    public func coarse(ofFine fine: Int) -> Int { fineToCoarse[fine] }

    /// The fine indices grouped under coarse index `coarse`.
    public func members(ofCoarse coarse: Int) -> [Int] {
        fineToCoarse.indices.filter { fineToCoarse[$0] == coarse }
    }

    /// Whether this taxonomy's fine level refines `coarse`, a model's coarse labels: the same
    /// labels in the same order, so a fine answer maps to the index a coarse model would give.
    public func refines(coarse labels: [String]) -> Bool { labels == coarseLabels }

    /// `refines(coarse:)` as a check whose error names the first difference, for refusing to wire
    /// a coarse end model with a fine upper model that does not fit it.
    public func checkRefines(coarse labels: [String]) throws(TaxonomyError) {
        guard !refines(coarse: labels) else { return }
        throw .coarseMismatch(expected: coarseLabels, got: labels)
    }
}

extension Taxonomy: Codable {
    enum CodingKeys: String, CodingKey {
        case coarseLabels = "coarse_labels"
        case fineLabels = "fine_labels"
        case fineToCoarse = "fine_to_coarse"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(fineLabels: c.decode([String].self, forKey: .fineLabels),
                          coarseLabels: c.decode([String].self, forKey: .coarseLabels),
                          fineToCoarse: c.decode([Int].self, forKey: .fineToCoarse))
        } catch let error as TaxonomyError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(coarseLabels, forKey: .coarseLabels)
        try c.encode(fineLabels, forKey: .fineLabels)
        try c.encode(fineToCoarse, forKey: .fineToCoarse)
    }
}
