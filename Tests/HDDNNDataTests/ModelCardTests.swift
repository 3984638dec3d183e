import Foundation
import HDDNNData
import HDDNNONNX
import HDDNNRuntime
import HDDNNTestSupport
import Testing

/// Model cards: the JSON training/train.py writes decodes field for field; a card that
/// contradicts its ONNX file is refused with an error that names the contradiction.
struct ModelCardTests {
    /// A card as training/train.py `make_card` writes it (a shortened edge-resnet card).
    static let trainPyCard = #"""
    {
      "name": "edge-resnet", "version": "1.0", "task": "image-classification", "modality": "image",
      "architecture": "ResNet-20, 28x28x1 -> 10 fine", "file": "edge-resnet.onnx",
      "input": {
        "name": "input", "shape": [-1, 1, 28, 28], "dtype": "float32", "layout": "NCHW", "value_range": [0.0, 1.0],
        "normalization": {"mean": [0.0], "std": [1.0], "in_model": {"mean": [0.286], "std": [0.353]}},
        "preprocessing": "grayscale pixel bytes / 255, no other scaling: the model normalizes inside"
      },
      "output": {"name": "logits", "kind": "logits", "level": "fine",
                 "labels": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]},
      "taxonomy": {"coarse_labels": ["tops", "bottoms", "dresses", "footwear", "bags"],
                   "fine_labels": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
                   "fine_to_coarse": [0, 1, 0, 2, 0, 3, 0, 3, 4, 3]},
      "training": {"dataset": "fashion-mnist", "command": "python training/train.py --model edge", "seconds": 125.0,
                   "device": "cuda: NVIDIA H200", "seed": 0, "epochs": 40, "batch_size": 256, "optimizer": "SGD",
                   "augmentation": "random crop (zero padding 2), horizontal flip", "time_budget_s": null, "limit": 2000,
                   "note": "smoke"},
      "metrics": {"split": "fashion-mnist test (10,000 images)", "fine_accuracy": 0.9466, "coarse_accuracy": 0.9873,
                  "coarse_macro_accuracy": 0.983283,
                  "coarse_per_class_accuracy": {"tops": 0.9858, "bottoms": 0.993, "dresses": 0.945, "footwear": 0.9997, "bags": 0.993}},
      "params": 272186, "macs_per_sample": 31021952,
      "onnx": {"opset": 17, "bytes": 1118525, "batchnorm": "separate BatchNormalization nodes (not folded into Conv)",
               "operators": {"Add": 9, "Conv": 21}, "onnxruntime_check": {"batch": 256, "max_abs_diff": 1.97e-05, "argmax_agreement": 1.0}}
    }
    """#

    @Test func decodesWhatTrainPyWrites() throws {
        let card = try JSONDecoder().decode(ModelCard.self, from: Data(Self.trainPyCard.utf8))
        #expect(card.name == "edge-resnet")
        #expect(card.input.shape == [-1, 1, 28, 28] && card.input.valueRange == [0, 1])
        #expect(card.input.normalization?.inModel?.std == [0.353])
        #expect(card.output.level == .fine && card.output.labels.count == 10)
        #expect(card.taxonomy == .fashionMNIST)
        #expect(card.training?.batchSize == 256 && card.training?.timeBudgetSeconds == nil && card.training?.limit == 2000)
        #expect(card.metrics?.coarseMacroAccuracy == 0.983283 && card.metrics?.coarsePerClassAccuracy?["dresses"] == 0.945)
        #expect(card.macsPerSample == 31_021_952)
        #expect(card.onnx?.onnxruntimeCheck?.argmaxAgreement == 1)
        #expect(card.sampleShape == [1, 28, 28] && card.channelCount == 1)
        // Encoding writes the same keys back.
        let again = try JSONDecoder().decode(ModelCard.self, from: JSONEncoder().encode(card))
        #expect(again == card)
        let keys = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(card)) as? [String: Any]).keys
        #expect(Set(keys) == ["name", "version", "task", "modality", "architecture", "file", "input", "output", "taxonomy",
                              "training", "metrics", "params", "macs_per_sample", "onnx"])
    }

    /// The validation error of `card` against the 10-class pixel classifier, if any.
    static func error(_ edit: (inout ModelCard) -> Void, graph: Graph = TestFiles.pixelClassifier(classes: 10)) -> ModelCardError? {
        var card = TestFiles.card(name: "m", level: .fine)
        edit(&card)
        do { try card.validate(against: graph) } catch { return error }
        return nil
    }

    @Test func aMatchingCardValidates() {
        #expect(Self.error { _ in } == nil)
        // A fixed batch in the card fits a model with a symbolic one.
        #expect(Self.error { $0.input.shape[0] = 100 } == nil)
    }

    @Test func contradictionsAreNamed() {
        #expect(Self.error { $0.input.name = "image" } == .inputNotInModel(card: "image", model: ["input"]))
        #expect(Self.error { $0.output.name = "probs" } == .outputNotInModel(card: "probs", model: ["logits"]))
        #expect(Self.error { $0.input.shape = [-1, 3, 32, 32] } == .shapeMismatch(tensor: "input", card: [-1, 3, 32, 32], model: [nil, 1, 28, 28]))
        #expect(Self.error { $0.input.shape = [-1, 1, 28] } == .invalidField(field: "input.layout", reason: "'NCHW' names 4 dimensions, the shape has 3"))
        #expect(Self.error { $0.input.dtype = "int64" } == .invalidField(field: "input.dtype", reason: "image models take float32, not int64"))
        guard case .invalidField("input.dtype", _)? = Self.error({ $0.input.dtype = "uint8" }) else { Issue.record("uint8 accepted"); return }
        let coarse = TestFiles.card(name: "m", level: .coarse)
        #expect(Self.error { $0 = coarse } == .labelCountMismatch(output: "logits", labels: 5, width: 10))
        #expect(Self.error { $0.output.labels.swapAt(0, 1) } == .labelsDisagreeWithTaxonomy(
            level: .fine, labels: ["Trouser", "T-shirt/top"] + Array(Taxonomy.fashionMNIST.fineLabels.dropFirst(2)),
            taxonomy: Taxonomy.fashionMNIST.fineLabels))
        guard case .invalidField("input.value_range", _)? = Self.error({ $0.input.valueRange = [1, 0] }) else { Issue.record("bad range"); return }
        guard case .invalidField("input.normalization.std", _)? = Self.error({ $0.input.normalization?.std = [0] }) else { Issue.record("std 0"); return }
        guard case .invalidField("input.normalization", _)? = Self.error({ $0.input.normalization?.mean = [0, 0] }) else { Issue.record("2 means"); return }
        // A fixed batch in the model contradicts a card that promises any batch size.
        var fixed = TestFiles.pixelClassifier(classes: 10)
        fixed.inputs[0].shape[0] = 1
        #expect(Self.error({ _ in }, graph: fixed) == .shapeMismatch(tensor: "input", card: [-1, 1, 28, 28], model: [1, 1, 28, 28]))
    }

    @Test func messagesSayWhatToDo() {
        let e = ModelCardError.inCard(path: "models/m.card.json", .labelCountMismatch(output: "logits", labels: 5, width: 10))
        #expect(e.description == "models/m.card.json: output 'logits' has 10 columns but the card lists 5 labels; fix the card or write it again with training/train.py")
    }

    @Test func loaderFindsValidatesAndTracesSymbolicWidths() throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try TestFiles.writeModel(TestFiles.pixelClassifier(classes: 10), card: TestFiles.card(name: "ok", level: .fine), named: "ok", in: dir)
        let model = try CardedModel.load(onnx: url)
        #expect(model.card.name == "ok" && model.session.inputNames == ["input"])

        // The output width is symbolic in the graph: one traced run finds it is 5, not 10.
        let symbolic = try TestFiles.writeModel(TestFiles.pixelClassifier(classes: 5, outputWidthKnown: false),
                                                card: TestFiles.card(name: "sym", level: .fine), named: "sym", in: dir)
        let cardPath = dir.appendingPathComponent("sym.card.json").path
        #expect(throws: ModelCardError.inCard(path: cardPath, .labelCountMismatch(output: "logits", labels: 10, width: 5))) {
            try CardedModel.load(onnx: symbolic)
        }

        let bare = try TestFiles.writeModel(TestFiles.pixelClassifier(classes: 10), card: nil, named: "bare", in: dir)
        #expect(throws: ModelCardError.missingCard(model: bare.path, card: dir.appendingPathComponent("bare.card.json").path)) {
            try CardedModel.load(onnx: bare)
        }

        try Data(#"{"name": "x", "version": "1.0", "task": "t", "modality": "image", "input": {"name": "input"}}"#.utf8)
            .write(to: dir.appendingPathComponent("bare.card.json"))
        do { _ = try CardedModel.load(onnx: bare); Issue.record("a card without input.shape loaded") } catch {
            #expect(error.description.contains("field \"input.shape\" is missing"), "\(error)")
        }
        try Data(#"{"name": "#.utf8).write(to: dir.appendingPathComponent("bare.card.json"))
        do { _ = try CardedModel.load(onnx: bare); Issue.record("broken JSON loaded") } catch {
            #expect(error.description.contains("is not a valid model card: not JSON"), "\(error)")
        }
        var level = try String(contentsOf: dir.appendingPathComponent("ok.card.json"), encoding: .utf8)
        level = level.replacingOccurrences(of: "\"fine\"", with: "\"medium\"")
        try level.write(to: dir.appendingPathComponent("bare.card.json"), atomically: true, encoding: .utf8)
        do { _ = try CardedModel.load(onnx: bare); Issue.record("level 'medium' loaded") } catch {
            #expect(error.description.contains("field \"output.level\""), "\(error)")
        }
    }

    @Test func tiersMustShareATaxonomy() throws {
        let edge = TestFiles.card(name: "edge", level: .fine)
        let end = TestFiles.card(name: "end", level: .coarse)
        try edge.checkRefines(coarse: end)
        #expect(throws: ModelCardError.levelMismatch(model: "end", expected: .fine, got: .coarse)) { try end.checkRefines(coarse: end) }
        #expect(throws: ModelCardError.levelMismatch(model: "edge", expected: .coarse, got: .fine)) { try edge.checkRefines(coarse: edge) }

        var cifarEnd = end
        cifarEnd.output.labels = Taxonomy.cifar100.coarseLabels
        cifarEnd.taxonomy = .cifar100
        #expect(throws: ModelCardError.taxonomy(.coarseMismatch(expected: Taxonomy.fashionMNIST.coarseLabels, got: Taxonomy.cifar100.coarseLabels))) {
            try edge.checkRefines(coarse: cifarEnd)
        }
        // Same coarse names, but the end model was trained with Shirt under "dresses".
        var regrouped = end
        var mapping = Taxonomy.fashionMNIST.fineToCoarse
        mapping[6] = 2
        regrouped.taxonomy = try Taxonomy(fineLabels: Taxonomy.fashionMNIST.fineLabels, coarseLabels: Taxonomy.fashionMNIST.coarseLabels, fineToCoarse: mapping)
        do { try edge.checkRefines(coarse: regrouped); Issue.record("a regrouped taxonomy fitted") } catch {
            #expect(error.description.contains("'edge' puts 'Shirt' under 'tops', 'end' under 'dresses'"), "\(error)")
        }
        var bare = edge
        bare.taxonomy = nil
        #expect(throws: ModelCardError.missingTaxonomy(model: "edge")) { try bare.checkRefines(coarse: end) }
    }
}

/// The trained models in models/, when present: every card fits its model, and the fine models
/// can stand above the coarse one.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: Repository.models.appendingPathComponent("end-mobilenet.card.json").path)))
struct ShippedModelTests {
    @Test func cardsFitTheirModelsAndTheTiersFitTogether() throws {
        let end = try CardedModel.load(onnx: Repository.models.appendingPathComponent("end-mobilenet.onnx"))
        #expect(end.card.output.level == .coarse)
        for name in ["edge-resnet", "cloud-wrn"] {
            let url = Repository.models.appendingPathComponent(name + ".onnx")
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let upper = try CardedModel.load(onnx: url)
            #expect(upper.card.output.level == .fine)
            try upper.card.checkRefines(coarse: end.card)
        }
    }

    /// Every card training/train.py (and training/holistic.py) has written into the repository decodes and is consistent,
    /// including the paper models' cards whose ONNX files are too large to ship.
    @Test func everyCommittedCardDecodes() throws {
        let runs = Repository.root.appendingPathComponent("training/runs")
        var cards = [URL]()
        for dir in [Repository.models, runs] {
            guard let walk = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walk where url.lastPathComponent.hasSuffix(".card.json") { cards.append(url) }
        }
        #expect(cards.count >= 3)
        for url in cards {
            let card = try ModelCard.read(from: url)
            try card.validateFields()
            if card.modality == "tabular" {
                // The holistic layer's trial models (models/holistic): two classes, measured by AUC.
                #expect(card.output.labels.count == 2 && card.metrics?.auc != nil, "\(url.lastPathComponent)")
                #expect(card.semantics?.columns?.count == card.input.shape.last, "\(url.lastPathComponent)")
            } else {
                #expect(card.taxonomy == .fashionMNIST, "\(url.lastPathComponent)")
                #expect(card.metrics?.coarseAccuracy != nil, "\(url.lastPathComponent)")
            }
        }
    }
}
