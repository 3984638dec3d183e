/// ONNX `Conv` (opset 1, 11): grouped, depthwise, dilated, strided, padded, 1-D and 2-D; and the
/// optimizer's `hddnn.FusedConv`, which adds a residual input (#3) and an activation epilogue.
///
/// Constant weights are packed for the GEMM once, here at load; the session then never
/// materialises the raw weight tensor again (`prepackedInputs`).
struct ConvOperator: Operator {
    let window: WindowAttributes
    let groups: Int
    let activation: Activation
    let table: KernelTable
    /// The kernel with constant weights already packed; its geometry is replaced per input size.
    let prepared: Conv2DKernel?
    let weightShape: [Int]?
    /// Trimmed kernels by input geometry (see `Conv2DKernel.trimmed`), made on first use.
    let trimmedCache = KernelCache()
    /// Dense forms for small output planes by input geometry (`Conv2DKernel.densified`), made on
    /// first use by a batch of at least `denseMinBatch`: below it, the larger weights cost more
    /// to stream than the skipped zeros save.
    let denseCache = KernelCache()
    static let denseMinBatch = 8

    init(_ ctx: NodeContext, table: KernelTable = .detected) throws(EngineError) {
        window = try WindowAttributes(ctx, allowsCeilMode: false)
        groups = try ctx.int("group", default: 1)
        try ctx.require(groups >= 1, "group", "must be at least 1, got \(groups)")
        activation = try Self.activation(ctx)
        self.table = table
        if let w = ctx.constantInput(1), w.dataType == .float32, w.rank == 3 || w.rank == 4,
           ctx.constantInput(2) != nil || !ctx.hasInput(2) {
            let bias = ctx.constantInput(2)
            try ctx.require(w.shape[0] % groups == 0, "group", "weight \(w.shape) has output channels not divisible by group=\(groups)")
            let spatial = Array(w.shape[2...])
            let two = spatial.count == 2
            let strides = window.strides ?? [1, 1], dilations = window.dilations ?? [1, 1]
            let geometry = WindowGeometry(inH: 1, inW: 1, kernelH: two ? spatial[0] : 1, kernelW: spatial.last!,
                                          strideH: two ? strides[0] : 1, strideW: strides.last!,
                                          dilationH: two ? dilations[0] : 1, dilationW: dilations.last!)
            prepared = Conv2DKernel(inChannels: w.shape[1] * groups, outChannels: w.shape[0], groups: groups, geometry: geometry,
                                    weights: w.floats, bias: bias?.floats, activation: activation, table: table, winograd: ctx.winograd)
            weightShape = w.shape
        } else {
            if let w = ctx.constantInput(1) {
                try ctx.require(w.rank == 3 || w.rank == 4, "kernel_shape", "only 1-D and 2-D convolutions are supported; weight has rank \(w.rank)")
            }
            prepared = nil
            weightShape = nil
        }
    }

    /// The fused activation of an `hddnn.FusedConv` node (identity for a plain `Conv`).
    static func activation(_ ctx: NodeContext) throws(EngineError) -> Activation {
        switch try ctx.string("activation", default: "") {
        case "": return .identity
        case "relu": return .relu
        case "leaky_relu": return .leakyRelu(alpha: try ctx.float("activation_alpha", default: 0.01))
        case "clip": return .clip(min: try ctx.float("clip_min", default: -.greatestFiniteMagnitude),
                                  max: try ctx.float("clip_max", default: .greatestFiniteMagnitude))
        case let other: throw .invalidAttribute(op: ctx.opType, name: "activation", reason: "unknown activation '\(other)'")
        }
    }

