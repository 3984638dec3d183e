import ArgumentParser

@main
struct HDDNN: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hddnn",
        abstract: "Run deep-learning inference across end, edge and cloud nodes.",
        discussion: """
            HDDNN (heterogeneous distributed DNN): end devices run a small network and answer a \
            coarse label fast; edge devices and the cloud run bigger networks and answer the fine \
            label later. Nodes speak the Open Inference Protocol v2.

              hddnn demo                                   a local cluster, every scheme
              hddnn serve --config T.yaml --node end-1     run one node
              hddnn run --config T.yaml --scheme mapping   a job over running nodes

            The engine runs ONNX models on the CPU: `hddnn inspect MODEL.onnx` shows what a model \
            takes and gives, `hddnn infer`, `eval` and `bench` run it.
            """,
        subcommands: [Demo.self, Serve.self, Run.self, Chaos.self, PKI.self, TokenCommand.self, Experiment.self, Inspect.self, Infer.self, Split.self, Eval.self, Bench.self, Models.self, Card.self, RepositoryCommand.self, Export.self, Holistic.self, QueryCommand.self])
}
