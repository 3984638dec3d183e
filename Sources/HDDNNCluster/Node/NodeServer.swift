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
/// | `POST /v2/repository/index` | every model in the node's folder, loaded or not (Triton's extension) | `.admin` |
/// | `POST /v2/repository/models/{name}/load` | loads every version of `name` on disk | `.admin` |
/// | `POST /v2/repository/models/{name}/unload` | unloads `name` (not the node's own model) | `.admin` |
///
/// Without `/versions/{v}` a route means the model's latest version; a version the node does
/// not serve is a 404 that lists those it does.
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
                                isReady: { service.isReady }, info: { () throws(OIPError) in try service.info })
        for prefix in ["/v2/models/:model", "/v2/models/:model/versions/:version"] {
            kit.on(router, RouterPath(prefix), .get, needs: .read) { _, context in
                measured(service, route: "metadata") { () throws(OIPError) in
                    let served = try resolve(service, context)
                    return OIPHTTP.json(served.metadata(versions: service.repository.versions(of: served.name)))
                }
            }
            kit.on(router, RouterPath("\(prefix)/ready"), .get, needs: .read) { _, context in
                measured(service, route: "ready") { () throws(OIPError) in
                    let served = try resolve(service, context)
                    return OIPHTTP.json(ModelReadyResponse(name: served.name, ready: service.isReady),
                                        status: service.isReady ? .ok : .serviceUnavailable)
                }
            }
            kit.infer(router, RouterPath("\(prefix)/infer")) { model, version, request, traceparent, caller throws(OIPError) in
                try await service.infer(model: model, version: version, request: request, traceparent: traceparent, caller: caller.node)
            }
        }
        repositoryRoutes(router)
        return router
    }

    /// Triton's model repository extension, for admin tokens only (`Permission.admin`).
    private func repositoryRoutes(_ router: Router<NodeRequestContext>) {
        let service = self.service, limit = 64 * 1024
        kit.on(router, "/v2/repository/index", .post, needs: .admin) { request, _ throws(OIPError) in
            let filter = try await OIPHTTP.decode(RepositoryIndexRequest.self, of: request, limit: limit, empty: RepositoryIndexRequest())
            return OIPHTTP.json(service.repository.index().filter { filter.ready != true || $0.state == .ready })
        }
        kit.on(router, "/v2/repository/models/:model/load", .post, needs: .admin) { request, context throws(OIPError) in
            // Triton's load may carry a configuration or the model files themselves; this node
            // loads only what its folder holds, so it refuses them rather than ignore them.
            let body = try await OIPHTTP.decode(RepositoryLoadRequest.self, of: request, limit: limit, empty: RepositoryLoadRequest())
            if let names = body.parameters?.keys.sorted(), !names.isEmpty {
                throw .badRequest("this node loads models from its model folder only and takes no load parameters (got \(names.joined(separator: ", ")))")
            }
            return OIPHTTP.json(try await service.load(context.parameters.get("model") ?? ""))
        }
        kit.on(router, "/v2/repository/models/:model/unload", .post, needs: .admin) { _, context throws(OIPError) in
            try service.unload(context.parameters.get("model") ?? "")
            return OIPHTTP.json([String: String]())
        }
    }

    /// An application listening where the topology puts the node (see `NodeHTTPServer.application`).
    public func application(host: String? = nil, port: Int? = nil,
                            onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        try kit.application(router: router(), host: host ?? service.spec.host, port: port ?? service.spec.port,
                            onServerRunning: onServerRunning)
    }
}

private func measured(_ service: NodeService, route: String, _ body: () throws(OIPError) -> Response) -> Response {
    let start = ContinuousClock.now
    let response: Response
    do { response = try body() } catch { response = OIPHTTP.error(error) }
    service.metrics.request(route: route, status: Int(response.status.code), seconds: (ContinuousClock.now - start).seconds,
                            bytesIn: 0, bytesOut: 0)
    return response
}

/// The model and version a route's path names.
private func resolve(_ service: NodeService, _ context: NodeRequestContext) throws(OIPError) -> ServedModel {
    try service.repository.resolve(context.parameters.get("model") ?? "", version: context.parameters.get("version"))
}
