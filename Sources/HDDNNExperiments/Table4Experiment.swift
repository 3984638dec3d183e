import Foundation
import HDDNNData
import HDDNNRuntime
import HDDNNCluster
import HDDNNONNX

/// Table 4: the split ("encryption module") of each upper model: where it cuts, the cut's shape,
/// the head's parameters and weight bytes, and what one task sends raw versus split.
struct Table4Experiment {
    struct Row: Codable {
        var model: String
        var cut: String
        var cutShape: [Int]
        var headParameters: Int
        var headWeightBytes: Int
        var rawBytesPerImage: Int
        var splitBytesPerImage: Int
        var ratio: Double
        var rawBytesPerTask: Int
        var splitBytesPerTask: Int
    }

    struct Result: Codable {
        var rows: [Row]
        var batch: Int
    }

    func run(_ ctx: ExperimentContext) async throws -> Result {
        var models: [(CardedModel, Int)] = []
        for name in ["edge-resnet", "cloud-wrn"] {
            // The raw image is the data set's: Fashion-MNIST, 1x28x28 UINT8.
            models.append((try CardedModel.load(onnx: ctx.models.appendingPathComponent("\(name).onnx")), 784))
        }
        let paper = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/hddnn/paper-models")
        let cards = ctx.models.deletingLastPathComponent().appendingPathComponent("training/runs/2026-11-26-h200")
        for name in ["paper-resnet34", "paper-wrn28-10"] {
            let url = paper.appendingPathComponent("\(name).onnx")
            guard FileManager.default.fileExists(atPath: url.path),
                  let card = try? ModelCard.read(from: cards.appendingPathComponent("\(name).card.json")) else { continue }
            let session = try ONNXModel.session(contentsOf: url)
            // The paper's inputs: CIFAR-100, 3x32x32 UINT8.
            models.append((CardedModel(url: url, card: card, session: session), 3 * 32 * 32))
        }
        var rows: [Row] = []
        for (model, rawBytes) in models {
            ctx.log("  table4: \(model.card.name)")
            let split = try SplitModule(model: model, options: .init())
            let b = split.cutBytesPerSample
            rows.append(Row(model: model.card.name, cut: split.cut, cutShape: split.cutSampleShape, headParameters: split.headParameters,
                            headWeightBytes: split.headParameters * 4, rawBytesPerImage: rawBytes, splitBytesPerImage: b,
                            ratio: Double(b) / Double(rawBytes), rawBytesPerTask: rawBytes * 50, splitBytesPerTask: b * 50))
        }
        return Result(rows: rows, batch: 50)
    }
}
