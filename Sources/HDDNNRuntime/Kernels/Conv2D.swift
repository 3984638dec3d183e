import HDDNNKernels

/// 2-D convolution over NCHW float tensors, with groups, dilations, strides and padding.
///
/// Two paths, chosen when the plan is made (`Conv2DKernel.init`), and a third chosen per run:
/// - **depthwise**: one input and one output channel per group: a direct sliding-window loop,
///   since a GEMM with k = 9 wastes most of its time packing;
/// - **gemm**: everything else, as one packed GEMM per group over *all images of the batch*
///   (N = batch x OH x OW), with the im2col matrix never built: the GEMM packs its B blocks
///   straight from the input (`hddnn_gemm_b` kind 1). Batching the columns turns the late
///   layers of ResNet-34 at 32x32 input (spatial 2x2 or 1x1) from matrix-vector products that
///   stream every weight per image into real matrix products. Weights are packed once here.
/// - **Winograd F(4x4, 3x3)**: a gemm-path convolution that is 3x3, stride 1, with at least 16
///   channels in and out, runs as 36 GEMMs over transformed 6x6 tiles (4x fewer multiply-adds)
///   whenever a run has enough tiles to fill them (`usesWinograd(batch:threads:)`); its transformed
///   weights are derived per run from the packed ones, so it costs no resident memory.
/// Bias, a residual tensor and a ReLU/Clip/LeakyReLU are applied as the GEMM stores its tiles.
/// `reference(...)` keeps the plain seven-loop definition that both paths are tested against.
public struct Conv2DKernel: Sendable {
    public enum Path: String, Sendable { case gemm, depthwise }

    public let inChannels: Int
    public let outChannels: Int
    public let groups: Int
    public private(set) var geometry: WindowGeometry
    public let path: Path
    /// Weights laid out `[outChannels][inChannels/groups][kH][kW]`, the ONNX layout (kept for the
    /// depthwise path).
    public let weights: [Float]
    public let bias: [Float]?
    public private(set) var activation: Activation
    /// Per group, the weights packed as the GEMM's left operand (gemm path).
    private(set) var packed: [PackedMatrix]
    /// Whether runs may take Winograd F(4x4, 3x3) where it applies (`SessionOptions.winograd`).
    public let winograd: Bool
    /// The instruction set of the kernels this convolution calls.
    let table: KernelTable

    /// Whether Winograd F(4x4, 3x3) can compute this convolution: 3x3, stride 1, no dilation, no groups.
    public static func winogradApplies(groups: Int, geometry g: WindowGeometry) -> Bool {
        groups == 1 && g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1
    }

