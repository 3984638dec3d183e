import Foundation

/// The JSON documents of the Open Inference Protocol v2 (KServe v2 REST, also spoken by Triton,
/// MLServer and OpenVINO Model Server), field for field, so any of their clients can call a node
/// and our client can call any of their servers.
///
/// Tensor contents travel either in `data` (JSON numbers, flat or nested) or, with the binary
/// tensor extension, after the JSON header with `parameters.binary_data_size` giving each
/// tensor's byte count (see `OIPCodec`).
public struct InferenceRequest: Codable, Sendable {
    public var id: String?
    public var parameters: Parameters?
    public var inputs: [RequestInput]
    public var outputs: [RequestOutput]?

    public init(id: String? = nil, parameters: Parameters? = nil, inputs: [RequestInput], outputs: [RequestOutput]? = nil) {
        self.id = id
        self.parameters = parameters
        self.inputs = inputs
        self.outputs = outputs
    }
}

public struct RequestInput: Codable, Sendable {
    public var name: String
    public var shape: [Int]
    public var datatype: String
    public var parameters: Parameters?
    public var data: TensorData?

    public init(name: String, shape: [Int], datatype: String, parameters: Parameters? = nil, data: TensorData? = nil) {
        self.name = name
        self.shape = shape
        self.datatype = datatype
        self.parameters = parameters
        self.data = data
    }
}

public struct RequestOutput: Codable, Sendable {
    public var name: String
    public var parameters: Parameters?

    public init(name: String, parameters: Parameters? = nil) {
        self.name = name
        self.parameters = parameters
    }
}

public struct InferenceResponse: Codable, Sendable {
    public var modelName: String
    public var modelVersion: String?
    public var id: String?
    public var parameters: Parameters?
    public var outputs: [ResponseOutput]

    enum CodingKeys: String, CodingKey {
        case modelName = "model_name", modelVersion = "model_version", id, parameters, outputs
    }

    public init(modelName: String, modelVersion: String? = nil, id: String? = nil, parameters: Parameters? = nil, outputs: [ResponseOutput]) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.id = id
        self.parameters = parameters
        self.outputs = outputs
    }
}

public typealias ResponseOutput = RequestInput

/// `GET /v2/models/{name}`.
public struct ModelMetadataResponse: Codable, Sendable {
    public struct TensorMetadata: Codable, Sendable {
        public var name: String
        public var datatype: String
        public var shape: [Int]

        public init(name: String, datatype: String, shape: [Int]) {
            self.name = name
            self.datatype = datatype
            self.shape = shape
        }
    }
    public var name: String
    public var versions: [String]
    public var platform: String
    public var inputs: [TensorMetadata]
    public var outputs: [TensorMetadata]

    public init(name: String, versions: [String], platform: String, inputs: [TensorMetadata], outputs: [TensorMetadata]) {
        self.name = name
        self.versions = versions
        self.platform = platform
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// `GET /v2`.
/// `GET /v2/models/{name}[/versions/{v}]/ready`: the protocol's model-ready response.
public struct ModelReadyResponse: Codable, Sendable {
    public var name: String
    public var ready: Bool

    public init(name: String, ready: Bool) {
        self.name = name
        self.ready = ready
    }
}

public struct ServerMetadataResponse: Codable, Sendable {
    public var name: String
    public var version: String
    public var extensions: [String]

    public init(name: String, version: String, extensions: [String]) {
        self.name = name
        self.version = version
        self.extensions = extensions
    }
}

/// The protocol's error document: `{"error": "..."}`.
public struct ErrorResponse: Codable, Sendable {
    public var error: String

    public init(error: String) { self.error = error }
}

/// OIP `parameters`: a map of scalar values (the protocol allows no nesting; structure travels as
/// a JSON string, as HDDNN's task metadata does).
public typealias Parameters = [String: ParameterValue]

public enum ParameterValue: Codable, Sendable, Equatable, CustomStringConvertible {
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "parameter values must be a bool, number or string (OIP parameters are scalars)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        }
    }

    public var int: Int? {
        switch self {
        case .int(let i): i
        case .double(let d) where d == d.rounded(): Int(exactly: d)
        default: nil
        }
    }
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var double: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .string(let s): s
        }
    }
}

/// The `data` of a JSON tensor: numbers, flat or nested in row-major order (both forms appear in
/// the protocol's examples; Triton's client sends flat, KServe's docs show nested).
public struct TensorData: Codable, Sendable, Equatable {
    public var values: [Double]

    public init(_ values: [Double]) { self.values = values }

    public init(from decoder: any Decoder) throws {
        var values: [Double] = []
        try Self.flatten(decoder, into: &values)
        self.values = values
    }

    private static func flatten(_ decoder: any Decoder, into values: inout [Double]) throws {
        if var array = try? decoder.unkeyedContainer() {
            while !array.isAtEnd {
                if let v = try? array.decode(Double.self) { values.append(v); continue }
                if let b = try? array.decode(Bool.self) { values.append(b ? 1 : 0); continue }
                let nested = try array.superDecoder()
                try flatten(nested, into: &values)
            }
        } else {
            let c = try decoder.singleValueContainer()
            values.append(try c.decode(Double.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        for v in values { try c.encode(v) }
    }
}
