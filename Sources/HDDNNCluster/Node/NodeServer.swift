import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import HDDNNTrust
import HummingbirdCore
import HummingbirdTLS

/// Puts a `NodeService` behind the Open Inference Protocol v2 (KServe v2 REST) on Hummingbird:
///
/// | route | answers |
/// |---|---|
/// | `GET /v2` | server metadata and extensions |
/// | `GET /v2/health/live` | 200 while the process runs |
/// | `GET /v2/health/ready` | 200 once the model answered its warm-up inference, else 503 |
/// | `GET /v2/models/{name}[/versions/{v}]` | model metadata (inputs, outputs) |
/// | `GET /v2/models/{name}[/versions/{v}]/ready` | 200 / 503, 404 for an unknown model |
/// | `POST /v2/models/{name}[/versions/{v}]/infer` | inference, JSON or binary tensors |
/// | `GET /metrics` | Prometheus text |
/// | `GET /hddnn/v1/node` | role, trust, model, start-up benchmark (`NodeInfo`) |
///
/// Every refusal is a 4xx/5xx with the protocol's `{"error": "..."}` and the node goes on serving.
///
/// Under TLS, `AuthenticationMiddleware` decides who calls and each route says what it needs
/// (`Permission`): the health routes answer anyone who completed the handshake; metadata and
/// inference need a node certificate or a token with `infer`; `/metrics` a node certificate or
/// `metrics`.
public struct NodeServer: Sendable {
    public let service: NodeService
    /// Verifies bearer tokens: nil under `tls: off`, or when the topology's token key is absent.
    public let tokens: TokenVerifier?

    /// Loads the token key the topology names, when it is there.
    public init(service: NodeService) throws(TLSSetupError) {
        self.service = service
        guard let tls = service.topology.tls, FileManager.default.fileExists(atPath: tls.tokens) else {
            tokens = nil
            return
        }
        do { tokens = try TokenVerifier.load(publicKey: tls.tokens, trustDomain: tls.trustDomain, audience: service.spec.name) } catch {
            throw .missing(what: "the token key", path: tls.tokens, reason: "\(error)")
        }
    }

    public static let version = "0.6.0"

