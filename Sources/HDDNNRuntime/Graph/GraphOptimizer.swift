/// Rewrites a graph into an equivalent one that runs faster, before it is compiled.
///
/// Three rewrites, each exact up to float rounding:
/// 1. **BatchNormalization folding**: `BN(Conv(x, W, B))` becomes `Conv(x, W * s, B * s + t)` with
///    `s = scale / sqrt(var + eps)` and `t = bias - mean * s`, per output channel.
/// 2. **Residual fusion**: `Add(Conv(x), r)` becomes a convolution that adds `r` as it stores
///    its output (ResNet's shortcut; the operator falls back to a plain add if shapes differ).
/// 3. **Activation fusion**: `Relu`, `Clip` with constant bounds and `LeakyRelu` after a
///    convolution are applied in the same store.
/// A rewrite applies only when the intermediate value has a single consumer and is not a graph
/// output. Fused convolutions become `FusedConv` nodes of the internal `hddnn` domain; the
/// session keeps the original graph for export and splitting.
public enum GraphOptimizer {
    public static let fusedDomain = "hddnn"

    public static func optimize(_ input: Graph) -> Graph {
        var graph = input
        foldBatchNormalization(&graph)
        fuseIntoConvolutions(&graph)
        return graph
    }

    static func consumers(_ graph: Graph) -> [String: [Int]] {
        var map = [String: [Int]]()
        for (i, n) in graph.nodes.enumerated() { for v in n.inputs where !v.isEmpty { map[v, default: []].append(i) } }
        return map
    }

    static func isConv(_ n: Node) -> Bool {
        (n.opType == "Conv" && (n.domain.isEmpty || n.domain == "ai.onnx")) || (n.opType == "FusedConv" && n.domain == fusedDomain)
    }

    /// The node producing `value`, if it is a convolution whose output nothing else reads.
    static func soleConvProducer(of value: String, in graph: Graph, consumers: [String: [Int]], outputs: Set<String>) -> Int? {
        guard !outputs.contains(value), consumers[value]?.count == 1,
              let j = graph.nodes.firstIndex(where: { $0.outputs.first == value }), isConv(graph.nodes[j]) else { return nil }
        return j
    }

    static func foldBatchNormalization(_ graph: inout Graph) {
        let outputs = Set(graph.outputs.map(\.name))
        var removed = Set<Int>()
        let users = consumers(graph)
        for (i, bn) in graph.nodes.enumerated() where bn.opType == "BatchNormalization" && bn.domain.isEmpty {
            guard bn.inputs.count == 5, bn.outputs.count == 1 || bn.outputs.dropFirst().allSatisfy(\.isEmpty),
                  bn.attributes["training_mode"] == nil || bn.attributes["training_mode"] == .int(0),
                  let j = soleConvProducer(of: bn.inputs[0], in: graph, consumers: users, outputs: outputs) else { continue }
            let conv = graph.nodes[j]
            guard conv.attributes["activation"] == nil, conv.inputs.count < 4 || conv.inputs[3].isEmpty,
                  let w = graph.initializers[conv.inputs[1]], w.dataType == .float32, w.rank >= 3 else { continue }
            let params = bn.inputs[1...4].map { graph.initializers[$0] }
            guard params.allSatisfy({ $0?.dataType == .float32 && $0?.shape == [w.shape[0]] }) else { continue }
            let bias: [Float]
            if conv.inputs.count > 2, !conv.inputs[2].isEmpty {
                guard let b = graph.initializers[conv.inputs[2]], b.shape == [w.shape[0]] else { continue }
                bias = b.floats
            } else {
                bias = [Float](repeating: 0, count: w.shape[0])
            }
            var epsilon: Float = 1e-5
            if case .float(let e)? = bn.attributes["epsilon"] { epsilon = e }
            let (s, t) = BatchNormalizationOperator.affine(scale: params[0]!.floats, bias: params[1]!.floats,
                                                           mean: params[2]!.floats, variance: params[3]!.floats, epsilon: epsilon)
            let perFilter = w.count / w.shape[0]
            var folded = w.floats
            for m in 0..<w.shape[0] { for k in 0..<perFilter { folded[m * perFilter + k] *= s[m] } }
            let newBias = (0..<bias.count).map { bias[$0] * s[$0] + t[$0] }
            let wName = "\(conv.inputs[1])__folded_\(bn.name)", bName = "\(conv.name)__bias_folded_\(bn.name)"
            graph.initializers[wName] = Tensor(shape: w.shape, floats: folded)
            graph.initializers[bName] = Tensor(shape: [w.shape[0]], floats: newBias)
            var fused = conv
            fused.inputs = [conv.inputs[0], wName, bName]
            fused.outputs = [bn.outputs[0]]
            fused.name = conv.name
            graph.nodes[j] = fused
            removed.insert(i)
        }
        graph.nodes = graph.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        dropUnusedInitializers(&graph)
    }

