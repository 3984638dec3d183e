import Foundation
import HDDNNData
import Testing

/// The two taxonomies against independent statements of them, malformed taxonomies refused, and
/// the fit check a scheduler relies on.
struct TaxonomyTests {
    @Test func fashionMNISTMatchesTrainingTaxonomy() {
        let t = Taxonomy.fashionMNIST
        // training/taxonomy.py FINE_TO_COARSE, the mapping every card carries.
        #expect(t.fineToCoarse == [0, 1, 0, 2, 0, 3, 0, 3, 4, 3])
        #expect(t.coarseLabels == ["tops", "bottoms", "dresses", "footwear", "bags"])
        #expect(t.fineLabels[9] == "Ankle boot" && t.fineLabels[0] == "T-shirt/top")
        #expect(t.members(ofCoarse: 0).map { t.fineLabels[$0] } == ["T-shirt/top", "Pullover", "Coat", "Shirt"])
        #expect(t.members(ofCoarse: 3).map { t.fineLabels[$0] } == ["Sandal", "Sneaker", "Ankle boot"])
    }

    @Test func cifar100MatchesTheDataSetsCoarseLabels() {
        let t = Taxonomy.cifar100
        #expect(t.fineLabels.count == 100 && t.coarseLabels.count == 20)
        #expect(t.fineLabels == t.fineLabels.sorted())  // fine_label_names.txt is alphabetical
        // The coarse label of each fine label as stored in CIFAR-100's own files (the list
        // commonly used to convert fine labels to superclasses).
        let fromTheFiles = [4, 1, 14, 8, 0, 6, 7, 7, 18, 3, 3, 14, 9, 18, 7, 11, 3, 9, 7, 11, 6, 11, 5, 10, 7, 6, 13, 15, 3, 15,
                            0, 11, 1, 10, 12, 14, 16, 9, 11, 5, 5, 19, 8, 8, 15, 13, 14, 17, 18, 10, 16, 4, 17, 4, 2, 0, 17, 4, 18, 17,
                            10, 3, 2, 12, 12, 16, 12, 1, 9, 19, 2, 10, 0, 1, 16, 12, 9, 13, 15, 13, 16, 19, 2, 4, 6, 19, 5, 5, 8, 19,
                            18, 1, 2, 15, 6, 0, 17, 8, 14, 13]
        #expect(t.fineToCoarse == fromTheFiles)
        for c in 0..<20 { #expect(t.members(ofCoarse: c).count == 5, "\(t.coarseLabels[c])") }
    }

    @Test func malformedTaxonomiesAreRefused() {
        #expect(throws: TaxonomyError.mappingLength(fineLabels: 2, mapping: 1)) {
            try Taxonomy(fineLabels: ["a", "b"], coarseLabels: ["x"], fineToCoarse: [0])
        }
        #expect(throws: TaxonomyError.coarseIndexOutOfRange(fine: "b", index: 1, coarseCount: 1)) {
            try Taxonomy(fineLabels: ["a", "b"], coarseLabels: ["x"], fineToCoarse: [0, 1])
        }
        #expect(throws: TaxonomyError.emptyCoarseLabel("y")) {
            try Taxonomy(fineLabels: ["a", "b"], coarseLabels: ["x", "y"], fineToCoarse: [0, 0])
        }
        #expect(throws: TaxonomyError.duplicateLabel(level: "fine", label: "a")) {
            try Taxonomy(fineLabels: ["a", "a"], coarseLabels: ["x"], fineToCoarse: [0, 0])
        }
        #expect(throws: TaxonomyError.unknownFineLabel("c", group: "x")) {
            try Taxonomy(fineLabels: ["a", "b"], groups: [("x", ["a", "c"])])
        }
        #expect(throws: TaxonomyError.unmappedFineLabel("b")) {
            try Taxonomy(fineLabels: ["a", "b"], groups: [("x", ["a"])])
        }
    }

    @Test func refinesOnlyTheSameCoarseLabelsInOrder() {
        let t = Taxonomy.fashionMNIST
        #expect(t.refines(coarse: ["tops", "bottoms", "dresses", "footwear", "bags"]))
        #expect(!t.refines(coarse: ["bottoms", "tops", "dresses", "footwear", "bags"]))
        #expect(!t.refines(coarse: Taxonomy.cifar100.coarseLabels))
        #expect(!t.refines(coarse: ["tops", "bottoms", "dresses", "footwear"]))
        #expect(throws: TaxonomyError.coarseMismatch(expected: t.coarseLabels, got: ["bottoms", "tops", "dresses", "footwear", "bags"])) {
            try t.checkRefines(coarse: ["bottoms", "tops", "dresses", "footwear", "bags"])
        }
        let message = TaxonomyError.coarseMismatch(expected: t.coarseLabels, got: ["bottoms", "tops"]).description
        #expect(message.contains("differ first at index 0: 'tops' vs 'bottoms'"))
    }

    @Test func codesAsTheCardsDo() throws {
        let json = #"{"coarse_labels": ["x", "y"], "fine_labels": ["a", "b", "c"], "fine_to_coarse": [1, 0, 1]}"#
        let t = try JSONDecoder().decode(Taxonomy.self, from: Data(json.utf8))
        #expect(t.coarse(ofFine: 2) == 1)
        let again = try JSONDecoder().decode(Taxonomy.self, from: JSONEncoder().encode(t))
        #expect(again == t)
        let bad = #"{"coarse_labels": ["x"], "fine_labels": ["a"], "fine_to_coarse": [3]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Taxonomy.self, from: Data(bad.utf8)) }
    }
}
