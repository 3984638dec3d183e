import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The HTTP side of the Open Inference Protocol that every server of ours shares (the HDDNN
/// node, the holistic layer's service node and catalogue): JSON bodies, the protocol's error
/// body, reading an infer request within a size limit (binary tensor extension included) and
/// writing its answer in the encoding the client asked for.
public enum OIPHTTP {
    static let headerLength = HTTPField.Name(OIPCodec.headerLengthField)!
    static let traceparent = HTTPField.Name("traceparent")!

    /// `value` as a JSON response with sorted keys (stable bodies diff well in tests and logs).
    public static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The protocol's `{"error": "..."}` with the status the error maps to.
    /// A 401 also says how to authenticate (RFC 6750 §3).
    public static func error(_ error: OIPError) -> Response {
        var response = json(ErrorResponse(error: error.description), status: HTTPResponse.Status(code: error.status))
        if case .unauthorized = error { response.headers[.wwwAuthenticate] = #"Bearer realm="hddnn", error="invalid_token""# }
        return response
    }

    /// The body of a request as bytes, refused with 413 past `limit`.
    public static func body(of request: Request, limit: Int) async throws(OIPError) -> ByteBuffer {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw .bodyTooLarge(limit: limit)
        }
        do { return try await request.body.collect(upTo: limit) } catch is NIOTooManyBytesError {
            throw .bodyTooLarge(limit: limit)
        } catch {
            throw .badRequest("could not read the request body: \(error)")
        }
    }

    /// A JSON body as `T`, read within `limit`; a malformed one is a 400 that says what is wrong,
    /// an empty one is `empty` when the route allows it.
    public static func decode<T: Decodable>(_ type: T.Type, of request: Request, limit: Int, empty: T? = nil) async throws(OIPError) -> T {
        let body = try await body(of: request, limit: limit)
        if body.readableBytes == 0, let empty { return empty }
        do { return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView)) } catch {
            throw .badRequest("malformed \(T.self): \(OIPCodec.describe(error))")
        }
    }

    /// Reads and decodes `POST .../infer`: JSON, or binary tensors after
    /// `Inference-Header-Content-Length` bytes of JSON. Returns the request and its size in bytes.
    public static func inferRequest(_ request: Request, limit: Int) async throws(OIPError) -> (OIPCodec.DecodedRequest, Int) {
        let body = try await body(of: request, limit: limit)
        var headerLength: Int?
        if let field = request.headers[Self.headerLength] {
            guard let n = Int(field.trimmingCharacters(in: .whitespaces)) else {
                throw .badRequest("\(OIPCodec.headerLengthField) '\(field)' is not a number")
            }
            headerLength = n
        }
        return (try OIPCodec.decodeRequest(Array(body.readableBytesView), headerLength: headerLength), body.readableBytes)
    }

    /// The answer to an infer request, binary when the request asked for binary outputs; the
    /// request's `traceparent` is echoed.
    public static func inferResponse(model: String, version: String = "1", request: Request, decoded: OIPCodec.DecodedRequest,
                                     outputs: [WireTensor], parameters: Parameters?) -> Response {
        let binary = decoded.request.parameters?["binary_data_output"]?.bool == true
            || decoded.request.outputs?.contains { $0.parameters?["binary_data"]?.bool == true } == true
        let encoded = OIPCodec.encodeResponse(
            InferenceResponse(modelName: model, modelVersion: version, id: decoded.request.id, parameters: parameters, outputs: []),
            outputs: outputs, binary: binary)
        var headers: HTTPFields = [.contentType: binary ? "application/octet-stream" : "application/json"]
        if let h = encoded.headerLength { headers[Self.headerLength] = String(h) }
        if let trace = request.headers[Self.traceparent] { headers[Self.traceparent] = trace }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: encoded.bytes)))
    }

    /// The W3C trace context of a request, to forward and echo.
    public static func traceparent(of request: Request) -> String? { request.headers[Self.traceparent] }
}