    static func fuseIntoConvolutions(_ graph: inout Graph) {
        let outputs = Set(graph.outputs.map(\.name))
        // Repeat until nothing changes: Conv -> Add -> Relu fuses in two steps.
        var changed = true
        while changed {
            changed = false
            let users = consumers(graph)
            for (i, node) in graph.nodes.enumerated() where node.domain.isEmpty {
                var fused: Node? = nil
                var convIndex: Int? = nil
                switch node.opType {
                case "Add" where node.inputs.count == 2:
                    for (mine, other) in [(0, 1), (1, 0)] {
                        guard let j = soleConvProducer(of: node.inputs[mine], in: graph, consumers: users, outputs: outputs) else { continue }
                        let conv = graph.nodes[j]
                        guard conv.attributes["activation"] == nil, conv.inputs.count < 4 || conv.inputs[3].isEmpty,
                              node.inputs[other] != node.inputs[mine] else { continue }
                        var f = asFused(conv)
                        while f.inputs.count < 3 { f.inputs.append("") }
                        f.inputs = Array(f.inputs.prefix(3)) + [node.inputs[other]]
                        fused = f; convIndex = j
                        break
                    }
                case "Relu", "LeakyRelu", "Clip":
                    guard let j = soleConvProducer(of: node.inputs[0], in: graph, consumers: users, outputs: outputs),
                          graph.nodes[j].attributes["activation"] == nil,
                          let activation = activationAttributes(node, graph: graph) else { continue }
                    var f = asFused(graph.nodes[j])
                    for (k, v) in activation { f.attributes[k] = v }
                    fused = f; convIndex = j
                default:
                    continue
                }
                guard var f = fused, let j = convIndex else { continue }
                f.outputs = [node.outputs[0]]
                graph.nodes[j] = f
                graph.nodes.remove(at: i)
                changed = true
                break
            }
        }
        dropUnusedInitializers(&graph)
    }

    static func asFused(_ conv: Node) -> Node {
        var f = conv
        f.opType = "FusedConv"
        f.domain = fusedDomain
        return f
    }

    /// Attributes describing a fusable activation node, or nil when it cannot be fused.
    static func activationAttributes(_ node: Node, graph: Graph) -> [String: Attribute]? {
        switch node.opType {
        case "Relu":
            return ["activation": .string("relu")]
        case "LeakyRelu":
            var alpha: Float = 0.01
            if case .float(let a)? = node.attributes["alpha"] { alpha = a }
            return ["activation": .string("leaky_relu"), "activation_alpha": .float(alpha)]
        case "Clip":
            var lo = -Float.greatestFiniteMagnitude, hi = Float.greatestFiniteMagnitude
            if case .float(let v)? = node.attributes["min"] { lo = v }
            if case .float(let v)? = node.attributes["max"] { hi = v }
            for (index, name) in node.inputs.enumerated().dropFirst() where !name.isEmpty {
                guard let t = graph.initializers[name], t.dataType == .float32, t.count == 1 else { return nil }
                if index == 1 { lo = t.floats[0] } else { hi = t.floats[0] }
            }
            return ["activation": .string("clip"), "clip_min": .float(lo), "clip_max": .float(hi)]
        default:
            return nil
        }
    }

    static func dropUnusedInitializers(_ graph: inout Graph) {
        let used = Set(graph.nodes.flatMap(\.inputs)).union(graph.outputs.map(\.name))
        graph.initializers = graph.initializers.filter { used.contains($0.key) }
    }
}