    func prepackedInputs() -> Set<Int> { prepared == nil ? [] : [1, 2] }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, "Conv").requireFloat("Conv")
        let residual = try inputs.optional(3)?.requireFloat("Conv")
        let kernel: Conv2DKernel
        if let prepared, let weightShape {
            kernel = try self.kernel(x: x.shape, weightShape: weightShape, biasShape: prepared.bias.map { [$0.count] }) { g in
                trimmedCache.kernel(for: g) { prepared.with(geometry: g).trimmed() }
            }
        } else {
            let w = try inputs.required(1, "Conv").requireFloat("Conv")
            let bias = try inputs.optional(2)?.requireFloat("Conv")
            kernel = try self.kernel(x: x.shape, weightShape: w.shape, biasShape: bias?.shape) { g in
                Conv2DKernel(inChannels: x.shape[1], outChannels: w.shape[0], groups: groups, geometry: g,
                             weights: w.floats, bias: bias?.floats, activation: activation, table: table)
            }
        }
        let batch = x.shape[0]
        let outShape = [batch, kernel.outChannels] + kernel.geometry.outputSpatial(rank: x.rank - 2)
        let count = Shape.count(outShape)
        // A residual of another shape (broadcast) is added after, not in the epilogue.
        let fusedResidual = residual.flatMap { $0.shape == outShape ? $0 : nil }
        var runKernel = residual != nil && fusedResidual == nil ? kernel.with(activation: .identity) : kernel
        if prepared != nil, batch >= Self.denseMinBatch, kernel.mayDensify,
           let dense = denseCache.kernelIfApplicable(for: kernel.geometry, make: { kernel.densified() }) {
            runKernel = dense.with(activation: runKernel.activation)
        }
        var out = [Float](unsafeUninitializedCapacity: count) { buffer, n in
            x.withFloats { xp in
                if let fusedResidual {
                    fusedResidual.withFloats { rp in
                        runKernel.run(batch: batch, input: xp.baseAddress!, output: buffer.baseAddress!, residual: rp.baseAddress!, context: context)
                    }
                } else {
                    runKernel.run(batch: batch, input: xp.baseAddress!, output: buffer.baseAddress!, context: context)
                }
            }
            n = count
        }
        if let residual, fusedResidual == nil {
            let shape = try Shape.broadcast(outShape, residual.shape, op: "Conv")
            guard shape == outShape else {
                throw EngineError.shapeMismatch(op: "Conv", reason: "residual \(residual.shape) does not broadcast to \(outShape)")
            }
            out = broadcastBinary(out, outShape, residual.floats, residual.shape, outShape: outShape, +)
            out.withUnsafeMutableBufferPointer { activation.apply($0.baseAddress!, count: $0.count) }
        }
        return [Tensor(shape: outShape, floats: out)]
    }

    /// Checks the operand shapes and resolves the kernel for them.
    func kernel(x: [Int], weightShape w: [Int], biasShape: [Int]?, make: (WindowGeometry) -> Conv2DKernel) throws(EngineError) -> Conv2DKernel {
        guard x.count == w.count, x.count == 3 || x.count == 4 else {
            throw .shapeMismatch(op: "Conv", reason: "input \(x) and weight \(w) must both be rank 3 (1-D) or 4 (2-D)")
        }
        let inChannels = x[1], outChannels = w[0]
        guard inChannels % groups == 0, outChannels % groups == 0, w[1] * groups == inChannels else {
            throw .shapeMismatch(op: "Conv", reason: "input has \(inChannels) channels, weight \(w) with group=\(groups) expects \(w[1] * groups)")
        }
        let kernelShape = Array(w[2...])
        if let ks = window.kernelShape, ks != kernelShape {
            throw .shapeMismatch(op: "Conv", reason: "kernel_shape \(ks) disagrees with weight shape \(w)")
        }
        if let biasShape, biasShape != [outChannels] {
            throw .shapeMismatch(op: "Conv", reason: "bias has shape \(biasShape), expected [\(outChannels)]")
        }
        let g = try window.geometry(op: "Conv", spatial: Array(x[2...]), kernel: kernelShape)
        guard g.outH > 0, g.outW > 0 else {
            throw .shapeMismatch(op: "Conv", reason: "input \(x) is smaller than the kernel window \(g)")
        }
        return make(g)
    }

    func macs(inputShapes: [[Int]?], outputShapes: [[Int]]) -> Int {
        guard let w = inputShapes[1] ?? weightShape, let out = outputShapes.first else { return 0 }
        return Shape.count(out) * Shape.count(Array(w[1...]))
    }
}

import Synchronization

/// Kernels specialised to an input size (trimmed taps, dense small planes), built once per size
/// and shared by concurrent runs (nil, when a form does not apply to that size, is remembered too).
final class KernelCache: Sendable {
    private let kernels = Mutex<[WindowGeometry: Conv2DKernel?]>([:])

    func kernelIfApplicable(for geometry: WindowGeometry, make: () -> Conv2DKernel?) -> Conv2DKernel? {
        if let k = kernels.withLock({ $0[geometry] }) { return k }
        let k = make()
        kernels.withLock { $0[geometry] = .some(k) }
        return k
    }

    func kernel(for geometry: WindowGeometry, make: () -> Conv2DKernel) -> Conv2DKernel {
        kernelIfApplicable(for: geometry, make: { Optional(make()) })!
    }
}
