import Foundation
import HDDNNData
import HDDNNONNX
import HDDNNRuntime
import HDDNNTestSupport
import Testing

/// The `hddnn` binary end to end: exit codes and one-line errors for bad input, and
/// `infer` / `split` agreeing bit for bit.
@Suite(.serialized) struct CLITests {
    /// Runs the `hddnn` binary to its end.
    static func hddnn(_ args: String...) throws -> ProcessRunner.Result { try hddnn(args) }

    static func hddnn(_ args: [String]) throws -> ProcessRunner.Result { try ProcessRunner().run(args) }

    /// A scratch folder holding a small CNN written as ONNX.
    static func workspace() throws -> URL {
        let dir = try Repository.workspace("cli")
        var rng: UInt64 = 42
        func next() -> Float { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return Float(rng >> 40) / Float(1 << 24) - 0.5 }
        func random(_ shape: [Int]) -> Tensor { Tensor(shape: shape, floats: (0..<Shape.count(shape)).map { _ in next() }) }
        let graph = Graph(
            name: "cnn",
            inputs: [ValueInfo(name: "image", dataType: .float32, shape: [nil, 1, 8, 8], dimensionNames: ["batch", nil, nil, nil])],
            outputs: [ValueInfo(name: "logits", dataType: .float32, shape: [nil, 5], dimensionNames: ["batch", nil])],
            nodes: [
                Node(name: "conv1", opType: "Conv", inputs: ["image", "w1", "b1"], outputs: ["c1"],
                     attributes: ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])]),
                Node(name: "bn1", opType: "BatchNormalization", inputs: ["c1", "g", "beta", "mean", "var"], outputs: ["n1"]),
                Node(name: "relu1", opType: "Relu", inputs: ["n1"], outputs: ["r1"]),
                Node(name: "pool", opType: "GlobalAveragePool", inputs: ["r1"], outputs: ["p"]),
                Node(name: "flatten", opType: "Flatten", inputs: ["p"], outputs: ["f"]),
                Node(name: "fc", opType: "Gemm", inputs: ["f", "wf", "bf"], outputs: ["logits"], attributes: ["transB": .int(1)]),
            ],
            initializers: ["w1": random([6, 1, 3, 3]), "b1": random([6]), "g": random([6]), "beta": random([6]),
                           "mean": random([6]), "var": Tensor(shape: [6], floats: [1, 2, 0.5, 1.5, 1, 3]),
                           "wf": random([5, 6]), "bf": random([5])],
            opsetVersion: 17, metadata: ModelMetadata(irVersion: 8, producerName: "hddnn-tests"))
        try ONNXModel.write(graph, to: dir.appendingPathComponent("cnn.onnx"))
        try NPY.write(random([3, 1, 8, 8]), to: dir.appendingPathComponent("x.npy"))
        return dir
    }

    @Test func inspectReportsTheModel() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Self.hddnn("inspect", dir.appendingPathComponent("cnn.onnx").path)
        #expect(r.status == 0)
        #expect(r.stdout.contains("image  float32 [batch, 1, 8, 8]"))
        #expect(r.stdout.contains("parameters: 119 "))
        // 6 x 4 x 4 x 9 (conv) + 6 x 5 (fc) multiply-accumulates.
        #expect(r.stdout.contains("MACs/sample: 894 "))
        let json = try Self.hddnn("inspect", dir.appendingPathComponent("cnn.onnx").path, "--json")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["macsPerSample"] as? Int == 894)
        #expect(object?["opset"] as? Int == 17)
    }

    @Test func splitHeadThenTailEqualsInferBitForBit() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ f: String) -> String { dir.appendingPathComponent(f).path }
        #expect(try Self.hddnn("infer", path("cnn.onnx"), "--input", path("x.npy"), "--output", path("whole.npy")).status == 0)
        let split = try Self.hddnn("split", path("cnn.onnx"), "--at", "r1", "--head", path("head.onnx"), "--tail", path("tail.onnx"))
        #expect(split.status == 0, "\(split.stderr)")
        #expect(try Self.hddnn("infer", path("head.onnx"), "--input", path("x.npy"), "--output", path("features.npy")).status == 0)
        #expect(try Self.hddnn("infer", path("tail.onnx"), "--input", "r1=" + path("features.npy"), "--output", path("split.npy"), "--threads", "2").status == 0)
        let whole = try NPY.read(dir.appendingPathComponent("whole.npy"))
        let viaSplit = try NPY.read(dir.appendingPathComponent("split.npy"))
        #expect(whole.shape == [3, 5])
        #expect(whole == viaSplit)
    }

    @Test func badInputGivesOneLineErrorAndNonZeroExit() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ f: String) -> String { dir.appendingPathComponent(f).path }
        let model = try Data(contentsOf: dir.appendingPathComponent("cnn.onnx"))
        try model.prefix(model.count / 2).write(to: dir.appendingPathComponent("truncated.onnx"))
        try Data("this is not onnx".utf8).write(to: dir.appendingPathComponent("text.onnx"))
        try NPY.write(Tensor(zeros: [3, 1, 7, 8]), to: dir.appendingPathComponent("wrong-shape.npy"))
        try NPY.write(Tensor(shape: [1, 1, 8, 8], int64s: Array(repeating: 0, count: 64)), to: dir.appendingPathComponent("wrong-type.npy"))

        let cases: [([String], String)] = [
            (["inspect", path("truncated.onnx")], "is not a valid ONNX model"),
            (["inspect", path("text.onnx")], "is not a valid ONNX model"),
            (["inspect", path("missing.onnx")], "cannot read"),
            (["infer", path("cnn.onnx"), "--input", path("wrong-shape.npy"), "--output", path("o.npy")],
             "input 'image': expected shape [?, 1, 8, 8], got [3, 1, 7, 8]"),
            (["infer", path("cnn.onnx"), "--input", path("wrong-type.npy"), "--output", path("o.npy")],
             "input 'image': expected float32, got int64"),
            (["infer", path("cnn.onnx"), "--input", path("cnn.onnx"), "--output", path("o.npy")], "is not a valid .npy file"),
            (["split", path("cnn.onnx"), "--at", "nope", "--head", path("h.onnx"), "--tail", path("t.onnx")], "no node produces tensor 'nope'"),
            // The holistic layer's commands, before any node is needed.
            (["query", "--records", "1", "--catalog", "http://127.0.0.1:1"], "no answer from the catalogue at http://127.0.0.1:1"),
            (["holistic", "node", "--config", path("missing.yaml"), "--node", "lab"], "cannot read"),
        ]
        for (args, message) in cases {
            let result = try Self.hddnn(args)
            #expect(result.status != 0, "\(args): exit 0")
            #expect(result.stderr.contains(message), "\(args): stderr was \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(args): not one line: \(result.stderr)")
        }
    }

    /// Usage errors name the problem on their first line, then the command's usage, exit 64.
    /// `hddnn card init` writes a card that validates against its file and makes the model
    /// loadable with its card; it says what is left to fill in and never overwrites without --force.
    @Test func cardInitWritesAStartingCardThatLoads() throws {
        let dir = try Repository.workspace("card-init")
        let model = dir.appendingPathComponent("my-end.onnx")
        try FileManager.default.copyItem(at: Repository.models.appendingPathComponent("end-mobilenet.onnx"), to: model)
        let written = try Self.hddnn("card", "init", model.path, "--level", "coarse",
                                     "--taxonomy-from", Repository.models.appendingPathComponent("end-mobilenet.card.json").path)
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.contains("5 coarse labels") && written.stdout.contains("input.value_range"), "\(written.stdout)")
        let carded = try CardedModel.load(onnx: model)
        #expect(carded.card.name == "my-end" && carded.card.output.labels == ["tops", "bottoms", "dresses", "footwear", "bags"])
        #expect(carded.card.taxonomy != nil && carded.card.input.shape == [-1, 1, 28, 28])
        let again = try Self.hddnn("card", "init", model.path)
        #expect(again.status != 0 && again.stderr.contains("--force"), "\(again.stderr)")
        // Ten labels for a five-wide output contradict the file: refused, nothing written.
        let other = dir.appendingPathComponent("other.onnx")
        try FileManager.default.copyItem(at: model, to: other)
        let wrong = try Self.hddnn("card", "init", other.path, "--labels", (0..<10).map { "c\($0)" }.joined(separator: ","))
        #expect(wrong.status != 0 && wrong.stderr.contains("10 labels"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("other.card.json").path))
    }

    @Test func holisticUsageErrors() throws {
        let cases: [([String], String, String)] = [
            (["query", "--records", "5-2"], "'5-2' is not an id or a range", "hddnn query"),
            (["query", "--records", "1", "--levels", "medium"], "'medium' is not coarse or fine", "hddnn query"),
            (["holistic", "experiment", "--only", "both"], "--only is placement or deadline", "hddnn holistic experiment"),
        ]
        for (args, message, usage) in cases {
            let result = try Self.hddnn(args)
            #expect(result.status == 64, "\(args): exit \(result.status)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.first?.contains(message) == true, "\(args): stderr was \(result.stderr)")
            #expect(lines.dropFirst().first?.contains("Usage: \(usage)") == true, "\(args): stderr was \(result.stderr)")
        }
    }
}
