import ArgumentParser
import Dispatch
import Foundation
import HDDNNONNX
import HDDNNRuntime

struct Infer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on .npy inputs and write its first output as .npy.",
        discussion: """
            Inputs are NumPy .npy files in C order: float32 (np.float32) or int64. A model with one \
            input takes `--input x.npy`; with several, name each: `--input image=x.npy --input mask=m.npy`.
            Example:
              python3 -c "import numpy as np; np.save('x.npy', np.random.rand(8,3,32,32).astype(np.float32))"
              hddnn infer model.onnx --input x.npy --output y.npy --threads 2
            """)

    @Argument(help: "The ONNX model file.")
    var model: String

    @Option(name: .long, help: ArgumentHelp("An input .npy file, or NAME=FILE.npy for a named input (repeatable).", valueName: "[NAME=]FILE"))
    var input: [String] = []

    @Option(help: "Where to write the model's first output (.npy).")
    var output: String

    @OptionGroup var engine: EngineOptions

    func validate() throws {
        if input.isEmpty { throw ValidationError("give at least one --input FILE.npy") }
    }

    func run() throws {
        let session = try ONNXModel.session(contentsOf: URL(fileURLWithPath: model), options: engine.sessionOptions())
        var feeds = [String: Tensor]()
        let names = session.inputNames
        for spec in input {
            let (name, path): (String, String)
            if let eq = spec.firstIndex(of: "="), !FileManager.default.fileExists(atPath: spec) {
                (name, path) = (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
            } else {
                guard names.count == 1 else {
                    throw ValidationError("the model has inputs \(names.joined(separator: ", ")); name each one: --input NAME=FILE.npy")
                }
                (name, path) = (names[0], spec)
            }
            guard feeds[name] == nil else { throw ValidationError("input '\(name)' given twice") }
            feeds[name] = try NPY.read(URL(fileURLWithPath: path))
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let outputs = try session.run(feeds)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        let first = session.graph.outputs[0].name
        guard let result = outputs[first] else { throw EngineError.invalidGraph("output '\(first)' was not produced") }
        try NPY.write(result, to: URL(fileURLWithPath: output))
        let batch = feeds.values.first?.shape.first ?? 1
        FileHandle.standardError.write(Data(String(format: "%@: %@ %@ -> %@ (%.2f ms, %.3f ms/sample, %d thread%@)\n",
            first, result.dataType.rawValue, "\(result.shape)", output, ms, ms / Double(max(batch, 1)),
            engine.threads, engine.threads == 1 ? "" : "s").utf8))
    }
}
