/// Facts about a graph found by running it once on a batch of one with zero inputs: every value's
/// shape, and each node's multiply-accumulates. Used by `hddnn inspect` (MACs per sample), by
/// `hddnn split` (the cut tensor's shape) and by profiles.
public struct ModelAnalysis: Sendable {
    /// Concrete shape of every value at batch 1.
    public let shapes: [String: [Int]]
    /// Multiply-accumulates per sample, by node name.
    public let macsByNode: [String: Int]
    public var macsPerSample: Int { macsByNode.values.reduce(0, +) }
    /// Node counts by operator type.
    public let operatorCounts: [String: Int]

    /// Traces `session`'s graph. Symbolic dimensions are taken as 1.
    ///
    /// The trace runs the graph as written, not as optimised: values that the optimiser fuses
    /// away (a convolution's output before its BatchNormalization) still get their shapes, so
    /// any of them can be named as a split point. With `asCompiled`, the compiled session itself
    /// is traced instead: the same MACs, no second copy of the weights (what `bench` needs).
    public init(session compiled: InferenceSession, asCompiled: Bool = false) throws(EngineError) {
        let graph = compiled.graph
        var plain = compiled.options
        plain.optimize = false
        let session = asCompiled || !compiled.options.optimize ? compiled : try InferenceSession(graph: graph, options: plain)
        var feeds = [String: Tensor]()
        for input in graph.inputs where graph.initializers[input.name] == nil {
            let shape = input.shape.map { $0 ?? 1 }
            switch input.dataType {
            case .float32: feeds[input.name] = Tensor(zeros: shape)
            case .int64: feeds[input.name] = Tensor(shape: shape, int64s: [Int64](repeating: 0, count: Shape.count(shape)))
            }
        }
        var shapes = [String: [Int]]()
        for (k, v) in feeds { shapes[k] = v.shape }
        for (k, v) in graph.initializers { shapes[k] = v.shape }
        var macs = [String: Int]()
        _ = try session.run(feeds) { event in
            for (name, shape) in zip(event.node.outputs, event.outputShapes) where !name.isEmpty { shapes[name] = shape }
            macs[event.node.name, default: 0] += event.macs
        }
        self.shapes = shapes
        self.macsByNode = macs
        self.operatorCounts = graph.nodes.reduce(into: [:]) { $0[$1.opType, default: 0] += 1 }
    }

    /// The shape of `tensor` with the batch dimension symbolic when the graph's inputs have a
    /// symbolic batch dimension.
    public func declaredShape(of tensor: String, graph: Graph) -> [Int?]? {
        guard let s = shapes[tensor] else { return nil }
        let dynamicBatch = graph.inputs.contains { $0.shape.first.flatMap { $0 } == nil && !$0.shape.isEmpty }
        return s.enumerated().map { dynamicBatch && $0.offset == 0 ? nil : $0.element }
    }
}
