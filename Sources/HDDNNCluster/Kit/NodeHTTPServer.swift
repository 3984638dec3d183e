import Foundation
import HDDNNTrust
import Hummingbird
import HTTPTypes
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import Tracing

/// What every server process of a topology shares, written once: TLS with the project's
/// identities (client certificates checked at the handshake, bearer tokens when the node has
/// the token key), `AuthenticationMiddleware` and its access log, the protocol's server-metadata
/// and health routes, `/metrics`, the node's description at `/hddnn/v1/node`, and the infer
/// route's framing (body limit, binary or JSON tensors, refusals as the protocol's errors,
/// counters). The HDDNN node (`NodeServer`) and the holistic layer's service node
/// (`ServiceNodeServer`) add only their own model routes and admission rules.
public struct NodeHTTPServer: Sendable {
    /// This process's name in the topology: whose certificate it serves with.
    public let process: String
    public let topology: Topology
    /// Verifies bearer tokens: nil under `tls: off`, or when the topology's token key is absent.
    public let tokens: TokenVerifier?
    public let metrics: NodeMetrics
    public let logger: Logger

    /// Loads the token key the topology names, when it is there.
    public init(process: String, topology: Topology, metrics: NodeMetrics, logger: Logger) throws(TLSSetupError) {
        self.process = process
        self.topology = topology
        self.metrics = metrics
        self.logger = logger
        guard let tls = topology.tls, FileManager.default.fileExists(atPath: tls.tokens) else {
            tokens = nil
            return
        }
        do {
            tokens = try TokenVerifier.load(publicKey: tls.tokens, trustDomain: tls.trustDomain, audience: process,
                                            revocations: RevocationList(besideCA: tls.ca))
        } catch {
            throw .missing(what: "the token key", path: tls.tokens, reason: "\(error)")
        }
    }

    /// A router with authentication installed and the routes every node answers:
    ///
    /// | route | answers | needs |
    /// |---|---|---|
    /// | `GET /v2` | `server` | `.read` |
    /// | `GET /v2/health/live` | 200 and `{"live": true}` while the process runs | `.health` |
    /// | `GET /v2/health/ready` | 200 and `{"ready": true}` when `isReady`, else 503 and false | `.health` |
    /// | `GET /hddnn/v1/node` | `info()` | `.read` |
    /// | `GET /metrics` | Prometheus text | `.metrics` |
    public func router<Info: Encodable & Sendable>(server: ServerMetadataResponse, isReady: @escaping @Sendable () -> Bool,
                                                   info: @escaping @Sendable () throws(OIPError) -> Info) -> Router<NodeRequestContext> {
        let router = Router(context: NodeRequestContext.self)
        let metrics = self.metrics
        router.add(middleware: AuthenticationMiddleware(tls: topology.tls != nil, tokens: tokens,
                                                        logger: Logger(label: "hddnn.access.\(process)"), refused: denied))
        on(router, "/v2", .get, needs: .read) { _, _ in OIPHTTP.json(server) }
        // The bodies KServe's and MLServer's clients read (the protocol's server live and ready
        // responses); an empty body fails their `is_server_live`.
        on(router, "/v2/health/live", .get, needs: .health) { _, _ in OIPHTTP.json(["live": true]) }
        on(router, "/v2/health/ready", .get, needs: .health) { _, _ in
            let ready = isReady()
            return OIPHTTP.json(["ready": ready], status: ready ? .ok : .serviceUnavailable)
        }
        on(router, "/hddnn/v1/node", .get, needs: .read) { _, _ throws(OIPError) in OIPHTTP.json(try info()) }
        on(router, "/metrics", .get, needs: .metrics) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        return router
    }

    /// Adds a route that first asks `permission` of the caller (`Caller.authorize`), counting a
    /// refusal: the one place a node's routes say who may call them. An `OIPError` that `handler`
    /// throws is answered as the protocol's error, here once for every route.
    public func on(_ router: Router<NodeRequestContext>, _ path: RouterPath, _ method: HTTPRequest.Method, needs permission: Permission,
                   use handler: @escaping @Sendable (Request, NodeRequestContext) async throws -> Response) {
        let denied = self.denied
        router.on(path, method: method) { request, context -> Response in
            do throws(OIPError) { try context.caller.authorize(permission) } catch {
                denied(error)
                return OIPHTTP.error(error)
            }
            do { return try await handler(request, context) } catch let error as OIPError { return OIPHTTP.error(error) }
        }
    }

