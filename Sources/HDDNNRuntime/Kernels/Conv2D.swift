/// 2-D convolution over NCHW float tensors, with groups, dilations, strides and padding.
///
/// Three paths, chosen per layer when the plan is made (`Conv2DKernel.init`):
/// - **pointwise**: 1x1, stride 1, no padding: the input plane *is* the GEMM operand, no copy;
/// - **depthwise**: one input and one output channel per group: a direct sliding-window loop,
///   since a GEMM with k = 9 wastes most of its time packing;
/// - **im2col + GEMM**: everything else, one `sgemm` per image and group.
/// `reference(...)` keeps the plain seven-loop definition that the fast paths are tested against.
public struct Conv2DKernel: Sendable {
    public enum Path: String, Sendable { case pointwise, depthwise, im2col }

    public let inChannels: Int
    public let outChannels: Int
    public let groups: Int
    public let geometry: WindowGeometry
    public let path: Path
    /// Weights laid out `[outChannels][inChannels/groups][kH][kW]`, the ONNX layout, which is
    /// already the row-major `A` operand of the per-group GEMM.
    public let weights: [Float]
    public let bias: [Float]?
    public let activation: Activation

    public init(inChannels: Int, outChannels: Int, groups: Int, geometry: WindowGeometry,
                weights: [Float], bias: [Float]?, activation: Activation = .identity) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.groups = groups
        self.geometry = geometry
        self.weights = weights
        self.bias = bias
        self.activation = activation
        let g = geometry
        if g.kernelH == 1, g.kernelW == 1, g.strideH == 1, g.strideW == 1,
           g.padTop == 0, g.padLeft == 0, g.padBottom == 0, g.padRight == 0 {
            path = .pointwise
        } else if groups == inChannels, groups == outChannels {
            path = .depthwise
        } else {
            path = .im2col
        }
    }

    /// Floats of scratch one worker needs (the im2col matrix of one group).
    public var scratchCount: Int {
        path == .im2col ? (inChannels / groups) * geometry.kernelH * geometry.kernelW * geometry.outH * geometry.outW : 0
    }

    /// Multiply-accumulates for one image.
    public var macsPerImage: Int {
        outChannels * geometry.outH * geometry.outW * (inChannels / groups) * geometry.kernelH * geometry.kernelW
    }

    /// Convolves `batch` images from `input` into `output` (both NCHW, contiguous).
    public func run(batch: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, context: ExecutionContext) {
        let g = geometry
        let inPlane = g.inH * g.inW
        let outPlane = g.outH * g.outW
        let cg = inChannels / groups
        let mg = outChannels / groups
        switch path {
        case .depthwise:
            let sendIn = UnsafeSendable(input), sendOut = UnsafeSendable(output)
            context.parallelFor(batch * outChannels) { job in
                let c = job % outChannels
                depthwisePlane(c: c, input: sendIn.pointer + job * inPlane, output: sendOut.pointer + job * outPlane)
            }
        case .pointwise, .im2col:
            var scratch = [Float](repeating: 0, count: scratchCount)
            weights.withUnsafeBufferPointer { w in
                scratch.withUnsafeMutableBufferPointer { col in
                    for n in 0..<batch {
                        for grp in 0..<groups {
                            let src = input + (n * inChannels + grp * cg) * inPlane
                            let dst = output + (n * outChannels + grp * mg) * outPlane
                            let b: UnsafePointer<Float>
                            if path == .pointwise {
                                b = src
                            } else {
                                Self.im2col(src, channels: cg, g, into: col.baseAddress!)
                                b = UnsafePointer(col.baseAddress!)
                            }
                            BLAS.sgemm(m: mg, n: outPlane, k: cg * g.kernelH * g.kernelW,
                                       a: w.baseAddress! + grp * mg * cg * g.kernelH * g.kernelW, lda: cg * g.kernelH * g.kernelW,
                                       b: b, ldb: outPlane, c: dst, ldc: outPlane)
                        }
                        finish(output + n * outChannels * outPlane, planeSize: outPlane)
                    }
                }
            }
        }
    }

    /// Adds the bias and applies the activation to one image's output planes.
    @inline(__always)
    private func finish(_ out: UnsafeMutablePointer<Float>, planeSize: Int) {
        if let bias {
            for m in 0..<outChannels {
                let b = bias[m]
                let p = out + m * planeSize
                for i in 0..<planeSize { p[i] += b }
            }
        }
        activation.apply(out, count: outChannels * planeSize)
    }

    /// One channel of a depthwise convolution: for each kernel tap, add a shifted, scaled copy
    /// of the input rows. The valid output columns of each tap are computed once per tap so the
    /// inner loop has no bounds checks.
    private func depthwisePlane(c: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let g = geometry
        let b = bias?[c] ?? 0
        for i in 0..<(g.outH * g.outW) { output[i] = b }
        weights.withUnsafeBufferPointer { wAll in
            let w = wAll.baseAddress! + c * g.kernelH * g.kernelW
            for kh in 0..<g.kernelH {
                for kw in 0..<g.kernelW {
                    let wv = w[kh * g.kernelW + kw]
                    let colOffset = kw * g.dilationW - g.padLeft
                    // ow valid when 0 <= ow*s + colOffset < inW.
                    let owStart = colOffset >= 0 ? 0 : (-colOffset + g.strideW - 1) / g.strideW
                    let owEnd = min(g.outW, g.inW - colOffset <= 0 ? 0 : (g.inW - colOffset - 1) / g.strideW + 1)
                    if owStart >= owEnd { continue }
                    for oh in 0..<g.outH {
                        let ih = oh * g.strideH - g.padTop + kh * g.dilationH
                        if ih < 0 || ih >= g.inH { continue }
                        let src = input + ih * g.inW + colOffset
                        let dst = output + oh * g.outW
                        if g.strideW == 1 {
                            for ow in owStart..<owEnd { dst[ow] += wv * src[ow] }
                        } else {
                            for ow in owStart..<owEnd { dst[ow] += wv * src[ow * g.strideW] }
                        }
                    }
                }
            }
        }
        activation.apply(output, count: g.outH * g.outW)
    }

    /// Unfolds `channels` input planes into the `[c][kh][kw] x [oh][ow]` matrix, zeros for padding.
    static func im2col(_ src: UnsafePointer<Float>, channels: Int, _ g: WindowGeometry, into col: UnsafeMutablePointer<Float>) {
        let outPlane = g.outH * g.outW
        var row = 0
        for c in 0..<channels {
            let plane = src + c * g.inH * g.inW
            for kh in 0..<g.kernelH {
                for kw in 0..<g.kernelW {
                    let dst = col + row * outPlane
                    let colOffset = kw * g.dilationW - g.padLeft
                    for oh in 0..<g.outH {
                        let ih = oh * g.strideH - g.padTop + kh * g.dilationH
                        let d = dst + oh * g.outW
                        if ih < 0 || ih >= g.inH {
                            d.update(repeating: 0, count: g.outW)
                            continue
                        }
                        let s = plane + ih * g.inW
                        for ow in 0..<g.outW {
                            let iw = ow * g.strideW + colOffset
                            d[ow] = (iw >= 0 && iw < g.inW) ? s[iw] : 0
                        }
                    }
                    row += 1
                }
            }
        }
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

/// A raw pointer handed to `parallelFor` workers that write disjoint ranges.
@usableFromInline
struct UnsafeSendable<P>: @unchecked Sendable {
    @usableFromInline let pointer: P
    @usableFromInline init(_ pointer: P) { self.pointer = pointer }
}
