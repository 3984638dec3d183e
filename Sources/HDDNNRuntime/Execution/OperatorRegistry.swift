/// The table from ONNX operator type to the factory that compiles a node of that type.
///
/// Built once; `compile` is where an unsupported operator is refused, with its type, node name
/// and opset, so that a model that loads is a model that runs.
public struct OperatorRegistry: Sendable {
    public typealias Factory = @Sendable (NodeContext) throws -> any Operator

    struct Entry: Sendable {
        /// First opset in which the operator exists in the default domain.
        let since: Int
        let factory: Factory
    }

    private var entries: [String: Entry] = [:]

    /// Registers (or replaces) the factory for `opType`.
    public mutating func register(_ opType: String, since: Int = 1, _ factory: @escaping Factory) {
        entries[opType] = Entry(since: since, factory: factory)
    }

    /// Operator types this registry can compile, sorted.
    public var supportedOperators: [String] { entries.keys.filter { !$0.contains(".") }.sorted() }

    /// Compiles one node, or refuses it.
    public func compile(_ ctx: NodeContext) throws(EngineError) -> any Operator {
        let node = ctx.node
        let key = node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : node.domain + "." + node.opType
        guard let entry = entries[key], ctx.opset >= entry.since else {
            throw .unsupportedOperator(opType: node.opType, domain: node.domain, node: node.name, opset: ctx.opset)
        }
        do {
            return try entry.factory(ctx)
        } catch let error as EngineError {
            throw .inNode(node: node.name, opType: node.opType, error)
        } catch {
            throw .inNode(node: node.name, opType: node.opType, .invalidGraph("\(error)"))
        }
    }

    /// The operators of the CNN classifiers PyTorch's exporter produces (see README, "Operators").
    public static let standard: OperatorRegistry = {
        var r = OperatorRegistry()
        r.register("Conv") { try ConvOperator($0, table: $0.kernels) }
        r.register(GraphOptimizer.fusedDomain + ".FusedConv") { try ConvOperator($0, table: $0.kernels) }
        r.register("BatchNormalization") { try BatchNormalizationOperator($0) }
        r.register("Relu") { _ in ActivationOperator(name: "Relu", activation: .relu) }
        r.register("LeakyRelu") { ActivationOperator(name: "LeakyRelu", activation: .leakyRelu(alpha: try $0.float("alpha", default: 0.01))) }
        r.register("Sigmoid") { _ in ActivationOperator(name: "Sigmoid", activation: .sigmoid) }
        r.register("Tanh") { _ in ActivationOperator(name: "Tanh", activation: .tanh) }
        r.register("HardSigmoid") {
            ActivationOperator(name: "HardSigmoid", activation: .hardSigmoid(alpha: try $0.float("alpha", default: 0.2),
                                                                             beta: try $0.float("beta", default: 0.5)))
        }
        r.register("HardSwish", since: 14) { _ in ActivationOperator(name: "HardSwish", activation: .hardSwish) }
        r.register("Clip") { try ClipOperator($0) }
        r.register("Add") { _ in BinaryOperator(kind: .add) }
        r.register("Sub") { _ in BinaryOperator(kind: .sub) }
        r.register("Mul") { _ in BinaryOperator(kind: .mul) }
        r.register("Div") { _ in BinaryOperator(kind: .div) }
        r.register("MaxPool") { try PoolOperator($0, max: true) }
        r.register("AveragePool") { try PoolOperator($0, max: false) }
        r.register("GlobalAveragePool") { _ in GlobalPoolOperator(isMax: false) }
        r.register("GlobalMaxPool") { _ in GlobalPoolOperator(isMax: true) }
        r.register("Flatten") { try FlattenOperator($0) }
        r.register("Reshape", since: 5) { try ReshapeOperator($0) }
        r.register("Transpose") { try TransposeOperator($0) }
        r.register("Concat") { try ConcatOperator($0) }
        r.register("Gemm") { try GemmOperator($0) }
        r.register("MatMul") { _ in MatMulOperator() }
        r.register("Softmax") { try SoftmaxOperator($0, log: false) }
        r.register("LogSoftmax") { try SoftmaxOperator($0, log: true) }
        r.register("Identity") { _ in IdentityOperator() }
        r.register("Dropout") { ctx in
            try ctx.require(!ctx.hasOutput(1), "mask", "the mask output is a training feature and is not supported")
            return IdentityOperator()
        }
        r.register("Constant") { try ConstantOperator($0) }
        r.register("Shape") { try ShapeOperator($0) }
        r.register("Gather") { try GatherOperator($0) }
        r.register("Unsqueeze") { try SqueezeOperator($0, squeeze: false) }
        r.register("Squeeze") { try SqueezeOperator($0, squeeze: true) }
        r.register("Slice") { try SliceOperator($0) }
        r.register("Pad") { try PadOperator($0) }
        r.register("ReduceMean") { try ReduceMeanOperator($0) }
        r.register("Cast") { try CastOperator($0) }
        return r
    }()
}
