import Foundation

/// Bodies of `POST /v2/models/{name}/infer` in both of the protocol's framings:
///
/// - JSON: the whole body is the JSON document and tensors sit in `data`.
/// - Binary tensor extension: the `Inference-Header-Content-Length` header gives the JSON
///   header's byte length; the tensors' raw bytes follow it, in the order of the JSON's tensors
///   that carry `parameters.binary_data_size`.
///
/// Framing is decided by the header alone, never by Content-Type (Triton's rule): a body with
/// binary tensors and no header is malformed. Every disagreement between header and body is a
/// 400 naming the tensor and both sizes.
public enum OIPCodec {
    public static let headerLengthField = "Inference-Header-Content-Length"

    /// A decoded request: the JSON document and its input tensors by name.
    public struct DecodedRequest: Sendable {
        public var request: InferenceRequest
        public var inputs: [WireTensor]
    }

    /// A decoded response: the JSON document and its output tensors.
    public struct DecodedResponse: Sendable {
        public var response: InferenceResponse
        public var outputs: [WireTensor]
    }

    /// An encoded body and, for binary framing, the JSON header length to send in the header.
    public struct EncodedBody: Sendable {
        public var bytes: [UInt8]
        public var headerLength: Int?
    }

    // MARK: Decoding

    public static func decodeRequest(_ body: [UInt8], headerLength: Int?) throws(OIPError) -> DecodedRequest {
        let (json, binary) = try frame(body, headerLength: headerLength)
        let request: InferenceRequest
        do { request = try JSONDecoder().decode(InferenceRequest.self, from: Data(json)) } catch {
            throw .badRequest("request body is not a valid inference request: \(describe(error))")
        }
        guard !request.inputs.isEmpty else { throw .badRequest("request has no inputs") }
        var reader = BinaryReader(bytes: binary, framed: headerLength != nil)
        let inputs = try request.inputs.map { (i: RequestInput) throws(OIPError) in try tensor(i, &reader) }
        try reader.finish()
        return DecodedRequest(request: request, inputs: inputs)
    }

    public static func decodeResponse(_ body: [UInt8], headerLength: Int?) throws(OIPError) -> DecodedResponse {
        let (json, binary) = try frame(body, headerLength: headerLength)
        let response: InferenceResponse
        do { response = try JSONDecoder().decode(InferenceResponse.self, from: Data(json)) } catch {
            throw .badRequest("response body is not a valid inference response: \(describe(error))")
        }
        var reader = BinaryReader(bytes: binary, framed: headerLength != nil)
        let outputs = try response.outputs.map { (o: ResponseOutput) throws(OIPError) in try tensor(o, &reader) }
        try reader.finish()
        return DecodedResponse(response: response, outputs: outputs)
    }

    private static func frame(_ body: [UInt8], headerLength: Int?) throws(OIPError) -> (ArraySlice<UInt8>, ArraySlice<UInt8>) {
        guard let n = headerLength else { return (body[...], []) }
        guard n > 0, n <= body.count else {
            throw .badRequest("\(headerLengthField) is \(n) but the body has \(body.count) bytes")
        }
        return (body[..<n], body[n...])
    }

    private struct BinaryReader {
        var bytes: ArraySlice<UInt8>
        let framed: Bool

        mutating func take(_ n: Int, tensor: String) throws(OIPError) -> ArraySlice<UInt8> {
            guard framed else {
                throw .badRequest("tensor '\(tensor)' has binary_data_size but the request has no \(OIPCodec.headerLengthField) header")
            }
            guard n <= bytes.count else {
                throw .badRequest("tensor '\(tensor)' declares binary_data_size \(n) but only \(bytes.count) bytes follow the JSON header")
            }
            defer { bytes = bytes.dropFirst(n) }
            return bytes.prefix(n)
        }

        func finish() throws(OIPError) {
            guard bytes.isEmpty else {
                throw .badRequest("\(bytes.count) bytes after the JSON header are not claimed by any tensor's binary_data_size")
            }
        }
    }

