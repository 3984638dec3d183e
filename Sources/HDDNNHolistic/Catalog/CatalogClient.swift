import AsyncHTTPClient
import Foundation
import HDDNNCluster
import NIOCore

/// Talks to a running catalogue over HTTP (`hddnn query --catalog URL`).
public struct CatalogClient: Sendable {
    public var baseURL: String
    public var timeout: Double

    public init(baseURL: String, timeout: Double = 120) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
    }

    public func query(_ q: Query) async throws(HolisticError) -> QueryAnswer { try await post("/hddnn/v1/query", q) }
    public func plan(_ q: Query) async throws(HolisticError) -> Plan { try await post("/hddnn/v1/plan", q) }
    public func listing() async throws(HolisticError) -> Catalog.Listing { try await send("/hddnn/v1/catalog", body: nil) }

    private func post<In: Encodable, Out: Decodable>(_ path: String, _ value: In) async throws(HolisticError) -> Out {
        let body: Data
        do { body = try JSONEncoder().encode(value) } catch { throw .execution("cannot encode the request: \(error)") }
        return try await send(path, body: body)
    }

    private func send<Out: Decodable>(_ path: String, body: Data?) async throws(HolisticError) -> Out {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { Task { try? await http.shutdown() } }
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = body == nil ? .GET : .POST
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let status: UInt, bytes: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            status = response.status.code
            bytes = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw .execution("no answer from the catalogue at \(baseURL): \(error); start one with `hddnn holistic catalog --start`")
        }
        let data = Data(bytes.readableBytesView)
        guard status == 200 else {
            let message = (try? JSONDecoder().decode(ErrorResponse.self, from: data))?.error ?? String(decoding: data.prefix(300), as: UTF8.self)
            throw status == 422 ? .execution("the planner refused: \(message)") : .execution("catalogue answered \(status): \(message)")
        }
        do { return try JSONDecoder().decode(Out.self, from: data) } catch {
            throw .execution("malformed answer from the catalogue: \(OIPCodec.describe(error))")
        }
    }
}