    public init(inChannels: Int, outChannels: Int, groups: Int, geometry: WindowGeometry,
                weights: [Float], bias: [Float]?, activation: Activation = .identity, table: KernelTable = .detected,
                winograd: Bool = true) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.groups = groups
        self.geometry = geometry
        self.bias = bias
        self.activation = activation
        self.table = table
        self.winograd = winograd
        if groups == inChannels, groups == outChannels, !(geometry.kernelH == 1 && geometry.kernelW == 1) {
            path = .depthwise
            self.weights = weights
            packed = []
        } else {
            path = .gemm
            self.weights = []
            let mg = outChannels / groups
            let k = inChannels / groups * geometry.kernelH * geometry.kernelW
            packed = weights.isEmpty ? [] : weights.withUnsafeBufferPointer { w in
                (0..<groups).map { g in PackedMatrix(table: table, rows: mg, columns: k, values: w.baseAddress! + g * mg * k, stride: k) }
            }
        }
    }

    /// Tiles each worker needs before Winograd beats the im2col GEMM: one full 32-column panel of
    /// its GEMMs. Measured on cloud-wrn at batch 1, one thread: 28x28 outputs (49 tiles) 0.78 ->
    /// 0.58 ms per layer, 14x14 (16 tiles) 0.82 -> 0.88 ms (`hddnn bench --profile`, with and
    /// without --no-winograd).
    static let winogradMinTilesPerWorker = 32

    /// Whether a run of `batch` images on `threads` threads takes Winograd F(4x4, 3x3): outputs
    /// of at least 4x4 (a smaller one would waste most of each tile) and enough tiles for every
    /// worker (otherwise the im2col GEMM, which splits finer, keeps all threads busy).
    public func usesWinograd(batch: Int, threads: Int) -> Bool {
        let g = geometry
        guard winograd, path == .gemm, Self.winogradApplies(groups: groups, geometry: g),
              inChannels >= 16, outChannels >= 16, g.outH >= 4, g.outW >= 4,
              packed.first?.columns == inChannels * 9 else { return false }  // not trimmed
        return batch * ((g.outH + 3) / 4) * ((g.outW + 3) / 4) >= Self.winogradMinTilesPerWorker * max(1, threads)
    }

    /// The same packed weights applied to another input size.
    public func with(geometry: WindowGeometry) -> Conv2DKernel {
        var k = self
        k.geometry = geometry
        return k
    }

    /// Kernel rows and columns that read real input for at least one output position.
    static func usefulTaps(_ g: WindowGeometry) -> (rows: ClosedRange<Int>, columns: ClosedRange<Int>)? {
        func useful(_ k: Int, out: Int, stride: Int, pad: Int, dilation: Int, input: Int) -> Bool {
            (0..<out).contains { o in (0..<input).contains(o * stride - pad + k * dilation) }
        }
        let rows = (0..<g.kernelH).filter { useful($0, out: g.outH, stride: g.strideH, pad: g.padTop, dilation: g.dilationH, input: g.inH) }
        let cols = (0..<g.kernelW).filter { useful($0, out: g.outW, stride: g.strideW, pad: g.padLeft, dilation: g.dilationW, input: g.inW) }
        guard let r0 = rows.first, let r1 = rows.last, let c0 = cols.first, let c1 = cols.last else { return nil }
        return (r0...r1, c0...c1)
    }

    /// For a GEMM convolution whose input is so small that some kernel taps only ever read
    /// padding (a 3x3, pad-1 convolution on a 1x1 input reads only its centre), the same
    /// convolution with those taps removed: the same output, up to 9x less work and weight traffic.
    /// Returns `self` when every tap is useful.
    public func trimmed() -> Conv2DKernel {
        let g = geometry
        guard path == .gemm, g.kernelH * g.kernelW > 1, let (rows, cols) = Self.usefulTaps(g),
              rows.count < g.kernelH || cols.count < g.kernelW else { return self }
        var t = WindowGeometry(inH: g.inH, inW: g.inW, kernelH: rows.count, kernelW: cols.count,
                               strideH: g.strideH, strideW: g.strideW, dilationH: g.dilationH, dilationW: g.dilationW,
                               padTop: g.padTop - rows.lowerBound * g.dilationH, padLeft: g.padLeft - cols.lowerBound * g.dilationW,
                               padBottom: 0, padRight: 0)
        t.outH = g.outH
        t.outW = g.outW
        let cg = inChannels / groups
        var keep = [Int]()
        for c in 0..<cg { for kh in rows { for kw in cols { keep.append((c * g.kernelH + kh) * g.kernelW + kw) } } }
        var k = self
        k.geometry = t
        k.packed = packed.map { $0.selectingColumns(keep) }
        return k
    }

    /// Output planes of at most this many pixels may run as one dense matrix product (`densified`).
    static let densePlaneMaxPixels = 4

    /// Whether this kernel's geometry could take the dense form: a cheap test callers make before
    /// looking the dense form up.
    public var mayDensify: Bool {
        path == .gemm && groups == 1 && geometry.outH * geometry.outW <= Self.densePlaneMaxPixels
    }

    /// For a GEMM convolution whose output plane has at most `densePlaneMaxPixels` pixels (ResNet-34's
    /// 2x2 stage at 32x32 input), the same convolution as a pointwise one over 1x1 planes: input
    /// channel (c, input pixel) to output channel (m, output pixel), with the kernel tap that links
    /// the two pixels as the weight (zero where none does); run on the same buffers with batch
    /// unchanged, since NCHW memory is the same either way. A 3x3, pad-1 convolution on a 2x2
    /// plane then does its 16 useful multiply-adds per channel pair instead of the im2col's 36,
    /// and packs its operand as contiguous columns instead of runs of two pixels; the weights grow
    /// by the same 16/9, so this pays only when a batch shares them (`ConvOperator` uses it from
    /// batch 8). Returns nil when it does not apply (`mayDensify`), or when the input plane has
    /// more pixels than the kernel has taps (the dense form would then do more work).
    public func densified() -> Conv2DKernel? {
        let g = geometry
        guard mayDensify, let packedWeights = packed.first else { return nil }
        let taps = g.kernelH * g.kernelW, inPlane = g.inH * g.inW, outPlane = g.outH * g.outW
        // Not when it would do more multiply-adds than the im2col (strided layers from 4x4 planes).
        guard packedWeights.columns == inChannels * taps, inPlane <= taps else { return nil }
        let raw = packedWeights.unpacked()  // M x (C x taps), taps possibly trimmed
        let rows = outChannels * outPlane, columns = inChannels * inPlane
        var dense = [Float](repeating: 0, count: rows * columns)
        for oh in 0..<g.outH {
            for ow in 0..<g.outW {
                for kh in 0..<g.kernelH {
                    let ih = oh * g.strideH - g.padTop + kh * g.dilationH
                    guard (0..<g.inH).contains(ih) else { continue }
                    for kw in 0..<g.kernelW {
                        let iw = ow * g.strideW - g.padLeft + kw * g.dilationW
                        guard (0..<g.inW).contains(iw) else { continue }
                        let tap = kh * g.kernelW + kw, p = ih * g.inW + iw, q = oh * g.outW + ow
                        for m in 0..<outChannels {
                            for c in 0..<inChannels {
                                dense[(m * outPlane + q) * columns + c * inPlane + p] += raw[m * inChannels * taps + c * taps + tap]
                            }
                        }
                    }
                }
            }
        }
        let denseBias = bias.map { b in (0..<rows).map { b[$0 / outPlane] } }
        return Conv2DKernel(inChannels: columns, outChannels: rows, groups: 1, geometry: WindowGeometry(inH: 1, inW: 1, kernelH: 1, kernelW: 1),
                            weights: dense, bias: denseBias, activation: activation, table: table, winograd: false)
    }

    /// The same kernel with another activation.
    public func with(activation: Activation) -> Conv2DKernel {
        var k = self
        k.activation = activation
        return k
    }

    /// The activation as the GEMM epilogue can apply it, or nil when it must run separately.
    var epilogue: (hddnn_activation, Float, Float)? {
        switch activation {
        case .identity: (HDDNN_ACT_NONE, 0, 0)
        case .relu: (HDDNN_ACT_RELU, 0, 0)
        case .clip(let lo, let hi): (HDDNN_ACT_CLIP, lo, hi)
        case .leakyRelu(let alpha): (HDDNN_ACT_LEAKY_RELU, alpha, 0)
        default: nil
        }
    }

    /// Convolves `batch` images from `input` into `output` (both NCHW, contiguous), adding
    /// `residual` (laid out like `output`) before the activation when given.
    public func run(batch: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                    residual: UnsafePointer<Float>? = nil, context: ExecutionContext) {
        let g = geometry
        let inPlane = g.inH * g.inW
        let outPlane = g.outH * g.outW
        switch path {
        case .depthwise:
            let planes = batch * outChannels
            let (act, lo, hi) = epilogue ?? (HDDNN_ACT_NONE, 0, 0)
            let scratchCount = Int(hddnn_depthwise_scratch_count(Int32(g.inH), Int32(g.inW), Int32(g.padTop), Int32(g.padLeft),
                                                                 Int32(g.padBottom), Int32(g.padRight)))
            let workers = min(context.threads, max(1, planes * outPlane * g.kernelH * g.kernelW / 250_000))
            let pointers = UnsafeSendable((input, output, residual))
            weights.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointerOrNil { b in
                    let constants = UnsafeSendable((w.baseAddress!, b))
                    context.parallelFor(workers) { worker in
                        let (input, output, residual) = pointers.pointer
                        let (w, b) = constants.pointer
                        withUnsafeTemporaryAllocation(of: Float.self, capacity: scratchCount) { scratch in
                            hddnn_depthwise(table.isa, input, Int32(planes * worker / workers), Int32(planes * (worker + 1) / workers),
                                            Int32(outChannels), Int32(g.inH), Int32(g.inW), w, Int32(g.kernelH), Int32(g.kernelW),
                                            Int32(g.strideH), Int32(g.strideW), Int32(g.dilationH), Int32(g.dilationW),
                                            Int32(g.padTop), Int32(g.padLeft), Int32(g.padBottom), Int32(g.padRight),
                                            Int32(g.outH), Int32(g.outW), b, residual, Int32(act.rawValue), lo, hi,
                                            output, scratch.baseAddress!)
                        }
                    }
                }
            }
            if epilogue == nil { activation.apply(output, count: planes * outPlane) }
        case .gemm where usesWinograd(batch: batch, threads: context.threads):
            runWinograd(batch: batch, input: input, output: output, residual: residual, context: context)
        case .gemm:
            let cg = inChannels / groups, mg = outChannels / groups
            let (act, lo, hi) = epilogue ?? (HDDNN_ACT_NONE, 0, 0)
            bias.withUnsafeBufferPointerOrNil { biasPointer in
                for grp in 0..<groups {
                    var b = hddnn_gemm_b()
                    b.kind = 1
                    b.data = input + grp * cg * inPlane
                    b.channels = Int32(cg); b.height = Int32(g.inH); b.width = Int32(g.inW)
                    b.kernel_h = Int32(g.kernelH); b.kernel_w = Int32(g.kernelW)
                    b.stride_h = Int32(g.strideH); b.stride_w = Int32(g.strideW)
                    b.dilation_h = Int32(g.dilationH); b.dilation_w = Int32(g.dilationW)
                    b.pad_top = Int32(g.padTop); b.pad_left = Int32(g.padLeft)
                    b.out_h = Int32(g.outH); b.out_w = Int32(g.outW)
                    b.image_stride = inChannels * inPlane
                    var c = hddnn_gemm_c()
                    c.data = output + grp * mg * outPlane
                    c.ldc = Int32(outPlane)
                    c.cols_per_image = Int32(outPlane)
                    c.image_stride = outChannels * outPlane
                    c.bias = biasPointer.map { UnsafePointer($0 + grp * mg) }
                    c.residual = residual.map { $0 + grp * mg * outPlane }
                    c.activation = Int32(act.rawValue)
                    c.lo = lo; c.hi = hi
                    packed[grp].multiply(n: batch * outPlane, b: b, c: c, context: context)
                }
            }
            if epilogue == nil { activation.apply(output, count: batch * outChannels * outPlane) }
        }
    }

    /// Winograd F(4x4, 3x3) (winograd.c). Tiles are processed in chunks whose 36 transformed
    /// input matrices stay within a few MiB; workers take whole chunks. Within a chunk, output
    /// channels go in blocks: the block's 36 weight matrices are derived from the packed weights,
    /// multiplied by the chunk's (36 single-threaded GEMMs) and transformed back to the output.
    private func runWinograd(batch: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                             residual: UnsafePointer<Float>?, context: ExecutionContext) {
        let g = geometry, isa = table.isa, mr = table.mr, nr = table.nr
        let c = inChannels, m = outChannels, xis = Int(HDDNN_WINOGRAD_MATRICES)
        let tilesH = (g.outH + 3) / 4, tilesW = (g.outW + 3) / 4
        let tiles = batch * tilesH * tilesW
        let workers = max(1, min(context.threads, tiles / Self.winogradMinTilesPerWorker))
        // V (36 x C x chunk) within 2 MiB, so that it and the chunk's products stay in L2 between
        // the transforms and the GEMMs (8 MiB left the output transform waiting on memory), but
        // at least one 32-column panel; chunks a multiple of the workers so none waits on another.
        let chunkLimit = max(32, (1 << 19) / (xis * c))
        var chunks = (tiles + chunkLimit - 1) / chunkLimit
        chunks = (chunks + workers - 1) / workers * workers
        let chunk = ((tiles + chunks - 1) / chunks + 15) / 16 * 16
        chunks = (tiles + chunk - 1) / chunk
        // U: when a worker takes several chunks and all 36 matrices fit in 64 MiB (WRN-28-10's
        // 640-channel layers: 59 MiB), derived once per run and shared (read-only); otherwise per
        // chunk, in blocks of output channels within 4 MiB.
        let panels = (m + mr - 1) / mr
        let sharedU = chunks > workers && xis * panels * mr * c <= 1 << 24
            ? UnsafeMutablePointer<Float>.allocate(capacity: xis * panels * mr * c) : nil
        defer { sharedU?.deallocate() }
        let blockPanels = sharedU != nil ? panels : max(1, min(panels, (1 << 20) / (xis * mr * c)))
        let (act, lo, hi) = epilogue ?? (HDDNN_ACT_NONE, 0, 0)
        let pointers = UnsafeSendable((input, output, residual))
        let workspaceCount = Int(hddnn_gemm_workspace_count(isa))
        bias.withUnsafeBufferPointerOrNil { biasPointer in
            packed[0].storage.withUnsafeBufferPointer { a in
                if let sharedU { hddnn_winograd_weights(isa, a.baseAddress!, Int32(c), 0, Int32(panels), sharedU) }
                let constants = UnsafeSendable((biasPointer, a.baseAddress!, sharedU))
                context.parallelFor(workers) { worker in
                    let (input, output, residual) = pointers.pointer
                    let (bias, packedA, sharedU) = constants.pointer
                    let vCount = hddnn_winograd_input_count(isa, Int32(c), Int32(chunk))
                    let uCount = sharedU == nil ? xis * blockPanels * mr * c : 0
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: vCount + uCount + xis * blockPanels * mr * chunk + workspaceCount)
                    defer { scratch.deallocate() }
                    let v = scratch, mm = v + vCount + uCount
                    let u = sharedU ?? (v + vCount)
                    let workspace = mm + xis * blockPanels * mr * chunk
                    var index = worker
                    while index < chunks {
                        let start = index * chunk, count = min(chunk, tiles - start)
                        let paddedCount = (count + nr - 1) / nr * nr
                        hddnn_winograd_input(isa, input, Int32(c), Int32(g.inH), Int32(g.inW), c * g.inH * g.inW,
                                             Int32(g.padTop), Int32(g.padLeft), Int32(tilesH), Int32(tilesW), start, Int32(count), v)
                        for p0 in stride(from: 0, to: panels, by: blockPanels) {
                            let p1 = min(panels, p0 + blockPanels), rows = min(m, p1 * mr) - p0 * mr
                            if sharedU == nil { hddnn_winograd_weights(isa, packedA, Int32(c), Int32(p0), Int32(p1), u) }
                            for xi in 0..<xis {
                                var b = hddnn_gemm_b()
                                b.kind = 2
                                b.panel_width = Int32(nr)
                                b.data = UnsafePointer(v + xi * c * paddedCount)
                                b.ldb = Int32(c)
                                var cc = hddnn_gemm_c()
                                cc.data = mm + xi * rows * count
                                cc.ldc = Int32(count)
                                cc.cols_per_image = Int32(count)
                                hddnn_gemm(isa, Int32(rows), Int32(count), Int32(c), u + xi * (p1 - p0) * c * mr, &b, &cc,
                                           0, Int32(rows), 0, Int32(count), workspace)
                            }
                            hddnn_winograd_output(isa, mm, Int32(rows), Int32(p0 * mr), Int32(m), Int32(g.outH), Int32(g.outW),
                                                  Int32(tilesH), Int32(tilesW), start, Int32(count), output,
                                                  bias, residual, Int32(act.rawValue), lo, hi)
                        }
                        index += workers
                    }
                }
            }
        }
        if epilogue == nil { activation.apply(output, count: batch * outChannels * g.outH * g.outW) }
    }

    /// The definition, loop for loop: the yardstick for every fast path.
    public static func reference(batch: Int, inChannels: Int, outChannels: Int, groups: Int, geometry g: WindowGeometry,
                                 input: [Float], weights: [Float], bias: [Float]?) -> [Float] {
        let cg = inChannels / groups, mg = outChannels / groups
        var out = [Float](repeating: 0, count: batch * outChannels * g.outH * g.outW)
        for n in 0..<batch {
            for m in 0..<outChannels {
                let grp = m / mg
                for oh in 0..<g.outH {
                    for ow in 0..<g.outW {
                        var acc: Float = bias?[m] ?? 0
                        for c in 0..<cg {
                            for kh in 0..<g.kernelH {
                                for kw in 0..<g.kernelW {
                                    let ih = oh * g.strideH - g.padTop + kh * g.dilationH
                                    let iw = ow * g.strideW - g.padLeft + kw * g.dilationW
                                    if ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW { continue }
                                    let x = input[((n * inChannels + grp * cg + c) * g.inH + ih) * g.inW + iw]
                                    let w = weights[((m * cg + c) * g.kernelH + kh) * g.kernelW + kw]
                                    acc += x * w
                                }
                            }
                        }
                        out[((n * outChannels + m) * g.outH + oh) * g.outW + ow] = acc
                    }
                }
            }
        }
        return out
    }
}

extension Optional where Wrapped == [Float] {
    /// The array's base address, or nil.
    func withUnsafeBufferPointerOrNil<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let self else { return body(nil) }
        return self.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}

/// A raw pointer handed to `parallelFor` workers that write disjoint ranges.
@usableFromInline
struct UnsafeSendable<P>: @unchecked Sendable {
    @usableFromInline let pointer: P
    @usableFromInline init(_ pointer: P) { self.pointer = pointer }
}
