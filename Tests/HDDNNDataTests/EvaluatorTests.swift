import Foundation
import HDDNNData
import HDDNNRuntime
import Testing

/// Accuracy arithmetic on hand-counted cases, input adaptation, and whole evaluations of models
/// whose answers are known in advance.
struct EvaluatorTests {
    @Test func macroAccuracyWeighsClassesEqually() {
        var m = ConfusionMatrix(labels: ["a", "b", "c"])
        for _ in 0..<8 { m.add(truth: 0, predicted: 0) }  // a: 8 of 8
        m.add(truth: 1, predicted: 1)
        m.add(truth: 1, predicted: 0)                     // b: 1 of 2
        #expect(m.total == 10 && m.correct == 9)
        #expect(m.accuracy == 0.9)
        #expect(m.recall(2) == nil)                       // c has no samples: left out of the mean
        #expect(m.macroAccuracy == 0.75)
        #expect(m.topConfusions(3).map { "\($0.truth)>\($0.predicted)x\($0.count)" } == ["b>ax1"])
    }

    @Test func fineTallyMapsToCoarse() {
        var m = ConfusionMatrix(labels: Taxonomy.fashionMNIST.fineLabels)
        m.add(truth: 6, predicted: 0)  // Shirt as T-shirt: wrong fine, right coarse (tops)
        m.add(truth: 5, predicted: 9)  // Sandal as Ankle boot: footwear either way
        m.add(truth: 3, predicted: 4)  // Dress as Coat: dresses -> tops, wrong
        m.add(truth: 8, predicted: 8)
        let c = m.mapped(through: Taxonomy.fashionMNIST.fineToCoarse, labels: Taxonomy.fashionMNIST.coarseLabels)
        #expect(m.accuracy == 0.25)
        #expect(c.accuracy == 0.75)
        #expect(c.counts[2][0] == 1 && c.counts[0][0] == 1 && c.counts[3][3] == 1)
        #expect(c.macroAccuracy == (1 + 0 + 1 + 1) / 4.0)  // tops, dresses, footwear, bags present
    }

    @Test func inputAdapterPadsAndReplicatesLikeTraining() throws {
        var card = TestFiles.card(name: "paper", level: .fine)
        card.input.shape = [-1, 3, 4, 5]
        let adapter = try InputAdapter(source: [1, 2, 2], card: card)
        let out = adapter.apply(Tensor(shape: [1, 1, 2, 2], floats: [0.1, 0.2, 0.3, 0.4]))
        #expect(out.shape == [1, 3, 4, 5])
        // 4 - 2 = 2 rows: 1 above; 5 - 2 = 3 columns: 1 left, 2 right (fashion_mnist.prepare).
        let plane: [Float] = [0, 0, 0, 0, 0,
                              0, 0.1, 0.2, 0, 0,
                              0, 0.3, 0.4, 0, 0,
                              0, 0, 0, 0, 0]
        #expect(out.floats == plane + plane + plane)

        card.input.shape = [-1, 1, 2, 2]
        card.input.valueRange = [0, 255]
        card.input.normalization = .init(mean: [100], std: [2])
        let scaled = try InputAdapter(source: [1, 2, 2], card: card).apply(Tensor(shape: [1, 1, 2, 2], floats: [0, 1, 0.5, 0.2]))
        #expect(scaled.floats == [-50, 77.5, 13.75, -24.5])

        card.input.shape = [-1, 1, 28, 28]
        #expect(try InputAdapter(source: [1, 28, 28], card: TestFiles.card(name: "x", level: .fine)).isIdentity)
        #expect(throws: EvaluationError.self) { try InputAdapter(source: [3, 32, 32], card: card) }
    }

    /// 23 images: image i has fine label `labels[i]`; the pixel classifier answers `lit[i]`.
    static let labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 6, 6, 6, 3, 3, 1, 8, 9, 9]
    static let lit    = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 6, 2, 6, 0, 6, 4, 3, 1, 8, 7, 9]

    @Test func fineModelIsScoredAtBothLevels() throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestFiles.writeFashionMNIST(labels: Self.labels, lit: Self.lit, to: dir)
        let url = try TestFiles.writeModel(TestFiles.pixelClassifier(classes: 10), card: TestFiles.card(name: "fine", level: .fine), named: "fine", in: dir)
        var progress = [Int]()
        let result = try Evaluator(model: CardedModel.load(onnx: url))
            .run(on: FashionMNIST.open(directory: dir.path), batchSize: 4, progress: { done, total in progress.append(done); #expect(total == 23) })
        #expect(progress == [4, 8, 12, 16, 20, 23])
        #expect(result.samples == 23 && result.level == .fine)
        // Wrong: 12 (T-shirt as Shirt), 13 (T-shirt as Pullover), 15 (Shirt as T-shirt),
        // 17 (Dress as Coat), 21 (Ankle boot as Sneaker). Only 17 crosses a coarse class.
        #expect(result.fine?.correct == 18)
        #expect(result.accuracy == 18.0 / 23)
        #expect(result.coarse.correct == 22)
        // Coarse recalls: tops 11/11, bottoms 2/2, dresses 2/3, footwear 5/5, bags 2/2.
        #expect(abs(result.coarse.macroAccuracy - (4 + 2.0 / 3) / 5) < 1e-12)
        #expect(result.fine?.topConfusions(1).first?.count == 1)
        #expect(result.imagesPerSecond > 0)

        let limited = try Evaluator(model: CardedModel.load(onnx: url)).run(on: FashionMNIST.open(directory: dir.path), batchSize: 100, limit: 10)
        #expect(limited.samples == 10 && limited.accuracy == 1)
    }

    @Test func coarseModelIsScoredOnCoarseLabels() throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let coarse = Self.labels.map { Taxonomy.fashionMNIST.fineToCoarse[$0] }
        var lit = coarse
        lit[0] = 4  // one T-shirt answered as a bag
        try TestFiles.writeFashionMNIST(labels: Self.labels, lit: lit, to: dir)
        let url = try TestFiles.writeModel(TestFiles.pixelClassifier(classes: 5), card: TestFiles.card(name: "end", level: .coarse), named: "end", in: dir)
        let result = try Evaluator(model: CardedModel.load(onnx: url)).run(on: FashionMNIST.open(directory: dir.path), batchSize: 7)
        #expect(result.fine == nil)
        #expect(result.coarse.correct == 22)
        #expect(result.coarse.recall(0) == 10.0 / 11)
    }

    @Test func modelsForOtherLabelsAreRefused() throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestFiles.writeFashionMNIST(labels: [1, 2], to: dir)
        var card = TestFiles.card(name: "cifar", level: .coarse)
        card.taxonomy = .cifar100
        card.output.labels = Taxonomy.cifar100.coarseLabels
        let url = try TestFiles.writeModel(TestFiles.pixelClassifier(classes: 20), card: card, named: "cifar", in: dir)
        do {
            _ = try Evaluator(model: CardedModel.load(onnx: url)).run(on: FashionMNIST.open(directory: dir.path))
            Issue.record("a CIFAR model was evaluated on Fashion-MNIST")
        } catch {
            #expect("\(error)".contains("does not answer in fashion-mnist test's labels"))
        }
    }
}
