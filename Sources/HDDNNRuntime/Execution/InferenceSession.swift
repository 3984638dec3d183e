import Dispatch
import Synchronization

/// Options a session is compiled with.
public struct SessionOptions: Sendable {
    /// Threads for the engine's own kernels. BLAS (used only by `Gemm` and `MatMul`) is
    /// configured process-wide by the caller (`BLAS.setThreads`); the CLI keeps it at one thread
    /// so its spinning workers do not compete with the engine's.
    public var threads: Int
    public var registry: OperatorRegistry
    /// Which instruction set the engine's own kernels use (`.reference` forces the portable ones).
    public var kernels: KernelTable
    /// Apply `GraphOptimizer` (BatchNormalization folding, convolution epilogue fusion), and run
    /// chains of depthwise and pointwise convolutions channels-last (`SeparableChainOperator`).
    public var optimize: Bool
    /// Let 3x3 stride-1 convolutions with at least 16 channels use Winograd F(4x4, 3x3) when a
    /// run has enough tiles (`Conv2DKernel.usesWinograd`): 4x fewer multiply-adds, at the cost of
    /// more rounding (1e-5 relative for 16-20 channels, 2e-4 for 512 in `Conv2DKernelTests`).
    /// Off only to compare against the im2col GEMM.
    public var winograd: Bool
    /// With several threads, let a batch run as one part per thread when the graph allows it
    /// (`InferenceSession.splitsBatches`). Off only to compare against splitting each operator.
    public var splitBatches: Bool

    public init(threads: Int = 1, registry: OperatorRegistry = .standard, kernels: KernelTable = .detected,
                optimize: Bool = true, winograd: Bool = true, splitBatches: Bool = true) {
        self.threads = threads
        self.registry = registry
        self.kernels = kernels
        self.optimize = optimize
        self.winograd = winograd
        self.splitBatches = splitBatches
    }
}

/// A compiled graph, ready to run many times.
///
/// Compilation (the initializer) checks the graph, orders the nodes, compiles each operator (which
/// refuses anything unsupported), replaces runs of depthwise and pointwise convolutions by one
/// channels-last step (`fusingSeparableChains`), and computes, for every intermediate value, the
/// step after which it is dead, so `run` releases activations as early as possible. `run` is safe
/// to call from several tasks at once: it keeps its values in a local table.
public final class InferenceSession: Sendable {
    public let graph: Graph
    public let options: SessionOptions

    struct Step: Sendable {
        var node: Node
        var op: any Operator
        var inputs: [Int?]
        var outputs: [Int?]
        /// Slots to release after this step (filled in once the steps are final).
        var releases: [Int] = []
    }

    private let steps: [Step]
    private let slotCount: Int
    private let inputSlots: [(info: ValueInfo, slot: Int)]
    private let outputSlots: [(name: String, slot: Int)]
    private let constantSlots: [(slot: Int, tensor: Tensor)]
    /// Whether a batch may be cut into parts that run concurrently (`BatchIndependence`).
    public let splitsBatches: Bool

    public init(graph original: Graph, options: SessionOptions = .init()) throws(EngineError) {
        self.graph = original
        self.options = options
        let graph = options.optimize ? GraphOptimizer.optimize(original) : original
        var slots: [String: Int] = [:]
        func slot(_ name: String) -> Int {
            if let s = slots[name] { return s }
            slots[name] = slots.count
            return slots.count - 1
        }
        let available = Set(graph.initializers.keys).union(graph.inputs.map(\.name))
        var inputs: [(ValueInfo, Int)] = []
        for info in graph.inputs where graph.initializers[info.name] == nil {
            inputs.append((info, slot(info.name)))
        }

        let ordered = try Self.topologicalOrder(graph.nodes, available: available)
        var compiled: [Step] = []
        var constantNames = Set<String>()
        for node in ordered {
            let ctx = NodeContext(node: node, opset: graph.opsetVersion, constants: graph.initializers, kernels: options.kernels,
                                  winograd: options.winograd)
            let op = try options.registry.compile(ctx)
            // Constants an operator packed at load are not fed to it again (nor kept alive for it).
            let packed = op.prepackedInputs()
            let inputSlots = node.inputs.enumerated().map { i, name -> Int? in
                if name.isEmpty || (packed.contains(i) && graph.initializers[name] != nil) { return nil }
                if graph.initializers[name] != nil { constantNames.insert(name) }
                return slot(name)
            }
            compiled.append(Step(node: node, op: op, inputs: inputSlots, outputs: node.outputs.map { $0.isEmpty ? nil : slot($0) }))
        }
        for output in graph.outputs where graph.initializers[output.name] != nil { constantNames.insert(output.name) }
        let constants = constantNames.sorted().map { (slot($0), graph.initializers[$0]!) }
        for output in graph.outputs where slots[output.name] == nil {
            throw .invalidGraph("graph output '\(output.name)' is produced by no node, input or initializer")
        }

        // Liveness: the last step reading each slot; graph outputs and constants are never released.
        let pinned = Set(graph.outputs.compactMap { slots[$0.name] } + constants.map(\.0))
        if options.optimize { compiled = Self.fusingSeparableChains(compiled, pinned: pinned, table: options.kernels) }
        var lastUse = [Int: Int]()
        for (i, c) in compiled.enumerated() {
            for s in c.inputs.compactMap({ $0 }) { lastUse[s] = i }
            for s in c.outputs.compactMap({ $0 }) where lastUse[s] == nil { lastUse[s] = i }  // dead outputs die at once
        }
        for (s, i) in lastUse where !pinned.contains(s) { compiled[i].releases.append(s) }

        steps = compiled
        slotCount = slots.count
        inputSlots = inputs.map { (info: $0.0, slot: $0.1) }
        outputSlots = graph.outputs.map { (name: $0.name, slot: slots[$0.name]!) }
        constantSlots = constants.map { (slot: $0.0, tensor: $0.1) }
        splitsBatches = options.splitBatches && BatchIndependence.holds(for: graph)
    }

