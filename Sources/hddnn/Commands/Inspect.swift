import ArgumentParser
import Foundation
import HDDNNONNX
import HDDNNRuntime

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model's inputs, outputs, operators, parameters and MACs per sample.",
        discussion: """
            MACs (multiply-accumulates) per sample are counted by tracing one batch-1 run, so they \
            are exact for the shapes the model declares (symbolic dimensions taken as 1). \
            `hddnn inspect --operators` lists the operators the engine supports.
            """)

    @Argument(help: "The ONNX model file.")
    var model: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(help: "Also list every intermediate tensor with its shape (candidates for `hddnn split --at`).")
    var tensors = false

    @Flag(help: "List the operators the engine supports and exit.")
    var operators = false

    func validate() throws {
        if model == nil && !operators { throw ValidationError("give a MODEL.onnx to inspect, or --operators") }
    }

    func run() throws {
        if operators {
            let list = OperatorRegistry.standard.supportedOperators
            if json { print(try jsonString(list)) } else { print(list.joined(separator: "\n")) }
            return
        }
        let url = URL(fileURLWithPath: model!)
        let session = try ONNXModel.session(contentsOf: url)
        let analysis = try ModelAnalysis(session: session)
        let report = ModelReport(path: url.path, graph: session.graph, analysis: analysis, includeTensors: tensors)
        print(json ? try jsonString(report) : report.text)
    }
}

/// What `inspect` prints, as a value so that text and JSON say the same things.
struct ModelReport: Encodable {
    struct Value: Encodable {
        let name: String
        let dtype: String
        let shape: String
    }
    let path: String
    let producer: String
    let irVersion: Int
    let opset: Int
    let inputs: [Value]
    let outputs: [Value]
    let nodes: Int
    let operators: [String: Int]
    let parameters: Int
    let macsPerSample: Int
    let tensors: [Value]?

    init(path: String, graph: Graph, analysis: ModelAnalysis, includeTensors: Bool) {
        self.path = path
        let m = graph.metadata
        producer = [m.producerName, m.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        irVersion = m.irVersion
        opset = graph.opsetVersion
        inputs = graph.inputs.map { Value(name: $0.name, dtype: $0.dataType.rawValue, shape: formatShape($0)) }
        outputs = graph.outputs.map { Value(name: $0.name, dtype: $0.dataType.rawValue, shape: formatShape($0)) }
        nodes = graph.nodes.count
        operators = analysis.operatorCounts
        parameters = graph.parameterCount
        macsPerSample = analysis.macsPerSample
        tensors = includeTensors ? graph.nodes.flatMap(\.outputs).filter { !$0.isEmpty }.map { name in
            Value(name: name, dtype: "", shape: analysis.shapes[name].map { "\($0)" } ?? "?")
        } : nil
    }

    var text: String {
        var lines = ["model:      \(path)",
                     "producer:   \(producer.isEmpty ? "(unknown)" : producer), IR version \(irVersion), opset \(opset)",
                     "inputs:"]
        lines += inputs.map { "  \($0.name)  \($0.dtype) \($0.shape)" }
        lines.append("outputs:")
        lines += outputs.map { "  \($0.name)  \($0.dtype) \($0.shape)" }
        let ops = operators.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }
        lines.append("operators:  \(nodes) nodes: " + ops.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        lines.append("parameters: \(parameters) (\(humanCount(parameters)))")
        lines.append("MACs/sample: \(macsPerSample) (\(humanCount(macsPerSample)))")
        if let tensors {
            lines.append("tensors (shape at batch 1):")
            lines += tensors.map { "  \($0.name)  \($0.shape)" }
        }
        return lines.joined(separator: "\n")
    }
}

func jsonString<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
