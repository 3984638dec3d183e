/// The window attributes that `Conv`, `MaxPool` and `AveragePool` share: `kernel_shape`,
/// `strides`, `dilations`, `pads` and `auto_pad`, read once at load.
///
/// The engine runs 1-D and 2-D windows (1-D as 2-D with height 1); 3-D is refused at load.
struct WindowAttributes: Sendable {
    var kernelShape: [Int]?
    var strides: [Int]?
    var dilations: [Int]?
    var pads: [Int]?
    var autoPad: String
    var ceilMode: Bool

    init(_ ctx: NodeContext, allowsCeilMode: Bool) throws(EngineError) {
        kernelShape = try ctx.ints("kernel_shape")
        strides = try ctx.ints("strides")
        dilations = try ctx.ints("dilations")
        pads = try ctx.ints("pads")
        autoPad = try ctx.string("auto_pad", default: "NOTSET")
        ceilMode = allowsCeilMode ? try ctx.int("ceil_mode", default: 0) != 0 : false
        try ctx.require(["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].contains(autoPad), "auto_pad", "unknown value '\(autoPad)'")
        for (name, list) in [("kernel_shape", kernelShape), ("strides", strides), ("dilations", dilations)] {
            if let list {
                try ctx.require(list.count == 1 || list.count == 2, name, "only 1-D and 2-D windows are supported, got \(list.count)-D")
                try ctx.require(list.allSatisfy { $0 >= 1 }, name, "values must be positive, got \(list)")
            }
        }
        if let pads {
            try ctx.require(pads.count == 2 || pads.count == 4, "pads", "only 1-D and 2-D windows are supported, got \(pads.count) pads")
            try ctx.require(pads.allSatisfy { $0 >= 0 }, "pads", "negative padding is not supported, got \(pads)")
        }
    }

    /// Geometry for the concrete spatial input sizes (1 or 2 of them) and kernel size.
    func geometry(op: String, spatial: [Int], kernel: [Int]) throws(EngineError) -> WindowGeometry {
        let rank = spatial.count
        guard rank == 1 || rank == 2 else {
            throw .shapeMismatch(op: op, reason: "only 1-D and 2-D inputs are supported, got \(rank) spatial dimensions")
        }
        guard kernel.count == rank else {
            throw .shapeMismatch(op: op, reason: "kernel has \(kernel.count) spatial dimensions, input has \(rank)")
        }
        for (name, list) in [("strides", strides), ("dilations", dilations)] {
            if let list, list.count != rank {
                throw .invalidAttribute(op: op, name: name, reason: "has \(list.count) values for \(rank) spatial dimensions")
            }
        }
        if let pads, pads.count != 2 * rank {
            throw .invalidAttribute(op: op, name: "pads", reason: "has \(pads.count) values for \(rank) spatial dimensions")
        }
        let s = strides ?? Array(repeating: 1, count: rank)
        let d = dilations ?? Array(repeating: 1, count: rank)
        let p = pads ?? Array(repeating: 0, count: 2 * rank)
        var begin = [Int](), end = [Int]()
        for i in 0..<rank {
            let (b, e) = resolvePadding(autoPad: autoPad, input: spatial[i], kernel: kernel[i], stride: s[i],
                                        dilation: d[i], explicit: (p[i], p[i + rank]))
            begin.append(b); end.append(e)
        }
        // 1-D runs as 2-D with a unit height.
        let two = rank == 2
        return WindowGeometry(
            inH: two ? spatial[0] : 1, inW: spatial[rank - 1],
            kernelH: two ? kernel[0] : 1, kernelW: kernel[rank - 1],
            strideH: two ? s[0] : 1, strideW: s[rank - 1],
            dilationH: two ? d[0] : 1, dilationW: d[rank - 1],
            padTop: two ? begin[0] : 0, padLeft: begin[rank - 1],
            padBottom: two ? end[0] : 0, padRight: end[rank - 1],
            ceilMode: ceilMode)
    }
}

extension WindowGeometry {
    /// The output's spatial dimensions in the input's rank (drops the unit height of 1-D).
    func outputSpatial(rank: Int) -> [Int] { rank == 2 ? [outH, outW] : [outW] }
}
