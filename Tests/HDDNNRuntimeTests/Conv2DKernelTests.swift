import HDDNNKernels
import HDDNNRuntime
import Testing

/// Every convolution path against the seven-loop reference, over a sweep of shapes. A failure
/// names its case as `N/C/M/G/geometry`.
@Suite struct Conv2DKernelTests {
    struct Case: CustomStringConvertible {
        var batch = 1, inChannels = 4, outChannels = 4, groups = 1
        var h = 7, w = 5, k = (3, 3), stride = (1, 1), dilation = (1, 1), pads = (1, 1, 1, 1)
        var geometry: WindowGeometry {
            WindowGeometry(inH: h, inW: w, kernelH: k.0, kernelW: k.1, strideH: stride.0, strideW: stride.1,
                           dilationH: dilation.0, dilationW: dilation.1,
                           padTop: pads.0, padLeft: pads.1, padBottom: pads.2, padRight: pads.3)
        }
        var description: String { "N\(batch)/C\(inChannels)/M\(outChannels)/G\(groups)/\(geometry)" }
    }

    static var cases: [Case] {
        var cases = [Case]()
        for (k, pads) in [((1, 1), (0, 0, 0, 0)), ((3, 3), (1, 1, 1, 1)), ((3, 3), (0, 1, 2, 0)), ((5, 3), (2, 1, 2, 1)), ((7, 7), (3, 3, 3, 3))] {
            for stride in [(1, 1), (2, 2), (1, 3)] {
                for dilation in [(1, 1), (2, 1)] {
                    for (c, m, g) in [(4, 6, 1), (4, 4, 4), (6, 4, 2), (3, 8, 1), (8, 8, 8)] {
                        cases.append(Case(batch: 2, inChannels: c, outChannels: m, groups: g, h: 11, w: 9,
                                          k: k, stride: stride, dilation: dilation, pads: pads))
                    }
                }
            }
        }
        cases.append(Case(batch: 1, inChannels: 1, outChannels: 1, groups: 1, h: 1, w: 17, k: (1, 5), pads: (0, 2, 0, 2)))
        cases.append(Case(batch: 3, inChannels: 16, outChannels: 32, groups: 1, h: 8, w: 8, k: (1, 1), pads: (0, 0, 0, 0)))
        cases.append(Case(batch: 1, inChannels: 5, outChannels: 5, groups: 5, h: 4, w: 4, k: (3, 3), stride: (2, 2)))
        // Pointwise on 2x2 and 1x1 planes at batch > 1: every GEMM panel spans images (one pixel of
        // each channel per column; 1x1 planes store column by column); K = 300 spans two K blocks.
        cases.append(Case(batch: 13, inChannels: 24, outChannels: 20, groups: 1, h: 2, w: 2, k: (1, 1), pads: (0, 0, 0, 0)))
        cases.append(Case(batch: 45, inChannels: 300, outChannels: 20, groups: 1, h: 1, w: 1, k: (1, 1), pads: (0, 0, 0, 0)))
        // K = 40 * 9 = 360 spans two K blocks; M = 24 and 32 columns per image give full tiles.
        cases.append(Case(batch: 3, inChannels: 40, outChannels: 24, groups: 1, h: 8, w: 8, k: (3, 3)))
        cases.append(Case(batch: 2, inChannels: 64, outChannels: 16, groups: 1, h: 1, w: 1, k: (3, 3)))
        // Small depthwise planes run 16 channels at a time: 40 channels leave a partial group of 8,
        // and two workers split the 120 planes mid-image.
        cases.append(Case(batch: 3, inChannels: 40, outChannels: 40, groups: 40, h: 6, w: 5, k: (3, 3)))
        cases.append(Case(batch: 2, inChannels: 24, outChannels: 24, groups: 24, h: 4, w: 4, k: (3, 3), stride: (2, 2), pads: (0, 1, 1, 0)))
        // Winograd F(4x4, 3x3) (16+ channels, 32+ tiles per thread): odd output sizes leave partial tiles and
        // 20 channels partial GEMM panels; asymmetric pads; 512 input channels split the output
        // channels into two weight blocks on every instruction set.
        cases.append(Case(batch: 6, inChannels: 20, outChannels: 20, groups: 1, h: 13, w: 11, k: (3, 3)))
        cases.append(Case(batch: 5, inChannels: 16, outChannels: 24, groups: 1, h: 17, w: 10, k: (3, 3), pads: (0, 1, 2, 0)))
        cases.append(Case(batch: 16, inChannels: 512, outChannels: 64, groups: 1, h: 8, w: 8, k: (3, 3)))
        // Too few tiles for Winograd: the im2col GEMM either way.
        cases.append(Case(batch: 2, inChannels: 20, outChannels: 20, groups: 1, h: 7, w: 9, k: (3, 3)))
        return cases
    }

