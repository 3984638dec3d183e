import ArgumentParser

@main
struct HDDNN: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hddnn",
        abstract: "Run deep-learning inference across end, edge and cloud nodes.",
        discussion: """
            The engine runs ONNX models on the CPU (OpenBLAS for matrix products). Start with
            `hddnn inspect MODEL.onnx` to see what a model takes and gives, then
            `hddnn infer MODEL.onnx --input x.npy --output y.npy`.
            """,
        subcommands: [Inspect.self, Infer.self, Split.self, Eval.self, Bench.self, Models.self])
}
