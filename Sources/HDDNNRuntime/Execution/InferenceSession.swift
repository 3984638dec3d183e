import Dispatch

/// Options a session is compiled with.
public struct SessionOptions: Sendable {
    /// Threads for the engine's own kernels. BLAS (used only by `Gemm` and `MatMul`) is
    /// configured process-wide by the caller (`BLAS.setThreads`); the CLI keeps it at one thread
    /// so its spinning workers do not compete with the engine's.
    public var threads: Int
    public var registry: OperatorRegistry
    /// Which instruction set the engine's own kernels use (`.reference` forces the portable ones).
    public var kernels: KernelTable
    /// Apply `GraphOptimizer` (BatchNormalization folding, convolution epilogue fusion).
    public var optimize: Bool
    /// Let 3x3 stride-1 convolutions use Winograd F(2x2, 3x3) where their output is large enough.
    /// Off by default: on the measured machine its scalar transforms and chunk-level threading
    /// lost to the im2col GEMM on most models (docs/engine-vs-onnxruntime.md); it is tested and
    /// kept for the work that makes it pay (vectorised transforms, batched small-K GEMMs).
    public var winograd: Bool

    public init(threads: Int = 1, registry: OperatorRegistry = .standard, kernels: KernelTable = .detected,
                optimize: Bool = true, winograd: Bool = false) {
        self.threads = threads
        self.registry = registry
        self.kernels = kernels
        self.optimize = optimize
        self.winograd = winograd
    }
}

/// A compiled graph, ready to run many times.
///
/// Compilation (the initializer) checks the graph, orders the nodes, compiles each operator (which
/// refuses anything unsupported) and computes, for every intermediate value, the step after which
/// it is dead, so `run` releases activations as early as possible. `run` is safe to call from
/// several tasks at once: it keeps its values in a local table.
public final class InferenceSession: Sendable {
    public let graph: Graph
    public let options: SessionOptions

    struct Step: Sendable {
        let node: Node
        let op: any Operator
        let inputs: [Int?]
        let outputs: [Int?]
        /// Slots to release after this step.
        let releases: [Int]
    }

    private let steps: [Step]
    private let slotCount: Int
    private let inputSlots: [(info: ValueInfo, slot: Int)]
    private let outputSlots: [(name: String, slot: Int)]
    private let constantSlots: [(slot: Int, tensor: Tensor)]

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
        var compiled: [(Node, any Operator, [Int?], [Int?])] = []
        var constantNames = Set<String>()
        let hints = ShapeHints.propagate(graph)
        for node in ordered {
            let ctx = NodeContext(node: node, opset: graph.opsetVersion, constants: graph.initializers, kernels: options.kernels,
                                  shapeHints: hints, winograd: options.winograd)
            let op = try options.registry.compile(ctx)
            // Constants an operator packed at load are not fed to it again (nor kept alive for it).
            let packed = op.prepackedInputs()
            let inputSlots = node.inputs.enumerated().map { i, name -> Int? in
                if name.isEmpty || (packed.contains(i) && graph.initializers[name] != nil) { return nil }
                if graph.initializers[name] != nil { constantNames.insert(name) }
                return slot(name)
            }
            compiled.append((node, op, inputSlots, node.outputs.map { $0.isEmpty ? nil : slot($0) }))
        }
        for output in graph.outputs where graph.initializers[output.name] != nil { constantNames.insert(output.name) }
        let constants = constantNames.sorted().map { (slot($0), graph.initializers[$0]!) }
        for output in graph.outputs where slots[output.name] == nil {
            throw .invalidGraph("graph output '\(output.name)' is produced by no node, input or initializer")
        }

        // Liveness: the last step reading each slot; graph outputs and constants are never released.
        let pinned = Set(graph.outputs.compactMap { slots[$0.name] } + constants.map(\.0))
        var lastUse = [Int: Int]()
        for (i, c) in compiled.enumerated() {
            for s in c.2.compactMap({ $0 }) { lastUse[s] = i }
            for s in c.3.compactMap({ $0 }) where lastUse[s] == nil { lastUse[s] = i }  // dead outputs die at once
        }
        var releases = [[Int]](repeating: [], count: compiled.count)
        for (s, i) in lastUse where !pinned.contains(s) { releases[i].append(s) }

        steps = compiled.enumerated().map { Step(node: $1.0, op: $1.1, inputs: $1.2, outputs: $1.3, releases: releases[$0]) }
        slotCount = slots.count
        inputSlots = inputs.map { (info: $0.0, slot: $0.1) }
        outputSlots = graph.outputs.map { (name: $0.name, slot: slots[$0.name]!) }
        constantSlots = constants.map { (slot: $0.0, tensor: $0.1) }
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
    public func run(_ feeds: [String: Tensor], observer: ((NodeEvent) -> Void)?) throws(EngineError) -> [String: Tensor] {
        for name in feeds.keys where !inputSlots.contains(where: { $0.info.name == name }) {
            throw .unknownInput(name: name, known: inputNames)
        }
        var values = [Tensor?](repeating: nil, count: slotCount)
        for (slot, tensor) in constantSlots { values[slot] = tensor }
        for (info, slot) in inputSlots {
            guard let t = feeds[info.name] else { throw .missingInput(name: info.name, expectedShape: info.shape) }
            guard t.dataType == info.dataType else { throw .inputType(name: info.name, expected: info.dataType, got: t.dataType) }
            guard info.accepts(t.shape) else { throw .inputShape(name: info.name, expected: info.shape, got: t.shape) }
            values[slot] = t
        }
        let context = ExecutionContext(threads: options.threads)
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
