import AsyncHTTPClient
import Foundation
import HDDNNCluster
import NIOCore
import NIOSSL

/// Talks to a running catalogue (`hddnn query --catalog URL`): over HTTPS with the project CA as
/// the only trust root and a bearer token (`hddnn token issue --scope query:<subject>`), or over
/// plain HTTP to a deployment that says `tls: off`.
public struct CatalogClient: Sendable {
    public var baseURL: String
    public var timeout: Double
    /// The project CA (PEM) to verify an https catalogue with.
    public var caCertificate: String?
    public var token: String?

    public init(baseURL: String, caCertificate: String? = nil, token: String? = nil, timeout: Double = 120) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.caCertificate = caCertificate
        self.token = token
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
        var configuration = HTTPClient.Configuration()
        configuration.tracing.tracer = nil   // as NodeClient: spans are HopTracing's
        if let caCertificate {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caCertificate)) } catch {
                throw .execution("cannot read the CA certificate \(caCertificate): \(error)")
            }
            configuration.tlsConfiguration = tls
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { Task { try? await http.shutdown() } }
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = body == nil ? .GET : .POST
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
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
            switch status {
            case 422: throw .execution("the planner refused: \(message)")
            case 401, 403: throw .execution("catalogue answered \(status): \(message) (issue a token with `hddnn token issue --scope query:<subject>` and pass it with --token)")
            default: throw .execution("catalogue answered \(status): \(message)")
            }
        }
        do { return try JSONDecoder().decode(Out.self, from: data) } catch {
            throw .execution("malformed answer from the catalogue: \(OIPCodec.describe(error))")
        }
    }
}