    /// `POST path` for inference (`.infer`): reads the body within the topology's limit, hands
    /// the decoded request to `handle` with the path's model and version (nil: the latest) and
    /// the authenticated caller, and answers in the request's framing; a refusal is logged with
    /// the caller and answered as the protocol's error.
    public func infer(_ router: Router<NodeRequestContext>, _ path: RouterPath,
                      handle: @escaping @Sendable (_ model: String, _ version: String?, _ request: OIPCodec.DecodedRequest,
                                                   _ traceparent: String?, _ caller: Caller) async throws(OIPError) -> InferenceAnswer) {
        let limit = topology.defaults.maxBodyBytes, metrics = self.metrics, logger = self.logger, denied = self.denied
        let process = self.process
        on(router, path, .post, needs: .infer) { request, context in
            let model = context.parameters.get("model") ?? ""
            let start = ContinuousClock.now
            var received = 0
            metrics.inferStarted()
            defer { metrics.inferEnded() }
            // The hop's server span, the child of the sender's client span (`HopTracing`).
            let response = await HopTracing.span("infer \(model)", kind: .server, context: HopTracing.context(of: request.headers),
                                                 attributes: ["hddnn.node": .string(process), "hddnn.caller": .string("\(context.caller)")]) { span -> Response in
                do throws(OIPError) {
                    let (decoded, size) = try await OIPHTTP.inferRequest(request, limit: limit)
                    received = size
                    if let task = decoded.request.id { span.attributes["hddnn.task"] = task }
                    let answer = try await handle(model, context.parameters.get("version"), decoded, OIPHTTP.traceparent(of: request),
                                                  context.caller)
                    span.attributes["hddnn.model_version"] = answer.version
                    return OIPHTTP.inferResponse(model: model, version: answer.version, request: request, decoded: decoded,
                                                 outputs: answer.outputs, parameters: answer.parameters)
                } catch {
                    logger.notice("refused", metadata: ["model": "\(model)", "status": "\(error.status)", "error": "\(error)",
                                                        "caller": "\(context.caller)"])
                    if case .forbidden = error { denied(error) }
                    span.attributes["http.response.status_code"] = error.status
                    span.setStatus(.init(code: .error, message: "\(error)"))
                    return OIPHTTP.error(error)
                }
            }
            metrics.request(route: "infer", status: Int(response.status.code), seconds: (ContinuousClock.now - start).seconds,
                            bytesIn: received, bytesOut: response.body.contentLength ?? 0)
            return response
        }
    }

    /// An application listening at `host:port` (port 0 picks a free one): HTTPS when the topology
    /// has `tls`, plain HTTP (with a warning) when it says `tls: off`. A client certificate, when
    /// presented, must pass `PeerVerifier` at the handshake; it is required there unless the
    /// node takes tokens, which clients without one present instead.
    public func application(router: Router<NodeRequestContext>, host: String, port: Int,
                            onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let server: HTTPServerBuilder
        if let tls = topology.tls {
            let identity = try TLSIdentity(settings: tls, process: process)
            let logger = self.logger, metrics = self.metrics
            if tokens == nil {
                logger.notice("no token key at \(tls.tokens): only callers with a project certificate are served")
            }
            server = try .tls(.http1(), configuration: TLSChannelConfiguration(
                tlsConfiguration: identity.serverConfiguration(clientCertificateRequired: tokens == nil),
                customAsyncVerificationCallback: { certificates in
                    await identity.verifyCaller(certificates, logger: logger) { _ in metrics.handshakeRefused() }
                }))
        } else {
            logger.warning("plain HTTP (the topology says `tls: off`, or this is a standalone `hddnn serve --model`): callers are not authenticated and traffic is not encrypted")
            server = .http1()
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "hddnn/\(process)"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    private var denied: @Sendable (OIPError) -> Void {
        let metrics = self.metrics
        return { _ in metrics.denied() }
    }
}
