/// Splits a graph at a named tensor into a head and a tail: `tail(head(x)) == graph(x)`.
///
/// This is the mechanism behind HDDNN's "encryption module" (eq. 12-16): a dependable node runs
/// the head of the receiving node's network on the raw data, and only the cut tensor (feature
/// maps) travels; the receiving node runs the tail. The cut must be a single-tensor cut: nothing
/// else computed by the head, and no raw graph input, may be read by the tail, otherwise raw data
/// or hidden state would have to travel too.
public struct GraphPartition: Sendable {
    public let head: Graph
    public let tail: Graph
    /// The tensor that travels from head to tail.
    public let cut: ValueInfo

    /// Splits `graph` at `tensor`. `cutShape` is the tensor's shape (from `ModelAnalysis`), with
    /// nil for a dimension that follows the batch.
    public static func split(_ graph: Graph, at tensor: String, cutShape: [Int?], cutType: DataType = .float32) throws(PartitionError) -> GraphPartition {
        var producerOf = [String: Int]()
        for (i, n) in graph.nodes.enumerated() { for o in n.outputs where !o.isEmpty { producerOf[o] = i } }
        guard let cutProducer = producerOf[tensor] else {
            let candidates = graph.nodes.flatMap(\.outputs).filter { !$0.isEmpty }
            throw .unknownTensor(tensor, candidates: Array(candidates.prefix(12)))
        }
        // Head: the cut tensor's ancestors.
        var inHead = Set<Int>()
        var stack = [cutProducer]
        while let i = stack.popLast() {
            guard inHead.insert(i).inserted else { continue }
            for input in graph.nodes[i].inputs { if let p = producerOf[input] { stack.append(p) } }
        }
        let headNodes = graph.nodes.indices.filter { inHead.contains($0) }.map { graph.nodes[$0] }
        let tailNodes = graph.nodes.indices.filter { !inHead.contains($0) }.map { graph.nodes[$0] }
        guard !tailNodes.isEmpty else { throw .emptyTail(tensor) }

        let headProduced = Set(headNodes.flatMap(\.outputs))
        let rawInputs = Set(graph.inputs.map(\.name)).subtracting(graph.initializers.keys)
        let tailReads = Set(tailNodes.flatMap(\.inputs)).union(graph.outputs.map(\.name))
        let crossing = tailReads.intersection(headProduced).subtracting([tensor])
        guard crossing.isEmpty else { throw .notSingleTensorCut(tensor, alsoCrossing: crossing.sorted()) }
        let rawInTail = tailReads.intersection(rawInputs)
        guard rawInTail.isEmpty else { throw .rawInputInTail(tensor, inputs: rawInTail.sorted()) }

        let cut = ValueInfo(name: tensor, dataType: cutType, shape: cutShape,
                            dimensionNames: cutShape.enumerated().map { $0.element == nil ? ($0.offset == 0 ? "batch" : "d\($0.offset)") : nil })
        func initializers(for nodes: [Node]) -> [String: Tensor] {
            let used = Set(nodes.flatMap(\.inputs))
            return graph.initializers.filter { used.contains($0.key) }
        }
        let headReads = Set(headNodes.flatMap(\.inputs))
        let head = Graph(name: graph.name + "_head", inputs: graph.inputs.filter { headReads.contains($0.name) && rawInputs.contains($0.name) },
                         outputs: [cut], nodes: headNodes, initializers: initializers(for: headNodes),
                         opsetVersion: graph.opsetVersion, metadata: graph.metadata)
        let tail = Graph(name: graph.name + "_tail", inputs: [cut], outputs: graph.outputs, nodes: tailNodes,
                         initializers: initializers(for: tailNodes), opsetVersion: graph.opsetVersion, metadata: graph.metadata)
        return GraphPartition(head: head, tail: tail, cut: cut)
    }
}

/// Why a graph cannot be split where asked.
public enum PartitionError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownTensor(String, candidates: [String])
    case emptyTail(String)
    case notSingleTensorCut(String, alsoCrossing: [String])
    case rawInputInTail(String, inputs: [String])

    public var description: String {
        switch self {
        case let .unknownTensor(t, candidates):
            "no node produces tensor '\(t)'; node outputs include \(candidates.map { "'\($0)'" }.joined(separator: ", ")) (see `hddnn inspect --tensors`)"
        case let .emptyTail(t):
            "cutting at '\(t)' leaves nothing for the tail; pick a tensor before the graph output"
        case let .notSingleTensorCut(t, others):
            "cutting at '\(t)' is not a clean cut: the tail also needs \(others.map { "'\($0)'" }.joined(separator: ", ")) from the head (a skip connection crosses it); cut after the block ends"
        case let .rawInputInTail(t, inputs):
            "cutting at '\(t)' leaves raw input \(inputs.map { "'\($0)'" }.joined(separator: ", ")) read by the tail, so raw data would travel; cut later"
        }
    }
}
