/// Whether a graph computes each sample of a batch on its own, so that a batch may be cut into
/// parts along dimension 0, the parts run concurrently, and their outputs joined back.
///
/// This is the engine's cheapest parallelism: at batch 50 on two threads, two half-batches run
/// whole, single-threaded passes side by side, with no synchronisation per operator (per-operator
/// splitting cannot keep two cores busy on MobileNet's small layers). It is decided once per
/// graph, conservatively: every node must be an operator known to act sample by sample (the
/// convolution, normalisation, activation, pooling and classifier-head operators of CNNs), with
/// its constants broadcasting over the batch and its axes past the batch axis. Anything else
/// (a `Reshape`, a `Shape` chain, a reduction, a custom operator) keeps the whole batch together.
enum BatchIndependence {
    /// Operators that map each sample's values to the same sample's values, whatever their
    /// attributes (elementwise on one input, or windowed within one sample's planes).
    static let perSample: Set<String> = [
        "Conv", "FusedConv", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid",
        "HardSwish", "Clip", "Identity", "Dropout", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
    ]
    /// Elementwise operators of two inputs (broadcasting).
    static let binary: Set<String> = ["Add", "Sub", "Mul", "Div"]

    /// True when every node keeps samples apart (see the type's documentation).
    static func holds(for graph: Graph) -> Bool {
        guard !graph.inputs.isEmpty, graph.inputs.allSatisfy({ $0.shape.count >= 2 }) else { return false }
        let constants = graph.initializers
        // Values that carry the batch in dimension 0: the graph's inputs and what is computed from them.
        var batched = Set(graph.inputs.map(\.name)).subtracting(constants.keys)
        for node in graph.nodes {
            guard node.domain.isEmpty || node.domain == "ai.onnx" || node.domain == GraphOptimizer.fusedDomain,
                  let first = node.inputs.first, batched.contains(first) else { return false }
            // Other inputs: batched values, or constants that broadcast over the batch.
            func broadcastsOverBatch(_ name: String) -> Bool {
                guard let c = constants[name] else { return batched.contains(name) }
                return c.rank <= 1 || c.shape[0] == 1
            }
            let others = node.inputs.dropFirst().filter { !$0.isEmpty }
            let ok: Bool
            switch node.opType {
            case let op where perSample.contains(op):
                // Weights, biases and statistics are constants; a fused residual (input 3) is batched.
                ok = node.inputs.enumerated().dropFirst().allSatisfy { i, name in
                    name.isEmpty || (op == "FusedConv" && i == 3 ? batched.contains(name) : constants[name] != nil)
                }
            case let op where binary.contains(op):
                ok = others.allSatisfy(broadcastsOverBatch)
            case "Flatten":
                ok = (attribute(node, "axis") ?? 1) >= 1
            case "Softmax", "LogSoftmax":
                // Batched values keep rank >= 2 through these operators, so -1 is never the batch axis.
                let axis = attribute(node, "axis") ?? -1
                ok = axis >= 1 || axis == -1
            case "Concat":
                ok = (attribute(node, "axis") ?? 0) >= 1 && others.allSatisfy { batched.contains($0) }
            case "Gemm":
                ok = (attribute(node, "transA") ?? 0) == 0 && others.count >= 1
                    && constants[node.inputs[1]] != nil && others.dropFirst().allSatisfy(broadcastsOverBatch)
                    && others.dropFirst().allSatisfy { constants[$0] != nil }
            case "MatMul":
                ok = others.count == 1 && constants[node.inputs[1]].map { $0.rank == 2 } == true
            default:
                ok = false
            }
            guard ok else { return false }
            batched.formUnion(node.outputs.filter { !$0.isEmpty })
        }
        return graph.outputs.allSatisfy { batched.contains($0.name) }
    }

    private static func attribute(_ node: Node, _ name: String) -> Int? {
        if case .int(let v) = node.attributes[name] { return v }
        return nil
    }
}
