import HDDNNKernels

/// A run of depthwise and pointwise convolutions (MobileNet's depthwise-separable blocks)
/// computed channels-last: reordered to NHWC once on entry, each layer vectorised over
/// channels with its bias and activation applied as it stores, and reordered back to NCHW on exit
/// (`nhwc.c`). The session builds it from consecutive compiled convolutions (`fusing(_:)`); it is
/// never a node of an ONNX file.
///
/// Why: in NCHW a depthwise convolution on MobileNet's 2x2 to 8x8 planes vectorises over a few
/// pixels only, and a pointwise convolution packs its operand and scatters its output for the
/// GEMM; in NHWC both are plain vector loops over channels (ONNX Runtime's MLAS gets the same
/// from its NCHWc layout).
struct SeparableChainOperator: Operator {
    struct Layer: Sendable {
        let name: String
        let depthwise: Bool
        let inChannels: Int
        let outChannels: Int
        let window: WindowAttributes
        let kernelH: Int
        let kernelW: Int
        /// Pointwise: packed by `hddnn_pointwise_pack`; depthwise: KH * KW rows of C (tap-major).
        let weights: [Float]
        let bias: [Float]?
        let activation: (hddnn_activation, Float, Float)
    }

    let layers: [Layer]
    let table: KernelTable

    /// The chain layer computing `conv`, or nil when `conv` is not a constant-weight pointwise
    /// (1x1, stride 1, no padding) or depthwise 2-D convolution with a fusable activation and no
    /// residual input.
    static func layer(_ conv: ConvOperator, node: Node) -> Layer? {
        guard let kernel = conv.prepared, let shape = conv.weightShape, shape.count == 4,
              node.inputs.count < 4 || node.inputs[3].isEmpty,
              let activation = kernel.epilogue, kernel.table == conv.table else { return nil }
        let (m, kh, kw) = (shape[0], shape[2], shape[3])
        switch kernel.path {
        case .depthwise:
            let c = kernel.inChannels
            var tapMajor = [Float](repeating: 0, count: kh * kw * c)
            for ch in 0..<c { for t in 0..<(kh * kw) { tapMajor[t * c + ch] = kernel.weights[ch * kh * kw + t] } }
            return Layer(name: node.name, depthwise: true, inChannels: c, outChannels: m, window: conv.window,
                         kernelH: kh, kernelW: kw, weights: tapMajor, bias: kernel.bias, activation: activation)
        case .gemm:
            // Pointwise only: the geometry must leave every pixel where it is, at any input size.
            guard conv.groups == 1, kh == 1, kw == 1, kernel.packed.count == 1,
                  let g = try? conv.window.geometry(op: "Conv", spatial: [7, 7], kernel: [1, 1]),
                  g.outH == 7, g.outW == 7, g.padTop == 0, g.padLeft == 0 else { return nil }
            let raw = kernel.packed[0].unpacked()
            let k = kernel.inChannels
            let count = Int(hddnn_pointwise_packed_count(conv.table.isa, Int32(m), Int32(k)))
            let packed = [Float](unsafeUninitializedCapacity: count) { out, n in
                raw.withUnsafeBufferPointer { hddnn_pointwise_pack(conv.table.isa, Int32(m), Int32(k), $0.baseAddress!, out.baseAddress!) }
                n = count
            }
            return Layer(name: node.name, depthwise: false, inChannels: k, outChannels: m, window: conv.window,
                         kernelH: 1, kernelW: 1, weights: packed, bias: kernel.bias, activation: activation)
        }
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, "SeparableChain").requireFloat("SeparableChain")
        guard x.rank == 4, x.shape[1] == layers[0].inChannels else {
            throw EngineError.shapeMismatch(op: "Conv", reason: "input \(x.shape) to '\(layers[0].name)' must be [N, \(layers[0].inChannels), H, W]")
        }
        let batch = x.shape[0]
        var (h, w) = (x.shape[2], x.shape[3])
        var current = x.withFloats { src in
            [Float](unsafeUninitializedCapacity: src.count) { out, n in
                hddnn_transpose_batch(src.baseAddress!, Int32(batch), Int32(layers[0].inChannels), Int32(h * w), out.baseAddress!)
                n = src.count
            }
        }
        for layer in layers {
            let g = try layer.window.geometry(op: "Conv", spatial: [h, w], kernel: [layer.kernelH, layer.kernelW])
            guard g.outH > 0, g.outW > 0 else {
                throw EngineError.inNode(node: layer.name, opType: "Conv",
                                         .shapeMismatch(op: "Conv", reason: "input \(h)x\(w) is smaller than the kernel window \(g)"))
            }
            let count = batch * g.outH * g.outW * layer.outChannels
            current = [Float](unsafeUninitializedCapacity: count) { out, n in
                run(layer, geometry: g, batch: batch, input: current, output: out.baseAddress!, context: context)
                n = count
            }
            (h, w) = (g.outH, g.outW)
        }
        let c = layers[layers.count - 1].outChannels
        let nchw = [Float](unsafeUninitializedCapacity: current.count) { out, n in
            current.withUnsafeBufferPointer { hddnn_transpose_batch($0.baseAddress!, Int32(batch), Int32(h * w), Int32(c), out.baseAddress!) }
            n = current.count
        }
        return [Tensor(shape: [batch, c, h, w], floats: nchw)]
    }

    /// One layer, its rows (depthwise: output rows; pointwise: pixels in blocks of 8) spread over
    /// workers once there is about a quarter of a million multiply-adds each.
    private func run(_ layer: Layer, geometry g: WindowGeometry, batch: Int, input: [Float],
                     output: UnsafeMutablePointer<Float>, context: ExecutionContext) {
        let isa = table.isa
        let (act, lo, hi) = layer.activation
        let work = batch * g.outH * g.outW * layer.outChannels * (layer.depthwise ? layer.kernelH * layer.kernelW : layer.inChannels)
        let units = layer.depthwise ? batch * g.outH : (batch * g.outH * g.outW + 7) / 8
        let workers = max(1, min(context.threads, units, work / 250_000))
        let out = UnsafeSendable(output)
        input.withUnsafeBufferPointer { inp in
            layer.weights.withUnsafeBufferPointer { wp in
                layer.bias.withUnsafeBufferPointerOrNil { bp in
                    let pointers = UnsafeSendable((inp.baseAddress!, wp.baseAddress!, bp))
                    context.parallelFor(workers) { worker in
                        let (inp, wp, bp) = pointers.pointer
                        let begin = units * worker / workers, end = units * (worker + 1) / workers
                        if layer.depthwise {
                            hddnn_depthwise_nhwc(isa, inp, Int32(g.inH), Int32(g.inW), Int32(layer.inChannels), wp,
                                                 Int32(g.kernelH), Int32(g.kernelW), Int32(g.strideH), Int32(g.strideW),
                                                 Int32(g.dilationH), Int32(g.dilationW), Int32(g.padTop), Int32(g.padLeft),
                                                 Int32(g.outH), Int32(g.outW), bp, Int32(act.rawValue), lo, hi,
                                                 out.pointer, Int32(begin), Int32(end))
                        } else {
                            let pixels = batch * g.outH * g.outW
                            hddnn_pointwise_nhwc(isa, Int32(layer.outChannels), Int32(layer.inChannels), inp, wp, bp,
                                                 Int32(act.rawValue), lo, hi, out.pointer, Int32(begin * 8), Int32(min(end * 8, pixels)))
                        }
                    }
                }
            }
        }
    }

    func macs(inputShapes: [[Int]?], outputShapes: [[Int]]) -> Int {
        guard let x = inputShapes.first ?? nil, x.count == 4 else { return 0 }
        var (h, w, total) = (x[2], x[3], 0)
        for layer in layers {
            guard let g = try? layer.window.geometry(op: "Conv", spatial: [h, w], kernel: [layer.kernelH, layer.kernelW]) else { return total }
            total += x[0] * g.outH * g.outW * layer.outChannels * (layer.depthwise ? layer.kernelH * layer.kernelW : layer.inChannels)
            (h, w) = (g.outH, g.outW)
        }
        return total
    }
}

