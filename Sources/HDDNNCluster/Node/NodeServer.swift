import Foundation
import Hummingbird
import Logging

/// Puts a `NodeService` behind the Open Inference Protocol v2 (KServe v2 REST), on the kit every
/// node shares (`NodeHTTPServer`: TLS, authentication, access log, health, `/v2`, `/metrics`,
/// `/hddnn/v1/node`), adding the model routes:
///
/// | route | answers | needs |
/// |---|---|---|
/// | `GET /v2/models/{name}[/versions/{v}]` | model metadata (inputs, outputs) | `.read` |
/// | `GET /v2/models/{name}[/versions/{v}]/ready` | 200 / 503, 404 for an unknown model | `.read` |
/// | `POST /v2/models/{name}[/versions/{v}]/infer` | inference, JSON or binary tensors | `.infer` |
///
/// `/hddnn/v1/node` answers `NodeInfo` (role, trust, model, start-up benchmark). Every refusal
/// is a 4xx/5xx with the protocol's `{"error": "..."}` and the node goes on serving.
public struct NodeServer: Sendable {
    public let service: NodeService
    public let kit: NodeHTTPServer

    public init(service: NodeService) throws(TLSSetupError) {
        self.service = service
        kit = try NodeHTTPServer(process: service.spec.name, topology: service.topology, metrics: service.metrics, logger: service.logger)
    }

    public static let version = "0.6.0"

    /// The router, for `Application` or for HummingbirdTesting.
    public func router() -> Router<NodeRequestContext> {
        let service = self.service
        let router = kit.router(server: ServerMetadataResponse(name: "hddnn", version: Self.version,
                                                               extensions: ["binary_tensor_data", "hddnn_task_metadata"]),
                                isReady: { service.isReady }, info: { service.info })
        for prefix in ["/v2/models/:model", "/v2/models/:model/versions/:version"] {
            kit.on(router, RouterPath(prefix), .get, needs: .read) { _, context in
                try measured(service, route: "metadata") { () throws(OIPError) in
                    try metadata(service, model: context.parameters.get("model") ?? "", context: context)
                }
            }
            kit.on(router, RouterPath("\(prefix)/ready"), .get, needs: .read) { _, context in
                try measured(service, route: "ready") { () throws(OIPError) in
                    let model = context.parameters.get("model") ?? ""
                    _ = try metadata(service, model: model, context: context)
                    return OIPHTTP.json(ModelReadyResponse(name: model, ready: service.isReady),
                                        status: service.isReady ? .ok : .serviceUnavailable)
                }
            }
            kit.infer(router, RouterPath("\(prefix)/infer")) { model, request, traceparent, caller throws(OIPError) in
                try await service.infer(model: model, request: request, traceparent: traceparent, caller: caller.node)
            }
        }
        return router
    }

    /// An application listening where the topology puts the node (see `NodeHTTPServer.application`).
    public func application(host: String? = nil, port: Int? = nil,
                            onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        try kit.application(router: router(), host: host ?? service.spec.host, port: port ?? service.spec.port,
                            onServerRunning: onServerRunning)
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

private func metadata(_ service: NodeService, model: String, context: NodeRequestContext) throws(OIPError) -> Response {
    guard model == service.modelName else { throw .unknownModel(model, served: [service.modelName]) }
    try NodeHTTPServer.checkVersion(context, model: model)
    let card = service.model.card
    return OIPHTTP.json(ModelMetadataResponse(
        name: card.name, versions: NodeHTTPServer.versions, platform: "hddnn_onnx",
        inputs: [.init(name: card.input.name, datatype: "FP32", shape: card.input.shape)],
        outputs: [.init(name: card.output.name, datatype: "FP32", shape: [-1, card.output.labels.count])]))
}
