import HDDNNKernels

/// Max and average pooling over NCHW planes (ONNX `MaxPool`, `AveragePool`).
public struct Pool2DKernel: Sendable {
    public enum Kind: Sendable, Equatable {
        case max
        /// `countIncludePad`: divide by the window clipped to the padded input, not to the input.
        case average(countIncludePad: Bool)
    }

    public let kind: Kind
    public let geometry: WindowGeometry

    public init(kind: Kind, geometry: WindowGeometry) {
        self.kind = kind
        self.geometry = geometry
    }

    /// Pools `planes` planes (N*C). `indices`, when given, receives MaxPool's flat argmax indices
    /// (row-major over NCHW, or column-major within a plane when `columnMajorIndices`).
    public func run(planes: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                    indices: UnsafeMutablePointer<Int64>? = nil, columnMajorIndices: Bool = false,
                    context: ExecutionContext) {
        let g = geometry
        let inPlane = g.inH * g.inW, outPlane = g.outH * g.outW
        let sIn = UnsafeSendable(input), sOut = UnsafeSendable(output), sIdx = UnsafeSendable(indices)
        if kind == .max, indices == nil {
            // The common case, in C (hddnn_maxpool): the window clipped once per row and column.
            let workers = min(context.threads, max(1, planes * outPlane * g.kernelH * g.kernelW / 200_000))
            context.parallelFor(workers) { w in
                hddnn_maxpool(sIn.pointer, Int32(planes * w / workers), Int32(planes * (w + 1) / workers), Int32(g.inH), Int32(g.inW),
                              Int32(g.kernelH), Int32(g.kernelW), Int32(g.strideH), Int32(g.strideW), Int32(g.dilationH),
                              Int32(g.dilationW), Int32(g.padTop), Int32(g.padLeft), Int32(g.outH), Int32(g.outW), sOut.pointer)
            }
            return
        }
        context.parallelFor(planes) { p in
            let src = sIn.pointer + p * inPlane
            let dst = sOut.pointer + p * outPlane
            for oh in 0..<g.outH {
                let h0 = oh * g.strideH - g.padTop
                for ow in 0..<g.outW {
                    let w0 = ow * g.strideW - g.padLeft
                    switch kind {
                    case .max:
                        var best = -Float.infinity
                        var bestIndex = -1
                        for kh in 0..<g.kernelH {
                            let ih = h0 + kh * g.dilationH
                            if ih < 0 || ih >= g.inH { continue }
                            for kw in 0..<g.kernelW {
                                let iw = w0 + kw * g.dilationW
                                if iw < 0 || iw >= g.inW { continue }
                                let v = src[ih * g.inW + iw]
                                if v > best || bestIndex < 0 { best = v; bestIndex = columnMajorIndices ? iw * g.inH + ih : ih * g.inW + iw }
                            }
                        }
                        dst[oh * g.outW + ow] = best
                        if let idx = sIdx.pointer { idx[p * outPlane + oh * g.outW + ow] = Int64(p * inPlane + bestIndex) }
                    case .average(let includePad):
                        var sum: Float = 0
                        var inside = 0, padded = 0
                        for kh in 0..<g.kernelH {
                            let ih = h0 + kh * g.dilationH
                            if ih >= g.inH + g.padBottom { break }
                            let rowInPadded = ih >= -g.padTop
                            for kw in 0..<g.kernelW {
                                let iw = w0 + kw * g.dilationW
                                if iw >= g.inW + g.padRight { break }
                                if rowInPadded && iw >= -g.padLeft { padded += 1 }
                                if ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW { continue }
                                sum += src[ih * g.inW + iw]
                                inside += 1
                            }
                        }
                        let divisor = includePad ? padded : inside
                        dst[oh * g.outW + ow] = divisor > 0 ? sum / Float(divisor) : 0
                    }
                }
            }
        }
    }
}