    /// The router, for `Application` or for HummingbirdTesting.
    public func router() -> Router<NodeRequestContext> {
        let router = Router(context: NodeRequestContext.self)
        let service = self.service
        let denied: @Sendable (OIPError) -> Void = { _ in service.metrics.denied() }
        router.add(middleware: AuthenticationMiddleware(tls: service.topology.tls != nil, tokens: tokens,
                                                        logger: Logger(label: "hddnn.access.\(service.spec.name)"), refused: denied))
        router.on("/v2", method: .get, needs: .read, denied: denied) { _, _ in
            OIPHTTP.json(ServerMetadataResponse(name: "hddnn", version: Self.version,
                                        extensions: ["binary_tensor_data", "hddnn_task_metadata"]))
        }
        router.on("/v2/health/live", method: .get, needs: .health) { _, _ in Response(status: .ok) }
        router.on("/v2/health/ready", method: .get, needs: .health) { _, _ in Response(status: service.isReady ? .ok : .serviceUnavailable) }
        router.on("/hddnn/v1/node", method: .get, needs: .read, denied: denied) { _, _ in OIPHTTP.json(service.info) }
        router.on("/metrics", method: .get, needs: .metrics, denied: denied) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(bytes: service.metrics.exposition())))
        }
        for prefix in ["/v2/models/:model", "/v2/models/:model/versions/:version"] {
            router.on(RouterPath(prefix), method: .get, needs: .read, denied: denied) { _, context in
                try measured(service, route: "metadata") { () throws(OIPError) in
                    try metadata(service, model: context.parameters.get("model") ?? "")
                }
            }
            router.on(RouterPath("\(prefix)/ready"), method: .get, needs: .read, denied: denied) { _, context in
                try measured(service, route: "ready") { () throws(OIPError) in
                    _ = try metadata(service, model: context.parameters.get("model") ?? "")
                    return Response(status: service.isReady ? .ok : .serviceUnavailable)
                }
            }
            router.on(RouterPath("\(prefix)/infer"), method: .post, needs: .infer, denied: denied) { request, context in
                await infer(service, request: request, model: context.parameters.get("model") ?? "", caller: context.caller.node)
            }
        }
        return router
    }

    /// An application listening where the topology puts the node (port 0 picks a free one):
    /// HTTPS when the topology has `tls`, plain HTTP (with a warning) when it says `tls: off`.
    /// A client certificate, when presented, must pass `PeerVerifier` at the handshake; it is
    /// required there unless the node takes tokens, which clients without one present instead.
    public func application(host: String? = nil, port: Int? = nil,
                            onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let server: HTTPServerBuilder
        if let tls = service.topology.tls {
            let identity = try TLSIdentity(settings: tls, process: service.spec.name)
            let logger = service.logger, metrics = service.metrics
            if tokens == nil {
                service.logger.notice("no token key at \(tls.tokens): only callers with a project certificate are served")
            }
            server = try .tls(.http1(), configuration: TLSChannelConfiguration(
                tlsConfiguration: identity.serverConfiguration(clientCertificateRequired: tokens == nil),
                customAsyncVerificationCallback: { certificates in
                    await identity.verifyCaller(certificates, logger: logger) { _ in metrics.handshakeRefused() }
                }))
        } else {
            service.logger.warning("plain HTTP: the topology says `tls: off`, so callers are not authenticated and traffic is not encrypted")
            server = .http1()
        }
        return Application(
            router: router(),
            server: server,
            configuration: .init(address: .hostname(host ?? service.spec.host, port: port ?? service.spec.port),
                                 serverName: "hddnn/\(service.spec.name)"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: service.logger)
    }
}

private func measured(_ service: NodeService, route: String, _ body: () throws(OIPError) -> Response) rethrows -> Response {
    let start = ContinuousClock.now
    let response: Response
    do { response = try body() } catch { response = OIPHTTP.error(error) }
    service.metrics.request(route: route, status: Int(response.status.code), seconds: (ContinuousClock.now - start).seconds,
                            bytesIn: 0, bytesOut: 0)
    return response
}

private func metadata(_ service: NodeService, model: String) throws(OIPError) -> Response {
    guard model == service.modelName else { throw .unknownModel(model, served: [service.modelName]) }
    let card = service.model.card
    return OIPHTTP.json(ModelMetadataResponse(
        name: card.name, versions: ["1"], platform: "hddnn_onnx",
        inputs: [.init(name: card.input.name, datatype: "FP32", shape: card.input.shape)],
        outputs: [.init(name: card.output.name, datatype: "FP32", shape: [-1, card.output.labels.count])]))
}

private func infer(_ service: NodeService, request: Request, model: String, caller: NodeIdentity?) async -> Response {
    let start = ContinuousClock.now
    var received = 0
    let response: Response
    do throws(OIPError) {
        let (decoded, size) = try await OIPHTTP.inferRequest(request, limit: service.topology.defaults.maxBodyBytes)
        received = size
        let answer = try await service.infer(model: model, request: decoded, traceparent: OIPHTTP.traceparent(of: request), caller: caller)
        response = OIPHTTP.inferResponse(model: model, request: request, decoded: decoded, outputs: answer.outputs,
                                         parameters: answer.parameters)
    } catch {
        service.logger.notice("refused", metadata: ["model": "\(model)", "status": "\(error.status)", "error": "\(error)",
                                                    "caller": "\(caller?.uri ?? "unauthenticated")"])
        if case .forbidden = error { service.metrics.denied() }
        response = OIPHTTP.error(error)
    }
    let sent = response.body.contentLength ?? 0
    service.metrics.request(route: "infer", status: Int(response.status.code), seconds: (ContinuousClock.now - start).seconds,
                            bytesIn: received, bytesOut: sent)
    return response
}
