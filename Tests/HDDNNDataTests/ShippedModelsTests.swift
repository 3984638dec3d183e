import Foundation
import HDDNNData
import HDDNNTestSupport
import Testing

/// The shipped models reproduce their cards: `hddnn eval` on the whole Fashion-MNIST test split
/// gives the accuracy PyTorch measured at export within 0.1 percentage point, and
/// `hddnn models --check` finds every card consistent with its ONNX file.
@Suite(.serialized) struct ShippedModelsTests {
    static let haveData = FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-images-idx3-ubyte.gz")

    @Test(.enabled(if: haveData), arguments: ["end-mobilenet", "edge-resnet", "cloud-wrn"])
    func evalReproducesTheCard(name: String) throws {
        let model = Repository.models.appendingPathComponent(name + ".onnx")
        let card = try ModelCard.read(from: ModelCard.url(forModel: model))
        let r = try EvalCommandTests.hddnn(["eval", "--model", model.path, "--json", "--threads", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(result["samples"] as? Int == 10_000)
        let pairs: [(String, Double?)] = [("fine_accuracy", card.metrics?.fineAccuracy), ("coarse_accuracy", card.metrics?.coarseAccuracy),
                                          ("coarse_macro_accuracy", card.metrics?.coarseMacroAccuracy)]
        var compared = 0
        for (key, expected) in pairs {
            guard let expected else { continue }
            let got = try #require(result[key] as? Double, "\(name): no \(key) in eval output")
            #expect(abs(got - expected) <= 0.001, "\(name) \(key): eval \(got), card \(expected)")
            compared += 1
        }
        #expect(compared >= 2)
    }

    @Test func everyCardAgreesWithItsModel() throws {
        let r = try EvalCommandTests.hddnn(["models", "--folder", Repository.models.path, "--check"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("all 3 cards agree with their ONNX files"))
        #expect(r.stdout.contains("cloud-wrn"))
    }
}
