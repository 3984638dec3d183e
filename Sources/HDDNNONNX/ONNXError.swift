import HDDNNRuntime

/// Why an ONNX file could not be loaded or written. Each message names the file or tensor.
public enum ONNXError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    /// The bytes are not an ONNX protobuf (truncated, corrupt, or another format).
    case malformed(path: String, reason: String)
    case unsupportedIRVersion(Int, supported: ClosedRange<Int>)
    case unsupportedOpset(Int, supported: ClosedRange<Int>)
    case missingGraph
    /// A tensor or value with an element type the engine does not compute with.
    case unsupportedDataType(name: String, onnxType: Int)
    /// A tensor whose stored data disagrees with its shape.
    case sizeMismatch(tensor: String, shape: [Int], expected: Int, got: Int, field: String)
    case externalDataEscapes(tensor: String, location: String)
    case externalDataUnreadable(tensor: String, path: String, reason: String)
    case externalDataOutOfRange(tensor: String, path: String, offset: Int, length: Int, fileSize: Int)
    case unsupportedTensorFeature(tensor: String, feature: String)
    case shape(ShapeError)
    case engine(EngineError)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case let .unwritable(path, reason): "cannot write \(path): \(reason)"
        case let .malformed(path, reason): "\(path) is not a valid ONNX model: \(reason)"
        case let .unsupportedIRVersion(v, r): "ONNX IR version \(v) is not supported (supported: \(r.lowerBound) to \(r.upperBound)); re-export the model with a matching exporter"
        case let .unsupportedOpset(v, r): "ONNX opset \(v) is not supported (supported: \(r.lowerBound) to \(r.upperBound)); convert it with onnx.version_converter"
        case .missingGraph: "the model has no graph"
        case let .unsupportedDataType(name, t): "'\(name)' has ONNX element type \(ONNXElementType.name(t)) (\(t)); only float32 and int64 are supported"
        case let .sizeMismatch(tensor, shape, expected, got, field):
            "tensor '\(tensor)' of shape \(shape) needs \(expected) \(field == "raw_data" ? "bytes" : "values") but its \(field) holds \(got); the file is corrupt"
        case let .externalDataEscapes(tensor, location):
            "tensor '\(tensor)': external data location '\(location)' leaves the model's folder; only relative paths inside it are allowed"
        case let .externalDataUnreadable(tensor, path, reason): "tensor '\(tensor)': cannot read external data \(path): \(reason)"
        case let .externalDataOutOfRange(tensor, path, offset, length, size):
            "tensor '\(tensor)': external data \(path) has \(size) bytes, offset \(offset) + length \(length) runs past it"
        case let .unsupportedTensorFeature(tensor, feature): "tensor '\(tensor)': \(feature) is not supported"
        case let .shape(e): e.description
        case let .engine(e): e.description
        }
    }
}

/// ONNX `TensorProto.DataType` codes and names.
public enum ONNXElementType {
    public static let float = 1, int64 = 7

    static let names = [1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64", 8: "STRING",
                        9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64",
                        15: "COMPLEX128", 16: "BFLOAT16"]

    public static func name(_ code: Int) -> String { names[code] ?? "type \(code)" }

    public static func dataType(_ code: Int) -> DataType? {
        switch code {
        case float: .float32
        case int64: .int64
        default: nil
        }
    }

    public static func code(_ type: DataType) -> Int {
        switch type {
        case .float32: float
        case .int64: int64
        }
    }
}
