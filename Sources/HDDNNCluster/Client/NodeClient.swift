import AsyncHTTPClient
import Foundation
import NIOSSL
import Logging
import NIOCore
import NIOHTTP1
import Tracing

/// Calls nodes over the Open Inference Protocol with a pooled AsyncHTTPClient, emulating the link
/// from this process to each node on the real bytes (`LinkEmulator`). Binary tensors by default.
///
/// A node that is gone on a real network answers nothing until the sender's timeout; on loopback
/// a killed process refuses at once. With `emulateSilentFailures` (the default) a refused
/// connection is charged the rest of the communication timeout, so the fault policies pay what
/// eq. 17 says they pay (OV_Reassign = N_t x t_timeout). Reports say this is emulated.
public final class NodeClient: Sendable {
    /// The process this client sends from (a node name or `coordinator`).
    public let origin: String
    public let topology: Topology
    public let links: LinkEmulator
    public let emulateSilentFailures: Bool
    private let http: HTTPClient
    private let maxResponseBytes: Int
    /// Sent as `Authorization: Bearer` on every request, for a client that is not a node.
    private let token: String?

    /// Under the topology's TLS the client presents `identity` (loaded for `origin` when not
    /// given) and addresses every node, and every process of `peers` (addressed like a node but
    /// not one of the topology's, such as the holistic catalogue), by its identity's DNS name
    /// (`TLSIdentity`). With a bearer `token` it presents no certificate and the token instead
    /// (an operator's client, such as `hddnn repository`).
    public init(origin: String, topology: Topology, peers: [NodeSpec] = [], emulateSilentFailures: Bool = true,
                identity: TLSIdentity? = nil, token: String? = nil) {
        self.origin = origin
        self.token = token
        self.topology = topology
        self.links = LinkEmulator(topology: topology)
        self.emulateSilentFailures = emulateSilentFailures
        var configuration = HTTPClient.Configuration()
        // The hops' spans are `HopTracing`'s (named for the node, with the task); the library's
        // own would add a span per health probe and a second `traceparent` header.
        configuration.tracing.tracer = nil
        if let tls = topology.tls {
            // Without its own certificate the client still refuses untrusted servers; servers
            // refuse it at the handshake, with a message in their logs.
            let identity = token != nil ? nil : identity ?? (try? TLSIdentity(settings: tls, process: origin))
            var client = identity?.clientConfiguration ?? TLSConfiguration.makeClientConfiguration()
            if identity == nil, let roots = try? NIOSSLCertificate.fromPEMFile(tls.ca) { client.trustRoots = .certificates(roots) }
            client.minimumTLSVersion = .tlsv12
            configuration.tlsConfiguration = client
            configuration.dnsOverride = Dictionary((topology.nodes + peers).map { (TLSIdentity.host(of: $0, tls: tls), $0.host) },
                                                   uniquingKeysWith: { first, _ in first })
        }
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        // A refused connection fails its request at once: the fault policies decide what a dead
        // node costs and where the task goes next. With AsyncHTTPClient's own retry on, the pool
        // to a killed node backs off exponentially (up to a minute), and requests to the same
        // node fail with the old error for that long after it has been started again.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(Int64(max(1, topology.defaults.timeout.rounded(.up)))))
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.maxResponseBytes = max(topology.defaults.maxBodyBytes, 64 << 20)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// What one inference exchange gave.
    public struct Exchange: Sendable {
        public var response: InferenceResponse
        public var outputs: [WireTensor]
        public var requestBytes: Int
        public var responseBytes: Int
        /// Wall seconds from send to decoded answer, emulated link time included.
        public var seconds: Double
        /// Wall seconds of the HTTP exchange alone (the server's time plus the real wire), the
        /// emulated link excluded: what a foreign server's compute is measured as from outside.
        public var serverSeconds: Double = 0
        /// The task record as the answering node returned it.
        public var metadata: TaskMetadata?
    }

    /// `POST /v2/models/{model}/infer` on `node`, with the task's metadata and any `parameters`
    /// beside it as request parameters.
    /// A refusal's message: the protocol's `{"error": ...}`, else the body's first 300 bytes.
    static func refusal(_ bytes: [UInt8]) -> String {
        (try? JSONDecoder().decode(ErrorResponse.self, from: Data(bytes)))?.error ?? String(decoding: bytes.prefix(300), as: UTF8.self)
    }

    public func infer(node: NodeSpec, model: String, version: String? = nil, inputs: [WireTensor], metadata: TaskMetadata?,
                      parameters: Parameters = [:], timeout: Double? = nil, traceparent: String? = nil,
                      binary: Bool = true) async throws(NodeClientError) -> Exchange {
        // The hop's client span (`HopTracing`): a child of the job's or the received request's span.
        try await HopTracing.span("infer \(node.name)", kind: .client,
                                  attributes: ["hddnn.node": .string(node.name), "hddnn.model": .string(model), "hddnn.task": .string(metadata?.taskID ?? "")]) {
            span throws(NodeClientError) in
            try await send(node: node, model: model, version: version, inputs: inputs, metadata: metadata, parameters: parameters,
                           timeout: timeout, traceparent: traceparent, binary: binary, span: span)
        }
    }

    private func send(node: NodeSpec, model: String, version: String?, inputs: [WireTensor], metadata: TaskMetadata?,
                      parameters: Parameters, timeout: Double?, traceparent: String?, binary: Bool,
                      span: any Span) async throws(NodeClientError) -> Exchange {
        let started = ContinuousClock.now
        let limit = timeout ?? topology.defaults.timeout
        // A foreign server gets a plain OIP request for the model it serves: JSON tensors (not
        // every server has the binary extension) and none of HDDNN's parameters.
        let foreign = node.foreign
        let (model, version, binary) = foreign.map { ($0.model, $0.version, false) } ?? (model, version, binary)
        let all = foreign != nil ? parameters : (metadata?.parameters ?? [:]).merging(parameters) { $1 }
        let body = OIPCodec.encodeRequest(id: metadata?.taskID, parameters: all.isEmpty ? nil : all, inputs: inputs,
                                          outputs: nil, binary: binary)
        var request = HTTPClientRequest(url: "\(topology.baseURL(node))/v2/models/\(model)\(version.map { "/versions/\($0)" } ?? "")/infer")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: binary ? "application/octet-stream" : "application/json")
        if let h = body.headerLength { request.headers.add(name: OIPCodec.headerLengthField, value: String(h)) }
        HopTracing.inject(span, into: &request.headers, received: traceparent)
        request.body = .bytes(ByteBuffer(bytes: body.bytes))

        await links.transmit(from: origin, to: node.name, bytes: body.bytes.count)
        let sent = ContinuousClock.now
        let (status, headers, bytes) = try await execute(request, node: node, limit: limit, started: started)
        let serverSeconds = (ContinuousClock.now - sent).seconds
        guard status == 200 else {
            throw .rejected(node: node.name, status: status, message: Self.refusal(bytes))
        }
        await links.transmit(from: node.name, to: origin, bytes: bytes.count)
        let headerLength = headers.first(name: OIPCodec.headerLengthField).flatMap { Int($0) }
        let decoded: OIPCodec.DecodedResponse
        do { decoded = try OIPCodec.decodeResponse(bytes, headerLength: headerLength) } catch {
            throw .malformedResponse(node: node.name, reason: error.description)
        }
        let returned: TaskMetadata?
        // A foreign server's parameters are its own: they are kept in the answer, never read as a task's record.
        do { returned = foreign != nil ? nil : try TaskMetadata(parameters: decoded.response.parameters) } catch {
            throw .malformedResponse(node: node.name, reason: error.description)
        }
        span.attributes["hddnn.bytes_sent"] = body.bytes.count
        span.attributes["hddnn.bytes_received"] = bytes.count
        if let version = decoded.response.modelVersion { span.attributes["hddnn.model_version"] = version }
        return Exchange(response: decoded.response, outputs: decoded.outputs, requestBytes: body.bytes.count,
                        responseBytes: bytes.count, seconds: (ContinuousClock.now - started).seconds, serverSeconds: serverSeconds,
                        metadata: returned)
    }

