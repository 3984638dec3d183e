import Foundation
import HDDNNRuntime
import SwiftProtobuf

extension ONNXModel {
    /// Encodes a graph as an ONNX model (weights in `raw_data`), e.g. the head or tail of a split.
    public static func export(_ graph: Graph) -> Onnx_ModelProto {
        var model = Onnx_ModelProto()
        model.irVersion = Int64(graph.metadata.irVersion)
        model.producerName = "hddnn"
        let origin = [graph.metadata.producerName, graph.metadata.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        model.producerVersion = origin.isEmpty ? "" : "from \(origin)"
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(graph.opsetVersion)
        model.opsetImport = [opset]

        var g = Onnx_GraphProto()
        g.name = graph.name
        g.input = graph.inputs.map(valueInfoProto)
        g.output = graph.outputs.map(valueInfoProto)
        g.initializer = graph.initializers.keys.sorted().map { Onnx_TensorProto(graph.initializers[$0]!, name: $0) }
        g.node = graph.nodes.map { n in
            var p = Onnx_NodeProto()
            p.name = n.name
            p.opType = n.opType
            p.domain = n.domain
            p.input = n.inputs
            p.output = n.outputs
            p.attribute = n.attributes.keys.sorted().compactMap { attributeProto(name: $0, n.attributes[$0]!) }
            return p
        }
        model.graph = g
        return model
    }

    /// Writes `graph` to `url` as an ONNX file.
    public static func write(_ graph: Graph, to url: URL) throws(ONNXError) {
        do {
            let bytes: Data = try export(graph).serializedBytes()
            try bytes.write(to: url)
        } catch {
            throw .unwritable(path: url.path, reason: "\(error)")
        }
    }

    static func valueInfoProto(_ v: ValueInfo) -> Onnx_ValueInfoProto {
        var p = Onnx_ValueInfoProto()
        p.name = v.name
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(ONNXElementType.code(v.dataType))
        if v.shapeKnown {
            var shape = Onnx_TensorShapeProto()
            shape.dim = zip(v.shape, v.dimensionNames).map { dim, name in
                var d = Onnx_TensorShapeProto.Dimension()
                if let dim { d.dimValue = Int64(dim) } else { d.dimParam = name ?? "?" }
                return d
            }
            tensorType.shape = shape
        }
        p.type.tensorType = tensorType
        return p
    }

    static func attributeProto(name: String, _ a: Attribute) -> Onnx_AttributeProto? {
        var p = Onnx_AttributeProto()
        p.name = name
        switch a {
        case .int(let v): p.type = .int; p.i = Int64(v)
        case .ints(let v): p.type = .ints; p.ints = v.map { Int64($0) }
        case .float(let v): p.type = .float; p.f = v
        case .floats(let v): p.type = .floats; p.floats = v
        case .string(let v): p.type = .string; p.s = Data(v.utf8)
        case .strings(let v): p.type = .strings; p.strings = v.map { Data($0.utf8) }
        case .tensor(let t): p.type = .tensor; p.t = Onnx_TensorProto(t, name: name)
        case .unsupported: return nil
        }
        return p
    }
}
