import Foundation
import HDDNNONNX
import HDDNNRuntime
import HDDNNTestSupport
import SwiftProtobuf
import Testing

/// Bad files never crash the importer: each gets a typed error naming what is wrong.
@Suite struct MalformedModelTests {
    /// A one-node model y = x + c, with `c` given as the caller likes.
    static func model(constant: Onnx_TensorProto, irVersion: Int64 = 8, opset: Int64 = 13) -> Onnx_ModelProto {
        var m = Onnx_ModelProto()
        m.irVersion = irVersion
        var o = Onnx_OperatorSetIdProto(); o.version = opset
        m.opsetImport = [o]
        var g = Onnx_GraphProto()
        g.name = "add"
        g.initializer = [constant]
        var n = Onnx_NodeProto(); n.opType = "Add"; n.name = "add"; n.input = ["x", constant.name]; n.output = ["y"]
        g.node = [n]
        func info(_ name: String) -> Onnx_ValueInfoProto {
            var v = Onnx_ValueInfoProto(); v.name = name
            var t = Onnx_TypeProto.Tensor(); t.elemType = 1
            var s = Onnx_TensorShapeProto(); var d = Onnx_TensorShapeProto.Dimension(); d.dimValue = 4; s.dim = [d]
            t.shape = s
            v.type.tensorType = t
            return v
        }
        g.input = [info("x")]
        g.output = [info("y")]
        m.graph = g
        return m
    }

    static func constant(dims: [Int64], floats: [Float]? = nil, raw: Data? = nil) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = "c"; t.dataType = 1; t.dims = dims
        if let floats { t.floatData = floats }
        if let raw { t.rawData = raw }
        return t
    }

    static func load(_ m: Onnx_ModelProto, base: URL? = nil) throws -> Graph {
        try ONNXModel.load(data: try m.serializedBytes(), baseDirectory: base)
    }

    @Test func goodModelLoadsFromTypedAndRawData() throws {
        let typed = try Self.load(Self.model(constant: Self.constant(dims: [4], floats: [1, 2, 3, 4])))
        let raw = try Self.load(Self.model(constant: Self.constant(dims: [4], raw: [Float(1), 2, 3, 4].withUnsafeBytes { Data($0) })))
        #expect(typed.initializers["c"] == raw.initializers["c"])
        let y = try InferenceSession(graph: typed).run(["x": Tensor(shape: [4], floats: [1, 1, 1, 1])])["y"]
        #expect(y?.floats == [2, 3, 4, 5])
    }

    @Test func truncatedAndForeignFiles() throws {
        let bytes: Data = try Self.model(constant: Self.constant(dims: [4], floats: [1, 2, 3, 4])).serializedBytes()
        for cut in [1, bytes.count / 2, bytes.count - 3] {
            #expect(throws: ONNXError.self) { try ONNXModel.load(data: bytes.prefix(cut), baseDirectory: nil) }
        }
        #expect(throws: ONNXError.self) { try ONNXModel.load(data: Data("PK\u{3}\u{4} not a model".utf8), baseDirectory: nil) }
        #expect(throws: ONNXError.self) { try ONNXModel.load(data: Data(), baseDirectory: nil) }
    }

    @Test func storedSizeDisagreesWithShape() {
        #expect(throws: ONNXError.sizeMismatch(tensor: "c", shape: [4], expected: 4, got: 3, field: "float_data")) {
            try Self.load(Self.model(constant: Self.constant(dims: [4], floats: [1, 2, 3])))
        }
        #expect(throws: ONNXError.sizeMismatch(tensor: "c", shape: [4], expected: 16, got: 8, field: "raw_data")) {
            try Self.load(Self.model(constant: Self.constant(dims: [4], raw: Data(count: 8))))
        }
    }

    @Test func overflowingAndHugeShapes() throws {
        for dims: [Int64] in [[Int64.max / 2, 4], [1 << 31, 1 << 31, 1 << 31], [1 << 40], [-3]] {
            do {
                _ = try Self.load(Self.model(constant: Self.constant(dims: dims)))
                Issue.record("dims \(dims) were accepted")
            } catch let error as ONNXError {
                guard case .shape = error else { Issue.record("dims \(dims): unexpected \(error)"); continue }
            }
        }
    }

    @Test func missingInitializerIsRefusedWhenCompiled() throws {
        var m = Self.model(constant: Self.constant(dims: [4], floats: [1, 2, 3, 4]))
        m.graph.initializer = []
        let graph = try Self.load(m)
        #expect(throws: EngineError.invalidGraph("node 'add' (Add) reads 'c', which no node, input or initializer provides")) {
            try InferenceSession(graph: graph)
        }
    }

    @Test func unsupportedVersions() {
        #expect(throws: ONNXError.unsupportedIRVersion(2, supported: 3...10)) {
            try Self.load(Self.model(constant: Self.constant(dims: [4], floats: [1, 2, 3, 4]), irVersion: 2))
        }
        #expect(throws: ONNXError.unsupportedOpset(22, supported: 7...21)) {
            try Self.load(Self.model(constant: Self.constant(dims: [4], floats: [1, 2, 3, 4]), opset: 22))
        }
    }

    @Test func externalDataStaysInsideTheModelFolder() throws {
        let dir = try Repository.workspace("ext")
        let inner = dir.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: inner, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = [Float(10), 20, 30, 40].withUnsafeBytes { Data($0) }
        try (Data(count: 8) + weights).write(to: inner.appendingPathComponent("weights.bin"))
        try weights.write(to: dir.appendingPathComponent("outside.bin"))

        func external(_ location: String, offset: Int = 8, length: Int = 16) -> Onnx_TensorProto {
            var t = Self.constant(dims: [4])
            t.dataLocation = .external
            t.externalData = [("location", location), ("offset", "\(offset)"), ("length", "\(length)")].map { k, v in
                var e = Onnx_StringStringEntryProto(); e.key = k; e.value = v; return e
            }
            return t
        }
        let good = try Self.load(Self.model(constant: external("weights.bin")), base: inner)
        #expect(good.initializers["c"]?.floats == [10, 20, 30, 40])
        for location in ["../outside.bin", "/etc/passwd", "sub/../../outside.bin", ""] {
            #expect(throws: ONNXError.externalDataEscapes(tensor: "c", location: location)) {
                try Self.load(Self.model(constant: external(location)), base: inner)
            }
        }
        #expect(throws: ONNXError.self) { try Self.load(Self.model(constant: external("weights.bin", offset: 16, length: 16)), base: inner) }
        #expect(throws: ONNXError.self) { try Self.load(Self.model(constant: external("missing.bin")), base: inner) }
    }

    @Test func exportRoundTripsAndSplitHalvesAreValidONNX() throws {
        let graph = try Self.load(Self.model(constant: Self.constant(dims: [4], floats: [1, 2, 3, 4])))
        let again = try ONNXModel.load(data: try ONNXModel.export(graph).serializedBytes(), baseDirectory: nil)
        let x = Tensor(shape: [4], floats: [0.5, -1, 2, 8])
        #expect(try InferenceSession(graph: again).run(["x": x]) == InferenceSession(graph: graph).run(["x": x]))
    }
}