    /// Readiness as the protocol defines it (`GET /v2/health/ready` answers 200): the node's
    /// model is loaded and answered its warm-up inference.
    public func isReady(_ node: NodeSpec, timeout: Double) async -> Bool {
        var request = HTTPClientRequest(url: "\(topology.baseURL(node))/v2/health/ready")
        request.method = .GET
        guard let response = try? await http.execute(request, timeout: .milliseconds(Int64(timeout * 1000))) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return response.status == .ok
    }

    /// `GET path` on a node, decoded as JSON.
    public func get<T: Decodable>(_ type: T.Type, node: NodeSpec, path: String, timeout: Double = 5) async throws(NodeClientError) -> T {
        var request = HTTPClientRequest(url: "\(topology.baseURL(node))\(path)")
        request.method = .GET
        let (status, _, bytes) = try await execute(request, node: node, limit: timeout, started: .now)
        guard status == 200 else {
            throw .rejected(node: node.name, status: status, message: Self.refusal(bytes))
        }
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch {
            throw .malformedResponse(node: node.name, reason: OIPCodec.describe(error))
        }
    }

    /// `POST path` on a node with `body` as JSON, the answer decoded as JSON.
    public func post<Body: Encodable, T: Decodable>(_ body: Body, as type: T.Type, node: NodeSpec, path: String,
                                                    timeout: Double = 5) async throws(NodeClientError) -> T {
        var request = HTTPClientRequest(url: "\(topology.baseURL(node))\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: (try? JSONEncoder().encode(body)) ?? Data()))
        let (status, _, bytes) = try await execute(request, node: node, limit: timeout, started: .now)
        guard status == 200 else {
            throw .rejected(node: node.name, status: status, message: Self.refusal(bytes))
        }
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch {
            throw .malformedResponse(node: node.name, reason: OIPCodec.describe(error))
        }
    }

    private func execute(_ request: HTTPClientRequest, node: NodeSpec, limit: Double,
                         started: ContinuousClock.Instant) async throws(NodeClientError) -> (Int, HTTPHeaders, [UInt8]) {
        let remaining = max(0.001, limit - (ContinuousClock.now - started).seconds)
        var request = request
        if let token { request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)") }
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(remaining * 1000)))
            let buffer = try await response.body.collect(upTo: maxResponseBytes)
            return (Int(response.status.code), response.headers, Array(buffer.readableBytesView))
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw .timedOut(node: node.name, seconds: limit)
        } catch is CancellationError {
            throw .cancelled(node: node.name)
        } catch {
            if Task.isCancelled { throw .cancelled(node: node.name) }
            // Loopback refuses a dead process at once; a real network stays silent until timeout.
            if emulateSilentFailures {
                let left = min(limit, topology.defaults.timeout) - (ContinuousClock.now - started).seconds
                if left > 0 { try? await Task.sleep(for: .seconds(left)) }
            }
            throw .unreachable(node: node.name, reason: "\(error)")
        }
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
