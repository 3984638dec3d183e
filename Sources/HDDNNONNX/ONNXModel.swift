import Foundation
import HDDNNRuntime
import SwiftProtobuf

/// Imports ONNX files into the engine's `Graph`, and exports graphs back to ONNX.
public enum ONNXModel {
    /// IR versions this importer reads (ONNX 1.2 to 1.16).
    public static let supportedIRVersions = 3...10
    /// Default-domain operator set versions this importer reads.
    public static let supportedOpsets = 7...21

    /// Loads a model file; external data files are looked up next to it.
    public static func load(contentsOf url: URL) throws(ONNXError) -> Graph {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadable(path: url.path, reason: error.localizedDescription) }
        return try load(data: data, path: url.path, baseDirectory: url.deletingLastPathComponent())
    }

    /// Loads and compiles a model file in one step: what the CLI and nodes use.
    public static func session(contentsOf url: URL, options: SessionOptions = .init()) throws(ONNXError) -> InferenceSession {
        let graph = try load(contentsOf: url)
        do { return try InferenceSession(graph: graph, options: options) } catch { throw .engine(error) }
    }

    /// Decodes a model from bytes. `baseDirectory` is where external data may be read from
    /// (nil refuses external data).
    public static func load(data: Data, path: String = "<memory>", baseDirectory: URL?) throws(ONNXError) -> Graph {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw .malformed(path: path, reason: "protobuf decoding failed (\(error)); the file is truncated, corrupt or not ONNX")
        }
        guard model.hasGraph else {
            throw .malformed(path: path, reason: data.isEmpty ? "the file is empty" : "no graph in the model; the file is truncated, corrupt or not ONNX")
        }
        guard supportedIRVersions.contains(Int(model.irVersion)) else {
            throw .unsupportedIRVersion(Int(model.irVersion), supported: supportedIRVersions)
        }
        let opsets = model.opsetImport.filter { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard let opset = opsets.map({ Int($0.version) }).max() else {
            // A graph made only of another domain's operators (training, ML) imports no default opset.
            if let n = model.graph.node.first(where: { !$0.domain.isEmpty && $0.domain != "ai.onnx" }) {
                let version = model.opsetImport.first { $0.domain == n.domain }.map { Int($0.version) } ?? 0
                throw .engine(.unsupportedOperator(opType: n.opType, domain: n.domain, node: n.name, opset: version))
            }
            throw .malformed(path: path, reason: "no default-domain opset import")
        }
        guard supportedOpsets.contains(opset) else { throw .unsupportedOpset(opset, supported: supportedOpsets) }

        let g = model.graph
        var initializers = [String: Tensor]()
        for t in g.initializer {
            initializers[t.name] = try t.engineTensor(baseDirectory: baseDirectory)
        }
        if let sparse = g.sparseInitializer.first {
            throw .unsupportedTensorFeature(tensor: sparse.values.name, feature: "sparse initializer")
        }
        var nodes = [Node]()
        for (i, n) in g.node.enumerated() {
            var attributes = [String: Attribute]()
            for a in n.attribute {
                attributes[a.name] = try attribute(a, baseDirectory: baseDirectory)
            }
            nodes.append(Node(name: n.name.isEmpty ? "\(n.opType)_\(i)" : n.name, opType: n.opType, domain: n.domain,
                              inputs: n.input, outputs: n.output, attributes: attributes))
        }
        let inputs = try g.input.filter { initializers[$0.name] == nil }.map { v throws(ONNXError) in try valueInfo(v) }
        let outputs = try g.output.map { v throws(ONNXError) in try valueInfo(v) }
        let metadata = ModelMetadata(irVersion: Int(model.irVersion), producerName: model.producerName,
                                     producerVersion: model.producerVersion, docString: model.docString)
        return Graph(name: g.name, inputs: inputs, outputs: outputs, nodes: nodes, initializers: initializers,
                     opsetVersion: opset, metadata: metadata)
    }

    static func valueInfo(_ v: Onnx_ValueInfoProto) throws(ONNXError) -> ValueInfo {
        let tensorType = v.type.tensorType
        guard case .tensorType? = v.type.value else { throw .unsupportedDataType(name: v.name, onnxType: 0) }
        guard let type = ONNXElementType.dataType(Int(tensorType.elemType)) else {
            throw .unsupportedDataType(name: v.name, onnxType: Int(tensorType.elemType))
        }
        guard tensorType.hasShape else { return ValueInfo(name: v.name, dataType: type, shape: [], shapeKnown: false) }
        let dims = tensorType.shape.dim
        let shape: [Int?] = dims.map { d in
            if case .dimValue(let value)? = d.value, value >= 0 { return Int(value) }
            return nil
        }
        let names: [String?] = dims.map { d in
            if case .dimParam(let p)? = d.value { return p }
            return nil
        }
        return ValueInfo(name: v.name, dataType: type, shape: shape, dimensionNames: names)
    }

    static func attribute(_ a: Onnx_AttributeProto, baseDirectory: URL?) throws(ONNXError) -> Attribute {
        // IR 3 files may leave `type` unset; infer it from the populated field.
        switch a.type {
        case .float: return .float(a.f)
        case .int: return .int(Int(a.i))
        case .string: return .string(String(decoding: a.s, as: UTF8.self))
        case .tensor: return .tensor(try a.t.engineTensor(baseDirectory: baseDirectory))
        case .floats: return .floats(a.floats)
        case .ints: return .ints(a.ints.map { Int($0) })
        case .strings: return .strings(a.strings.map { String(decoding: $0, as: UTF8.self) })
        case .undefined:
            if a.hasF { return .float(a.f) }
            if a.hasI { return .int(Int(a.i)) }
            if a.hasS { return .string(String(decoding: a.s, as: UTF8.self)) }
            if a.hasT { return .tensor(try a.t.engineTensor(baseDirectory: baseDirectory)) }
            if !a.floats.isEmpty { return .floats(a.floats) }
            if !a.ints.isEmpty { return .ints(a.ints.map { Int($0) }) }
            return .unsupported(kind: "undefined")
        default:
            return .unsupported(kind: "\(a.type)")
        }
    }
}

extension ONNXModel {
    /// Decodes a serialized `TensorProto` (the `.pb` files of ONNX's test data sets).
    public static func tensor(protobuf data: Data, path: String = "<memory>") throws(ONNXError) -> Tensor {
        let proto: Onnx_TensorProto
        do { proto = try Onnx_TensorProto(serializedBytes: data) } catch {
            throw .malformed(path: path, reason: "not a serialized TensorProto (\(error))")
        }
        return try proto.engineTensor(baseDirectory: nil)
    }

    /// Encodes a tensor as a serialized `TensorProto`.
    public static func protobuf(_ tensor: Tensor, name: String) throws -> Data {
        try Onnx_TensorProto(tensor, name: name).serializedBytes()
    }
}
