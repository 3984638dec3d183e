extension ModelCard {
    /// Checks that this model (fine labels, an edge or cloud model) can stand above `end` (coarse
    /// labels, an end-device model): its taxonomy maps its fine labels onto exactly the end
    /// model's coarse labels, so its answers can be compared with, or replace, the end model's.
    ///
    /// HDDNN's schemes send a batch to an end device or on to an upper tier and count the answers
    /// together (its Table 3 reports fine accuracy by scheme); that is only meaningful when the two
    /// models share a taxonomy. A scheduler calls this before wiring two tiers.
    public func checkRefines(coarse end: ModelCard) throws(ModelCardError) {
        guard output.level == .fine else { throw .levelMismatch(model: name, expected: .fine, got: output.level) }
        guard end.output.level == .coarse else { throw .levelMismatch(model: end.name, expected: .coarse, got: end.output.level) }
        guard let taxonomy else { throw .missingTaxonomy(model: name) }
        do { try taxonomy.checkRefines(coarse: end.output.labels) } catch { throw .taxonomy(error) }
        // Equal coarse names are not enough if the end model was trained with the fine classes
        // grouped differently.
        if let other = end.taxonomy, other.fineLabels == taxonomy.fineLabels, other.fineToCoarse != taxonomy.fineToCoarse {
            let f = zip(other.fineToCoarse, taxonomy.fineToCoarse).enumerated().first { $0.element.0 != $0.element.1 }!.offset
            throw .invalidField(field: "taxonomy.fine_to_coarse",
                                reason: "'\(name)' puts '\(taxonomy.fineLabels[f])' under '\(taxonomy.coarseLabels[taxonomy.fineToCoarse[f]])', "
                                    + "'\(end.name)' under '\(other.coarseLabels[other.fineToCoarse[f]])'; pair models trained with the same taxonomy")
        }
    }
}
