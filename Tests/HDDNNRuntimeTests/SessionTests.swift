import Foundation
import HDDNNRuntime
import Testing

/// The session: input validation, graph checks, liveness, and partitioning.
@Suite struct SessionTests {
    /// x -> Conv(3x3) -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> y
    static func smallNet() -> Graph {
        var rng = SplitMix64(seed: 1)
        func random(_ shape: [Int]) -> Tensor { Tensor(shape: shape, floats: (0..<Shape.count(shape)).map { _ in rng.nextFloat() }) }
        return Graph(
            name: "small",
            inputs: [ValueInfo(name: "x", dataType: .float32, shape: [nil, 2, 6, 6], dimensionNames: ["batch", nil, nil, nil])],
            outputs: [ValueInfo(name: "y", dataType: .float32, shape: [nil, 3], dimensionNames: ["batch", nil])],
            nodes: [
                Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])]),
                Node(name: "relu", opType: "Relu", inputs: ["c"], outputs: ["r"]),
                Node(name: "gap", opType: "GlobalAveragePool", inputs: ["r"], outputs: ["g"]),
                Node(name: "flat", opType: "Flatten", inputs: ["g"], outputs: ["f"]),
                Node(name: "fc", opType: "Gemm", inputs: ["f", "fw", "fb"], outputs: ["y"], attributes: ["transB": .int(1)]),
            ],
            initializers: ["w": random([4, 2, 3, 3]), "b": random([4]), "fw": random([3, 4]), "fb": random([3])],
            opsetVersion: 13)
    }

    static func input(batch: Int) -> Tensor {
        var rng = SplitMix64(seed: 2)
        return Tensor(shape: [batch, 2, 6, 6], floats: (0..<(batch * 72)).map { _ in rng.nextFloat() })
    }

    @Test func runsAndChecksInputs() throws {
        let session = try InferenceSession(graph: Self.smallNet())
        let y = try session.run(["x": Self.input(batch: 3)])["y"]
        #expect(y?.shape == [3, 3])
        #expect(throws: EngineError.inputShape(name: "x", expected: [nil, 2, 6, 6], got: [3, 2, 6])) {
            try session.run(["x": Tensor(zeros: [3, 2, 6])])
        }
        #expect(throws: EngineError.missingInput(name: "x", expectedShape: [nil, 2, 6, 6])) { try session.run([:]) }
        #expect(throws: EngineError.inputType(name: "x", expected: .float32, got: .int64)) {
            try session.run(["x": Tensor(shape: [1, 2, 6, 6], int64s: Array(repeating: 0, count: 72))])
        }
    }

    @Test func batchSplitAcrossThreadsMatchesWholeBatch() throws {
        let graph = Self.smallNet()
        let one = try InferenceSession(graph: graph, options: SessionOptions(threads: 1))
        let two = try InferenceSession(graph: graph, options: SessionOptions(threads: 2))
        #expect(two.splitsBatches)
        #expect(!(try InferenceSession(graph: graph, options: SessionOptions(threads: 2, splitBatches: false))).splitsBatches)
        // Batch 7 on two threads runs as parts of 3 and 4; batch 3 runs whole.
        for batch in [7, 3] {
            let x = Self.input(batch: batch)
            let whole = try one.run(["x": x])["y"]!, split = try two.run(["x": x])["y"]!
            #expect(split.shape == [batch, 3])
            #expect(zip(whole.floats, split.floats).allSatisfy { abs($0 - $1) <= 1e-6 * (1 + abs($0)) })
        }
        // What keeps a batch whole: a Reshape, a constant that does not broadcast over the batch,
        // a Flatten at axis 0, an operator outside the known per-sample set.
        var reshaped = graph
        reshaped.nodes[3] = Node(name: "flat", opType: "Reshape", inputs: ["g", "shape"], outputs: ["f"])
        reshaped.initializers["shape"] = Tensor(shape: [2], int64s: [-1, 4])
        var perRowConstant = graph
        perRowConstant.nodes.append(Node(name: "shift", opType: "Add", inputs: ["y0", "rows"], outputs: ["y"]))
        perRowConstant.nodes[4].outputs = ["y0"]
        perRowConstant.initializers["rows"] = Tensor(zeros: [5, 3])
        var flattenAll = graph
        flattenAll.nodes[3].attributes["axis"] = .int(0)
        var reduced = graph
        reduced.nodes[2] = Node(name: "gap", opType: "ReduceMean", inputs: ["r"], outputs: ["g"], attributes: ["axes": .ints([2, 3])])
        for g in [reshaped, perRowConstant, flattenAll, reduced] {
            #expect(!(try InferenceSession(graph: g, options: SessionOptions(threads: 2))).splitsBatches, "\(g.nodes.map(\.opType))")
        }
    }

    @Test func refusesUnsupportedOperatorAtLoad() {
        var g = Self.smallNet()
        g.nodes[1] = Node(name: "weird", opType: "Mish", inputs: ["c"], outputs: ["r"])
        #expect(throws: EngineError.unsupportedOperator(opType: "Mish", domain: "", node: "weird", opset: 13)) {
            try InferenceSession(graph: g)
        }
    }

    @Test func refusesDanglingValue() {
        var g = Self.smallNet()
        g.initializers["w"] = nil
        #expect(throws: EngineError.self) { try InferenceSession(graph: g) }
        do { _ = try InferenceSession(graph: g) } catch {
            #expect(error.description.contains("reads 'w', which no node, input or initializer provides"))
        }
    }

    @Test func headThenTailEqualsWholeBitForBit() throws {
        let graph = Self.smallNet()
        let whole = try InferenceSession(graph: graph)
        let analysis = try ModelAnalysis(session: whole)
        #expect(analysis.macsPerSample == 4 * 36 * 2 * 9 + 3 * 4)
        let cutShape = try #require(analysis.declaredShape(of: "r", graph: graph))
        #expect(cutShape == [nil, 4, 6, 6])
        let parts = try GraphPartition.split(graph, at: "r", cutShape: cutShape)
        let head = try InferenceSession(graph: parts.head), tail = try InferenceSession(graph: parts.tail)
        let x = Self.input(batch: 5)
        let features = try head.run(["x": x])["r"]!
        let split = try tail.run(["r": features])["y"]!
        #expect(split == (try whole.run(["x": x])["y"]!))
        #expect(parts.head.nodes.map(\.name) == ["conv", "relu"])
        #expect(Set(parts.tail.initializers.keys) == ["fw", "fb"])
    }

    @Test func refusesCutsThatLeakRawInputOrSkipConnections() throws {
        // y = Relu(x) + x: cutting at the Relu output leaves the raw x read by the tail.
        let g = Graph(name: "skip", inputs: [ValueInfo(name: "x", dataType: .float32, shape: [1, 4])],
                      outputs: [ValueInfo(name: "y", dataType: .float32, shape: [1, 4])],
                      nodes: [Node(name: "relu", opType: "Relu", inputs: ["x"], outputs: ["r"]),
                              Node(name: "add", opType: "Add", inputs: ["r", "x"], outputs: ["y"])],
                      initializers: [:], opsetVersion: 13)
        #expect(throws: PartitionError.rawInputInTail("r", inputs: ["x"])) { try GraphPartition.split(g, at: "r", cutShape: [1, 4]) }
        #expect(throws: PartitionError.self) { try GraphPartition.split(g, at: "nope", cutShape: [1, 4]) }
    }

    @Test func shapeValidationRefusesOverflowAndHugeTensors() {
        #expect(throws: ShapeError.self) { try Shape.validatedCount([Int.max / 2, 4], context: "t") }
        #expect(throws: ShapeError.self) { try Shape.validatedCount([1 << 20, 1 << 20, 1 << 10], context: "t") }
        #expect(throws: ShapeError.self) { try Shape.validatedCount([-1, 3], context: "t") }
        #expect((try? Shape.validatedCount([2, 3, 4], context: "t")) == 24)
    }

    @Test func npyRoundTripAndErrors() throws {
        let t = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6.5])
        #expect(try NPY.decode(NPY.encode(t)) == t)
        let i = Tensor(shape: [4], int64s: [1, -2, 3, 1 << 40])
        #expect(try NPY.decode(NPY.encode(i)) == i)
        #expect(throws: NPYError.self) { try NPY.decode(Data("hello".utf8)) }
        var truncated = NPY.encode(t)
        truncated.removeLast(3)
        #expect(throws: NPYError.self) { try NPY.decode(truncated) }
    }

    @Test func broadcastingArithmetic() throws {
        let g = Graph(name: "bc", inputs: [ValueInfo(name: "a", dataType: .float32, shape: [2, 3]),
                                           ValueInfo(name: "b", dataType: .float32, shape: [3])],
                      outputs: [ValueInfo(name: "y", dataType: .float32, shape: [2, 3])],
                      nodes: [Node(name: "sub", opType: "Sub", inputs: ["a", "b"], outputs: ["y"])],
                      initializers: [:], opsetVersion: 13)
        let y = try InferenceSession(graph: g).run(["a": Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]),
                                                    "b": Tensor(shape: [3], floats: [1, 1, 2])])["y"]!
        #expect(y.floats == [0, 1, 1, 3, 4, 4])
    }
}
