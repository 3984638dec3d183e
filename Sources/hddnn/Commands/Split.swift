import ArgumentParser
import Foundation
import HDDNNONNX
import HDDNNRuntime

struct Split: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Split a model at a named tensor into a head and a tail ONNX file.",
        discussion: """
            The head computes the named tensor from the model's inputs; the tail computes the \
            model's outputs from that tensor. HDDNN's split (its "encryption module", eq. 12-16) \
            runs the head on a dependable node so only feature maps travel. The cut must be a \
            single tensor: no skip connection may cross it and the tail may not read a raw input. \
            List candidate tensors with `hddnn inspect MODEL.onnx --tensors`.
            """)

    @Argument(help: "The ONNX model file.")
    var model: String

    @Option(help: "Name of the tensor to cut at.")
    var at: String

    @Option(help: "Where to write the head model.")
    var head: String

    @Option(help: "Where to write the tail model.")
    var tail: String

    func run() throws {
        let session = try ONNXModel.session(contentsOf: URL(fileURLWithPath: model))
        let analysis = try ModelAnalysis(session: session)
        guard let shape = analysis.declaredShape(of: at, graph: session.graph) else {
            throw PartitionError.unknownTensor(at, candidates: Array(session.graph.nodes.flatMap(\.outputs).prefix(12)))
        }
        let parts = try GraphPartition.split(session.graph, at: at, cutShape: shape)
        // Both halves must compile before anything is written.
        _ = try InferenceSession(graph: parts.head)
        _ = try InferenceSession(graph: parts.tail)
        try ONNXModel.write(parts.head, to: URL(fileURLWithPath: head))
        try ONNXModel.write(parts.tail, to: URL(fileURLWithPath: tail))
        let headParams = parts.head.parameterCount, tailParams = parts.tail.parameterCount
        print("head: \(head) (\(parts.head.nodes.count) nodes, \(headParams) parameters) -> \(at) \(formatShape(parts.cut))")
        print("tail: \(tail) (\(parts.tail.nodes.count) nodes, \(tailParams) parameters)")
    }
}
