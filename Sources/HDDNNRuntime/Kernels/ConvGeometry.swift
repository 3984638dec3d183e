/// Sizes of one 2-D convolution or pooling window sweep, resolved at load/first run.
///
/// 1-D operators are run as 2-D with a height of 1. Output size follows the ONNX rule
/// `out = floor((in + pad_begin + pad_end - dilation * (kernel - 1) - 1) / stride) + 1`
/// (with `ceil` instead of `floor` for pooling's `ceil_mode`).
public struct WindowGeometry: Sendable, Hashable, CustomStringConvertible {
    public var inH: Int, inW: Int
    public var outH: Int, outW: Int
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var dilationH: Int, dilationW: Int
    public var padTop: Int, padLeft: Int, padBottom: Int, padRight: Int

    public init(inH: Int, inW: Int, kernelH: Int, kernelW: Int, strideH: Int = 1, strideW: Int = 1,
                dilationH: Int = 1, dilationW: Int = 1,
                padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0, ceilMode: Bool = false) {
        self.inH = inH; self.inW = inW
        self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW
        self.dilationH = dilationH; self.dilationW = dilationW
        self.padTop = padTop; self.padLeft = padLeft; self.padBottom = padBottom; self.padRight = padRight
        outH = Self.outputSize(inH, kernelH, strideH, dilationH, padTop, padBottom, ceilMode)
        outW = Self.outputSize(inW, kernelW, strideW, dilationW, padLeft, padRight, ceilMode)
    }

    static func outputSize(_ input: Int, _ kernel: Int, _ stride: Int, _ dilation: Int,
                           _ padBegin: Int, _ padEnd: Int, _ ceilMode: Bool) -> Int {
        let span = input + padBegin + padEnd - dilation * (kernel - 1) - 1
        guard span >= 0 else { return 0 }
        if !ceilMode { return span / stride + 1 }
        var out = (span + stride - 1) / stride + 1
        // The last window must start inside the input or its leading padding.
        if (out - 1) * stride >= input + padBegin { out -= 1 }
        return out
    }

    public var description: String {
        "H\(inH)/W\(inW)/K\(kernelH)x\(kernelW)/P\(padTop),\(padLeft),\(padBottom),\(padRight)/S\(strideH)x\(strideW)/D\(dilationH)x\(dilationW)"
    }
}

/// Resolves ONNX `auto_pad`/`pads` for one spatial axis into (begin, end).
///
/// `SAME_UPPER` puts the odd extra pad at the end, `SAME_LOWER` at the beginning; both aim at
/// `out = ceil(in / stride)`.
public func resolvePadding(autoPad: String, input: Int, kernel: Int, stride: Int, dilation: Int,
                           explicit: (Int, Int)) -> (Int, Int) {
    switch autoPad {
    case "SAME_UPPER", "SAME_LOWER":
        let out = (input + stride - 1) / stride
        let total = max(0, (out - 1) * stride + dilation * (kernel - 1) + 1 - input)
        let small = total / 2
        return autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small)
    case "VALID":
        return (0, 0)
    default:
        return explicit
    }
}
