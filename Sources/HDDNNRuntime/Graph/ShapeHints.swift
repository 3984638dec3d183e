/// Static shapes of a graph's values, propagated from the declared input shapes through the
/// operators of CNN classifiers (convolutions, normalisation, activations, pooling, adds).
///
/// Operators use them at load to choose an algorithm for the input size they will see (a
/// convolution picks Winograd only when its output is large enough to fill tiles). A value whose
/// shape cannot be derived statically is absent; the batch dimension stays unknown (nil).
enum ShapeHints {
    static func propagate(_ graph: Graph) -> [String: [Int?]] {
        var shapes = [String: [Int?]]()
        for input in graph.inputs where input.shapeKnown { shapes[input.name] = input.shape }
        for (name, t) in graph.initializers { shapes[name] = t.shape }
        for node in graph.nodes {
            guard let output = node.outputs.first, !output.isEmpty,
                  let x = node.inputs.first.flatMap({ shapes[$0] }) else { continue }
            let ctx = NodeContext(node: node, opset: graph.opsetVersion, constants: [:])
            switch node.opType {
            case "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Identity", "Dropout", "BatchNormalization":
                shapes[output] = x
            case "Add", "Sub", "Mul", "Div":
                if let y = node.inputs.count > 1 ? shapes[node.inputs[1]] : nil, x.count == y.count,
                   zip(x, y).allSatisfy({ $0 == $1 }) { shapes[output] = x }
            case "GlobalAveragePool", "GlobalMaxPool":
                if x.count >= 3 { shapes[output] = Array(x[0..<2]) + Array(repeating: 1, count: x.count - 2) }
            case "Conv", "FusedConv":
                guard node.inputs.count > 1, let w = shapes[node.inputs[1]].map({ $0.compactMap { $0 } }), w.count == x.count,
                      let spatial = known(x.dropFirst(2)),
                      let window = try? WindowAttributes(ctx, allowsCeilMode: false),
                      let g = try? window.geometry(op: "Conv", spatial: spatial, kernel: Array(w[2...])) else { continue }
                shapes[output] = [x[0], w[0]] + g.outputSpatial(rank: spatial.count).map { $0 }
            case "MaxPool", "AveragePool":
                guard let spatial = known(x.dropFirst(2)), let window = try? WindowAttributes(ctx, allowsCeilMode: graph.opsetVersion >= 10),
                      let kernel = window.kernelShape,
                      let g = try? window.geometry(op: node.opType, spatial: spatial, kernel: kernel) else { continue }
                shapes[output] = [x[0], x[1]] + g.outputSpatial(rank: spatial.count).map { $0 }
            default:
                continue
            }
        }
        return shapes
    }

    private static func known(_ dims: ArraySlice<Int?>) -> [Int]? {
        let values = dims.compactMap { $0 }
        return values.count == dims.count ? values : nil
    }
}