    /// Every instruction set this CPU can run, the portable one first.
    static var tables: [KernelTable] {
        let best = KernelTable.detected.isa.rawValue
        return (0...best).map { KernelTable(isa: hddnn_isa(rawValue: $0)) }
    }

    /// `kernel` on `input` with a residual (laid out like the output), on `threads` threads.
    static func run(_ kernel: Conv2DKernel, batch: Int, input: [Float], residual: [Float], threads: Int) -> [Float] {
        var got = [Float](repeating: .nan, count: residual.count)
        input.withUnsafeBufferPointer { i in
            residual.withUnsafeBufferPointer { r in
                got.withUnsafeMutableBufferPointer { o in
                    kernel.run(batch: batch, input: i.baseAddress!, output: o.baseAddress!, residual: r.baseAddress!,
                               context: ExecutionContext(threads: threads))
                }
            }
        }
        return got
    }

    @Test(arguments: [1, 2])
    func fastPathsMatchReference(threads: Int) {
        for table in Self.tables { check(table: table, threads: threads) }
    }

    func check(table: KernelTable, threads: Int) {
        var rng = SplitMix64(seed: 7)
        // Every case once through the planned path with Winograd off; the 3x3 stride-1 ones once
        // more with it allowed (taken where `usesWinograd` says so).
        let runs = Self.cases.map { ($0, false) }
            + Self.cases.filter { Conv2DKernel.winogradApplies(groups: $0.groups, geometry: $0.geometry) }.map { ($0, true) }
        for (c, winograd) in runs {
            let g = c.geometry
            let input = (0..<(c.batch * c.inChannels * c.h * c.w)).map { _ in rng.nextFloat() }
            let weights = (0..<(c.outChannels * c.inChannels / c.groups * c.k.0 * c.k.1)).map { _ in rng.nextFloat() }
            let bias = (0..<c.outChannels).map { _ in rng.nextFloat() }
            let want = Conv2DKernel.reference(batch: c.batch, inChannels: c.inChannels, outChannels: c.outChannels,
                                              groups: c.groups, geometry: g, input: input, weights: weights, bias: bias)
            // The epilogue: a residual and a ReLU, applied as the kernel stores.
            let residual = (0..<want.count).map { _ in rng.nextFloat() }
            let expected = zip(want, residual).map { max($0 + $1, 0) }
            let kernel = Conv2DKernel(inChannels: c.inChannels, outChannels: c.outChannels, groups: c.groups,
                                      geometry: g, weights: weights, bias: bias, activation: .relu, table: table, winograd: winograd)
            let got = Self.run(kernel, batch: c.batch, input: input, residual: residual, threads: threads)
            let worst = zip(got, expected).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
            // Winograd F(4x4, 3x3) rounds more than a direct sum (its transforms scale values by up
            // to 8 before the channel sum): 1.5e-4 to 2e-4 here for 512 channels in float32 (4e-4
            // with the usual points 0, +-1, +-2; see winograd.c).
            let winogradTaken = kernel.usesWinograd(batch: c.batch, threads: threads)
            let path = winogradTaken ? "winograd" : kernel.path.rawValue
            #expect(worst < (winogradTaken ? 5e-4 : 1e-4), "\(c) [\(path), \(table), \(threads) threads]: worst relative error \(worst)")
        }
    }

