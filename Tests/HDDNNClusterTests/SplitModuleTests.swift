import Foundation
import HDDNNCluster
import HDDNNData
import HDDNNRuntime
import HDDNNTestSupport
import Testing

/// The split ("encryption module", eq. 12-16): tail(head(x)) must give the unsplit model's answer.
@Suite struct SplitModuleTests {
    @Test(arguments: ["edge-resnet", "cloud-wrn"]) func headThenTailEqualsTheModel(name: String) throws {
        let model = try CardedModel.load(onnx: Repository.models.appendingPathComponent("\(name).onnx"))
        let split = try SplitModule(model: model, options: .init())
        let x = WireTensor(name: "input", shape: [8, 1, 28, 28], payload: .uint8(SeededData.images(8))).tensor()
        let whole = try model.session.run(["input": x])["logits"]!
        let features = try split.head.run(["input": x])[split.cut]!
        let parted = try split.tail.run([split.cut: features])["logits"]!
        #expect(parted.shape == whole.shape)
        let diff = zip(parted.floats, whole.floats).map { abs($0 - $1) }.max() ?? 1
        #expect(diff < 1e-4, "max |diff| \(diff)")
        let argmax = { (t: Tensor) in (0..<t.shape[0]).map { r in (0..<t.shape[1]).max { t.floats[r * t.shape[1] + $0] < t.floats[r * t.shape[1] + $1] }! } }
        #expect(argmax(parted) == argmax(whole))
        // Feature maps outweigh the raw UINT8 image many times over (the cost the paper did not charge).
        #expect(split.cutBytesPerSample >= 20 * 784, "\(split.cutBytesPerSample) bytes per sample")
        #expect(split.headParameters < 5_000)
    }

    @Test func aNamedCutMustExist() throws {
        let model = try CardedModel.load(onnx: Repository.models.appendingPathComponent("edge-resnet.onnx"))
        #expect(throws: SplitError.self) { _ = try SplitModule(model: model, cut: "no-such-tensor", options: .init()) }
    }
}