    private static func tensor(_ t: RequestInput, _ reader: inout BinaryReader) throws(OIPError) -> WireTensor {
        guard let size = WireTensor.elementSize(t.datatype) else {
            throw .badRequest("tensor '\(t.name)' has datatype '\(t.datatype)'; supported: FP32, UINT8, INT64")
        }
        guard t.shape.allSatisfy({ $0 >= 0 }) else { throw .badRequest("tensor '\(t.name)' has a negative dimension in shape \(t.shape)") }
        var count = 1
        for d in t.shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, p <= (1 << 31) else { throw .badRequest("tensor '\(t.name)' shape \(t.shape) is too large") }
            count = p
        }
        if let declared = t.parameters?["binary_data_size"] {
            guard let n = declared.int, n >= 0 else { throw .badRequest("tensor '\(t.name)': binary_data_size must be a whole number") }
            guard n == count * size else {
                throw .badRequest("tensor '\(t.name)': binary_data_size is \(n) bytes but shape \(t.shape) of \(t.datatype) needs \(count * size)")
            }
            guard t.data == nil else { throw .badRequest("tensor '\(t.name)' has both data and binary_data_size") }
            let raw = try reader.take(n, tensor: t.name)
            return WireTensor(name: t.name, shape: t.shape, payload: payload(raw, datatype: t.datatype, count: count))
        }
        guard let values = t.data?.values else { throw .badRequest("tensor '\(t.name)' has neither data nor binary_data_size") }
        guard values.count == count else {
            throw .badRequest("tensor '\(t.name)' has \(values.count) values but shape \(t.shape) needs \(count)")
        }
        switch t.datatype {
        case "FP32": return WireTensor(name: t.name, shape: t.shape, payload: .fp32(values.map { Float($0) }))
        case "INT64": return WireTensor(name: t.name, shape: t.shape, payload: .int64(values.map { Int64($0) }))
        default:
            guard values.allSatisfy({ $0 >= 0 && $0 <= 255 && $0 == $0.rounded() }) else {
                throw .badRequest("tensor '\(t.name)' is UINT8 but holds values outside 0...255")
            }
            return WireTensor(name: t.name, shape: t.shape, payload: .uint8(values.map { UInt8($0) }))
        }
    }

    private static func payload(_ raw: ArraySlice<UInt8>, datatype: String, count: Int) -> WireTensor.Payload {
        switch datatype {
        case "FP32":
            var v = [Float](repeating: 0, count: count)
            v.withUnsafeMutableBytes { dst in raw.withUnsafeBytes { dst.copyMemory(from: $0) } }
            return .fp32(v)
        case "INT64":
            var v = [Int64](repeating: 0, count: count)
            v.withUnsafeMutableBytes { dst in raw.withUnsafeBytes { dst.copyMemory(from: $0) } }
            return .int64(v)
        default:
            return .uint8(Array(raw))
        }
    }

    // MARK: Encoding

    /// A request body; binary framing unless `binary` is false.
    public static func encodeRequest(id: String?, parameters: Parameters?, inputs: [WireTensor],
                                     outputs: [String]?, binary: Bool) -> EncodedBody {
        var params = parameters ?? [:]
        if binary { params["binary_data_output"] = .bool(true) }
        let document = InferenceRequest(
            id: id, parameters: params.isEmpty ? nil : params,
            inputs: inputs.map { describe($0, binary: binary) },
            outputs: outputs?.map { RequestOutput(name: $0, parameters: binary ? ["binary_data": .bool(true)] : nil) })
        return assemble(document, tensors: inputs, binary: binary)
    }

    /// A response body; outputs binary when `binary` is true.
    public static func encodeResponse(_ header: InferenceResponse, outputs: [WireTensor], binary: Bool) -> EncodedBody {
        var document = header
        document.outputs = outputs.map { describe($0, binary: binary) }
        return assemble(document, tensors: outputs, binary: binary)
    }

    private static func describe(_ t: WireTensor, binary: Bool) -> RequestInput {
        guard !binary else {
            return RequestInput(name: t.name, shape: t.shape, datatype: t.datatype,
                                parameters: ["binary_data_size": .int(t.byteCount)])
        }
        let values: [Double] = switch t.payload {
        case .fp32(let v): v.map(Double.init)
        case .uint8(let v): v.map(Double.init)
        case .int64(let v): v.map(Double.init)
        }
        return RequestInput(name: t.name, shape: t.shape, datatype: t.datatype, data: TensorData(values))
    }

    private static func assemble<Document: Encodable>(_ document: Document, tensors: [WireTensor], binary: Bool) -> EncodedBody {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = [UInt8]((try? encoder.encode(document)) ?? Data())
        guard binary else { return EncodedBody(bytes: bytes, headerLength: nil) }
        let headerLength = bytes.count
        bytes.reserveCapacity(headerLength + tensors.reduce(0) { $0 + $1.byteCount })
        for t in tensors {
            switch t.payload {
            case .fp32(let v): v.withUnsafeBytes { bytes.append(contentsOf: $0) }
            case .uint8(let v): bytes.append(contentsOf: v)
            case .int64(let v): v.withUnsafeBytes { bytes.append(contentsOf: $0) }
            }
        }
        return EncodedBody(bytes: bytes, headerLength: headerLength)
    }

    public static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let ctx):
            "missing field '\(path(ctx.codingPath + [key]))'"
        case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
            "field '\(path(ctx.codingPath))': \(ctx.debugDescription)"
        case DecodingError.dataCorrupted(let ctx):
            ctx.codingPath.isEmpty ? "not valid JSON" : "field '\(path(ctx.codingPath))': \(ctx.debugDescription)"
        default: "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
    }
}
