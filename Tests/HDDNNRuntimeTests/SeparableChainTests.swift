import HDDNNKernels
import HDDNNRuntime
import Testing

/// Depthwise-separable chains run channels-last: same outputs as the per-node NCHW kernels.
@Suite struct SeparableChainTests {
    /// x -> stem Conv 3x3/2 -> Relu -> [dw 3x3 -> Relu -> pw 16->32 -> Clip(0,6) -> dw 3x3/2 ->
    /// pw 32->20 (a partial channel panel)] -> GlobalAveragePool -> Flatten -> Gemm -> y
    static func mobileNetLike(side: Int) -> Graph {
        var rng = SplitMix64(seed: 3)
        func random(_ shape: [Int], scale: Float = 0.5) -> Tensor {
            Tensor(shape: shape, floats: (0..<Shape.count(shape)).map { _ in scale * rng.nextFloat() })
        }
        let pad1: [String: Attribute] = ["pads": .ints([1, 1, 1, 1])]
        return Graph(
            name: "separable",
            inputs: [ValueInfo(name: "x", dataType: .float32, shape: [nil, 3, side, side], dimensionNames: ["batch", nil, nil, nil])],
            outputs: [ValueInfo(name: "y", dataType: .float32, shape: [nil, 5], dimensionNames: ["batch", nil])],
            nodes: [
                Node(name: "stem", opType: "Conv", inputs: ["x", "w0", "b0"], outputs: ["s"], attributes: pad1.merging(["strides": .ints([2, 2])]) { $1 }),
                Node(name: "stem_relu", opType: "Relu", inputs: ["s"], outputs: ["s1"]),
                Node(name: "dw1", opType: "Conv", inputs: ["s1", "w1", "b1"], outputs: ["d1"], attributes: pad1.merging(["group": .int(16)]) { $1 }),
                Node(name: "dw1_relu", opType: "Relu", inputs: ["d1"], outputs: ["d1r"]),
                Node(name: "pw1", opType: "Conv", inputs: ["d1r", "w2", "b2"], outputs: ["p1"]),
                Node(name: "pw1_clip", opType: "Clip", inputs: ["p1", "lo", "hi"], outputs: ["p1c"]),
                Node(name: "dw2", opType: "Conv", inputs: ["p1c", "w3"], outputs: ["d2"],
                     attributes: pad1.merging(["group": .int(32), "strides": .ints([2, 2])]) { $1 }),
                Node(name: "pw2", opType: "Conv", inputs: ["d2", "w4", "b4"], outputs: ["p2"]),
                Node(name: "gap", opType: "GlobalAveragePool", inputs: ["p2"], outputs: ["g"]),
                Node(name: "flat", opType: "Flatten", inputs: ["g"], outputs: ["f"]),
                Node(name: "fc", opType: "Gemm", inputs: ["f", "fw", "fb"], outputs: ["y"], attributes: ["transB": .int(1)]),
            ],
            initializers: ["w0": random([16, 3, 3, 3]), "b0": random([16]), "w1": random([16, 1, 3, 3]), "b1": random([16]),
                           "w2": random([32, 16, 1, 1]), "b2": random([32]), "lo": Tensor(scalar: 0), "hi": Tensor(scalar: 6),
                           "w3": random([32, 1, 3, 3]), "w4": random([20, 32, 1, 1]), "b4": random([20]),
                           "fw": random([5, 20]), "fb": random([5])],
            opsetVersion: 13)
    }

    @Test(arguments: [1, 2])
    func chainMatchesPerNodeKernels(threads: Int) throws {
        let graph = Self.mobileNetLike(side: 13)
        let reference = try InferenceSession(graph: graph, options: SessionOptions(threads: 1, optimize: false))
        for isa in 0...KernelTable.detected.isa.rawValue {
            let table = KernelTable(isa: hddnn_isa(rawValue: isa))
            let session = try InferenceSession(graph: graph, options: SessionOptions(threads: threads, kernels: table))
            for batch in [1, 6] {
                var rng = SplitMix64(seed: UInt64(batch))
                let x = Tensor(shape: [batch, 3, 13, 13], floats: (0..<(batch * 3 * 169)).map { _ in rng.nextFloat() })
                var ops = [String]()
                let got = try session.run(["x": x]) { ops.append($0.node.opType) }["y"]!
                let want = try reference.run(["x": x])["y"]!
                // The four convolutions between the stem and the pooling became one chain.
                #expect(ops.filter { $0 == "SeparableChain" }.count == 1, "\(ops)")
                #expect(!ops.contains("Conv") && ops.filter { $0 == "FusedConv" }.count == 1, "\(ops)")
                let worst = zip(got.floats, want.floats).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
                #expect(got.shape == [batch, 5] && worst < 1e-5, "\(table), batch \(batch), \(threads) threads: \(worst)")
                // The unobserved run (at batch 6 on two threads, split in two) agrees too.
                let unobserved = try session.run(["x": x])["y"]!
                #expect(zip(unobserved.floats, got.floats).allSatisfy { abs($0 - $1) <= 1e-5 * (1 + abs($1)) })
            }
        }
    }

    @Test func chainBreaksWhereAValueHasAnotherReader() throws {
        // dw1's output also feeds the output: the chain cannot swallow it.
        var graph = Self.mobileNetLike(side: 9)
        graph.outputs.append(ValueInfo(name: "d1r", dataType: .float32, shape: [nil, 16, 5, 5]))
        let session = try InferenceSession(graph: graph)
        var ops = [String]()
        let x = Tensor(zeros: [1, 3, 9, 9])
        let out = try session.run(["x": x]) { ops.append($0.node.opType) }
        #expect(out["d1r"]?.shape == [1, 16, 5, 5])
        // pw1 -> dw2 -> pw2 still chain; the stem and dw1 stay per node.
        #expect(ops.filter { $0 == "SeparableChain" }.count == 1 && ops.filter { $0 == "FusedConv" }.count == 2, "\(ops)")
    }
}