    /// Orders nodes so each runs after the producers of its inputs; refuses dangling reads and cycles.
    static func topologicalOrder(_ nodes: [Node], available: Set<String>) throws(EngineError) -> [Node] {
        var producer = [String: Int]()
        for (i, n) in nodes.enumerated() {
            for o in n.outputs where !o.isEmpty {
                if producer[o] != nil || available.contains(o) {
                    throw .invalidGraph("value '\(o)' is produced twice (node '\(n.name)')")
                }
                producer[o] = i
            }
        }
        var state = [Int](repeating: 0, count: nodes.count)  // 0 new, 1 visiting, 2 done
        var order = [Node]()
        order.reserveCapacity(nodes.count)
        for start in nodes.indices where state[start] == 0 {
            // Iterative depth-first search, so deep graphs cannot overflow the stack.
            var stack: [(node: Int, next: Int)] = [(start, 0)]
            state[start] = 1
            while let top = stack.last {
                let node = nodes[top.node]
                if top.next < node.inputs.count {
                    stack[stack.count - 1].next += 1
                    let name = node.inputs[top.next]
                    if name.isEmpty || available.contains(name) { continue }
                    guard let p = producer[name] else {
                        throw .invalidGraph("node '\(node.name)' (\(node.opType)) reads '\(name)', which no node, input or initializer provides")
                    }
                    if state[p] == 1 { throw .invalidGraph("cycle through node '\(nodes[p].name)'") }
                    if state[p] == 0 { state[p] = 1; stack.append((p, 0)) }
                } else {
                    state[top.node] = 2
                    order.append(node)
                    stack.removeLast()
                }
            }
        }
        return order
    }

    /// Names of the inputs the caller must feed.
    public var inputNames: [String] { inputSlots.map(\.info.name) }

    /// Runs the graph. Inputs are checked against the declared shapes and types first.
    public func run(_ feeds: [String: Tensor]) throws(EngineError) -> [String: Tensor] {
        try run(feeds, observer: nil)
    }

    /// Runs the graph, calling `observer` after each node with its timing and shapes (profiling,
    /// MAC counting, shape tracing).
    ///
    /// With several threads, a batch of at least two images per thread, and a graph that keeps
    /// samples apart (`splitsBatches`), the batch is cut into one part per thread and the parts
    /// run concurrently, each single-threaded; an observed run always runs whole.
    public func run(_ feeds: [String: Tensor], observer: ((NodeEvent) -> Void)?) throws(EngineError) -> [String: Tensor] {
        for name in feeds.keys where !inputSlots.contains(where: { $0.info.name == name }) {
            throw .unknownInput(name: name, known: inputNames)
        }
        var inputs = [(slot: Int, tensor: Tensor)]()
        for (info, slot) in inputSlots {
            guard let t = feeds[info.name] else { throw .missingInput(name: info.name, expectedShape: info.shape) }
            guard t.dataType == info.dataType else { throw .inputType(name: info.name, expected: info.dataType, got: t.dataType) }
            guard info.accepts(t.shape) else { throw .inputShape(name: info.name, expected: info.shape, got: t.shape) }
            inputs.append((slot, t))
        }
        if observer == nil, let parts = batchParts(inputs.map(\.tensor)) {
            if let outputs = try runParts(inputs, parts: parts) { return outputs }
        }
        return try execute(inputs, context: ExecutionContext(threads: options.threads), observer: observer)
    }