extension InferenceSession {
    /// Replaces each maximal run of chainable convolutions (at least two, one of them depthwise)
    /// in which every convolution reads only the previous one's output, and nothing else reads
    /// that output, by one `SeparableChainOperator` step.
    static func fusingSeparableChains(_ steps: [Step], pinned: Set<Int>, table: KernelTable) -> [Step] {
        var readers = [Int: Int]()
        for s in steps { for slot in s.inputs.compactMap({ $0 }) { readers[slot, default: 0] += 1 } }
        func layer(_ s: Step) -> SeparableChainOperator.Layer? {
            (s.op as? ConvOperator).flatMap { SeparableChainOperator.layer($0, node: s.node) }
        }
        var fused = [Step]()
        var i = 0
        while i < steps.count {
            var chain = [(Step, SeparableChainOperator.Layer)]()
            var j = i
            while j < steps.count, let l = layer(steps[j]) {
                if let (last, lastLayer) = chain.last {
                    guard let slot = last.outputs.first ?? nil, steps[j].inputs.first == slot, readers[slot] == 1,
                          !pinned.contains(slot), lastLayer.outChannels == l.inChannels else { break }
                }
                chain.append((steps[j], l))
                j += 1
            }
            guard chain.count >= 2, chain.contains(where: { $0.1.depthwise }) else {
                fused.append(steps[i])
                i += 1
                continue
            }
            let first = chain[0].0, last = chain[chain.count - 1].0
            let node = Node(name: "\(first.node.name) .. \(last.node.name)", opType: "SeparableChain",
                            domain: GraphOptimizer.fusedDomain, inputs: [first.node.inputs[0]], outputs: [last.node.outputs[0]])
            let op = SeparableChainOperator(layers: chain.map(\.1), table: table)
            fused.append(Step(node: node, op: op, inputs: [first.inputs[0]], outputs: [last.outputs[0]]))
            i = j
        }
        return fused
    }
}
