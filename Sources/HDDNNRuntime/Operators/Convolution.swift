/// ONNX `Conv` (opset 1, 11): grouped, depthwise, dilated, strided, padded, 1-D and 2-D.
struct ConvOperator: Operator {
    let window: WindowAttributes
    let groups: Int
    let activation: Activation

    init(_ ctx: NodeContext, activation: Activation = .identity) throws(EngineError) {
        window = try WindowAttributes(ctx, allowsCeilMode: false)
        groups = try ctx.int("group", default: 1)
        try ctx.require(groups >= 1, "group", "must be at least 1, got \(groups)")
        if let w = ctx.constantInput(1) {
            try ctx.require(w.rank == 3 || w.rank == 4, "kernel_shape", "only 1-D and 2-D convolutions are supported; weight has rank \(w.rank)")
        }
        self.activation = activation
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, "Conv").requireFloat("Conv")
        let w = try inputs.required(1, "Conv").requireFloat("Conv")
        let bias = try inputs.optional(2)?.requireFloat("Conv")
        let kernel = try self.kernel(x: x.shape, weights: w, bias: bias)
        let batch = x.shape[0]
        var outShape = [batch, kernel.outChannels]
        outShape += kernel.geometry.outputSpatial(rank: x.rank - 2)
        var out = [Float](repeating: 0, count: Shape.count(outShape))
        x.withFloats { xp in
            out.withUnsafeMutableBufferPointer { op in
                kernel.run(batch: batch, input: xp.baseAddress!, output: op.baseAddress!, context: context)
            }
        }
        return [Tensor(shape: outShape, floats: out)]
    }

    /// Checks the operand shapes and resolves the kernel for them.
    func kernel(x: [Int], weights: Tensor, bias: Tensor?) throws(EngineError) -> Conv2DKernel {
        let w = weights.shape
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
        if let bias, bias.shape != [outChannels] {
            throw .shapeMismatch(op: "Conv", reason: "bias has shape \(bias.shape), expected [\(outChannels)]")
        }
        let g = try window.geometry(op: "Conv", spatial: Array(x[2...]), kernel: kernelShape)
        guard g.outH > 0, g.outW > 0 else {
            throw .shapeMismatch(op: "Conv", reason: "input \(x) is smaller than the kernel window \(g)")
        }
        return Conv2DKernel(inChannels: inChannels, outChannels: outChannels, groups: groups, geometry: g,
                            weights: weights.floats, bias: bias?.floats, activation: activation)
    }

    func macs(inputShapes: [[Int]?], outputShapes: [[Int]]) -> Int {
        guard let w = inputShapes[1], let out = outputShapes.first else { return 0 }
        return Shape.count(out) * Shape.count(Array(w[1...]))
    }
}