    /// Part sizes along dimension 0 when this run splits its batch, else nil.
    private func batchParts(_ inputs: [Tensor]) -> [Int]? {
        let threads = options.threads
        guard splitsBatches, threads > 1, let batch = inputs.first?.shape.first, batch >= 2 * threads,
              inputs.allSatisfy({ $0.rank >= 2 && $0.shape[0] == batch }) else { return nil }
        return (0..<threads).map { batch * ($0 + 1) / threads - batch * $0 / threads }
    }

    /// Runs each part of the batch on its own thread and joins the outputs along dimension 0; nil
    /// (the caller then runs the batch whole) if an output came back without the part's batch.
    private func runParts(_ inputs: [(slot: Int, tensor: Tensor)], parts: [Int]) throws(EngineError) -> [String: Tensor]? {
        let starts = parts.indices.map { parts[..<$0].reduce(0, +) }
        let results = Mutex([Result<[String: Tensor], EngineError>?](repeating: nil, count: parts.count))
        DispatchQueue.concurrentPerform(iterations: parts.count) { p in
            let slice = inputs.map { (slot: $0.slot, tensor: $0.tensor.rows(starts[p]..<(starts[p] + parts[p]))) }
            let result = Result { () throws(EngineError) in try execute(slice, context: ExecutionContext(threads: 1), observer: nil) }
            results.withLock { $0[p] = result }
        }
        let outputs = try results.withLock { $0 }.map { result throws(EngineError) in try result!.get() }
        var joined = [String: Tensor]()
        for (name, _) in outputSlots {
            let pieces = outputs.compactMap { $0[name] }
            guard pieces.count == parts.count, zip(pieces, parts).allSatisfy({ $0.rank >= 1 && $0.shape[0] == $1 }),
                  pieces.allSatisfy({ $0.dataType == pieces[0].dataType && $0.shape.dropFirst() == pieces[0].shape.dropFirst() })
            else { return nil }
            joined[name] = Tensor.concatenating(pieces, axis: 0, shape: [parts.reduce(0, +)] + pieces[0].shape.dropFirst())
        }
        return joined
    }

    /// One pass over the steps with the given input values.
    private func execute(_ inputs: [(slot: Int, tensor: Tensor)], context: ExecutionContext,
                         observer: ((NodeEvent) -> Void)?) throws(EngineError) -> [String: Tensor] {
        var values = [Tensor?](repeating: nil, count: slotCount)
        for (slot, tensor) in constantSlots { values[slot] = tensor }
        for (slot, tensor) in inputs { values[slot] = tensor }
        for step in steps {
            let args = step.inputs.map { $0.flatMap { values[$0] } }
            let start = observer == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            let results: [Tensor]
            do {
                results = try step.op.run(args, context: context)
            } catch let error as EngineError {
                throw .inNode(node: step.node.name, opType: step.node.opType, error)
            } catch {
                throw .inNode(node: step.node.name, opType: step.node.opType, .invalidGraph("\(error)"))
            }
            guard results.count >= step.outputs.compactMap({ $0 }).count else {
                throw .inNode(node: step.node.name, opType: step.node.opType, .invalidGraph("produced \(results.count) outputs, expected \(step.outputs.count)"))
            }
            for (slot, tensor) in zip(step.outputs, results) { if let slot { values[slot] = tensor } }
            if let observer {
                let elapsed = DispatchTime.now().uptimeNanoseconds - start
                let inShapes = args.map { $0?.shape }
                let outShapes = Array(results.prefix(step.outputs.count)).map(\.shape)
                observer(NodeEvent(node: step.node, nanoseconds: elapsed, inputShapes: inShapes, outputShapes: outShapes,
                                   macs: step.op.macs(inputShapes: inShapes, outputShapes: outShapes)))
            }
            for s in step.releases { values[s] = nil }
        }
        var outputs = [String: Tensor]()
        for (name, slot) in outputSlots { outputs[name] = values[slot] }
        return outputs
    }
}

/// What happened in one node during an observed run.
public struct NodeEvent: Sendable {
    public let node: Node
    public let nanoseconds: UInt64
    public let inputShapes: [[Int]?]
    public let outputShapes: [[Int]]
    public let macs: Int
}