    /// Small output planes as one dense product (`densified`): the same result as the reference.
    @Test(arguments: [1, 2])
    func denseSmallPlanesMatchReference(threads: Int) throws {
        var rng = SplitMix64(seed: 11)
        let cases = [
            Case(batch: 9, inChannels: 12, outChannels: 20, groups: 1, h: 2, w: 2, k: (3, 3)),
            Case(batch: 8, inChannels: 8, outChannels: 8, groups: 1, h: 1, w: 2, k: (3, 3)),
            Case(batch: 10, inChannels: 6, outChannels: 9, groups: 1, h: 2, w: 2, k: (2, 2), pads: (0, 0, 0, 0)),
        ]
        for table in Self.tables {
            for c in cases {
                let input = (0..<(c.batch * c.inChannels * c.h * c.w)).map { _ in rng.nextFloat() }
                let weights = (0..<(c.outChannels * c.inChannels * c.k.0 * c.k.1)).map { _ in rng.nextFloat() }
                let bias = (0..<c.outChannels).map { _ in rng.nextFloat() }
                let want = Conv2DKernel.reference(batch: c.batch, inChannels: c.inChannels, outChannels: c.outChannels,
                                                  groups: 1, geometry: c.geometry, input: input, weights: weights, bias: bias)
                let residual = (0..<want.count).map { _ in rng.nextFloat() }
                let expected = zip(want, residual).map { max($0 + $1, 0) }
                let kernel = Conv2DKernel(inChannels: c.inChannels, outChannels: c.outChannels, groups: 1, geometry: c.geometry,
                                          weights: weights, bias: bias, activation: .relu, table: table).trimmed()
                let dense = try #require(kernel.densified(), "\(c)")
                let got = Self.run(dense, batch: c.batch, input: input, residual: residual, threads: threads)
                let worst = zip(got, expected).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
                #expect(worst < 1e-5, "\(c) [dense, \(table), \(threads) threads]: worst relative error \(worst)")
            }
        }
        // A strided layer from a 4x4 plane would do more multiply-adds dense than by im2col.
        let strided = Case(batch: 8, inChannels: 4, outChannels: 4, groups: 1, h: 4, w: 4, k: (3, 3), stride: (2, 2))
        let k = Conv2DKernel(inChannels: 4, outChannels: 4, groups: 1, geometry: strided.geometry,
                             weights: [Float](repeating: 1, count: 144), bias: nil)
        #expect(k.densified() == nil)
    }

    @Test func pathSelection() {
        let pointwise = Conv2DKernel(inChannels: 4, outChannels: 8, groups: 1,
                                     geometry: WindowGeometry(inH: 4, inW: 4, kernelH: 1, kernelW: 1), weights: [], bias: nil)
        #expect(pointwise.path == .gemm)
        let depthwise = Conv2DKernel(inChannels: 4, outChannels: 4, groups: 4,
                                     geometry: WindowGeometry(inH: 4, inW: 4, kernelH: 3, kernelW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
                                     weights: [], bias: nil)
        #expect(depthwise.path == .depthwise)
        // Winograd: a 3x3 stride-1 convolution of 16+ channels once a run has 32 tiles of 4x4 per thread.
        func conv3x3(_ c: Int, _ m: Int, _ h: Int, winograd: Bool = true) -> Conv2DKernel {
            Conv2DKernel(inChannels: c, outChannels: m, groups: 1,
                         geometry: WindowGeometry(inH: h, inW: h, kernelH: 3, kernelW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
                         weights: [Float](repeating: 0.5, count: m * c * 9), bias: nil, winograd: winograd)
        }
        #expect(conv3x3(16, 16, 16).usesWinograd(batch: 2, threads: 1))         // 32 tiles
        #expect(!conv3x3(16, 16, 16).usesWinograd(batch: 1, threads: 1))        // 16 tiles
        #expect(!conv3x3(16, 16, 16).usesWinograd(batch: 2, threads: 2))        // 16 tiles per thread
        #expect(conv3x3(16, 16, 8).usesWinograd(batch: 8, threads: 1))
        #expect(!conv3x3(8, 16, 16).usesWinograd(batch: 8, threads: 1))         // too few input channels
        #expect(!conv3x3(16, 16, 16, winograd: false).usesWinograd(batch: 8, threads: 1))
        #expect(!conv3x3(16, 16, 2).usesWinograd(batch: 50, threads: 1))        // 2x2 output: im2col
        // Trimmed taps (a 1x1 input reads only the centre) leave the packed weights unfit.
        #expect(!conv3x3(16, 16, 1).trimmed().usesWinograd(batch: 64, threads: 1))
    }

    @Test func outputSizeFollowsONNXRule() {
        // floor((32 + 3 + 3 - 7) / 2) + 1 = 16: the paper's ResNet-34 stem (Table 4: 16x16x64).
        let stem = WindowGeometry(inH: 32, inW: 32, kernelH: 7, kernelW: 7, strideH: 2, strideW: 2, padTop: 3, padLeft: 3, padBottom: 3, padRight: 3)
        #expect(stem.outH == 16 && stem.outW == 16)
        // ceil_mode: ceil((5 - 2) / 2) + 1 = 3 rather than 2.
        #expect(WindowGeometry(inH: 5, inW: 5, kernelH: 2, kernelW: 2, strideH: 2, strideW: 2, ceilMode: true).outH == 3)
        #expect(resolvePadding(autoPad: "SAME_UPPER", input: 5, kernel: 2, stride: 1, dilation: 1, explicit: (0, 0)) == (0, 1))
        #expect(resolvePadding(autoPad: "SAME_LOWER", input: 5, kernel: 2, stride: 1, dilation: 1, explicit: (0, 0)) == (1, 0))
    }
}

/// A small deterministic generator so test inputs are the same on every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}
