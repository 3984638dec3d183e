import Foundation
import HDDNNCluster
import Hummingbird
import NIOCore

/// The catalogue over HTTP, on the kit every node shares (`NodeHTTPServer`: TLS, authentication,
/// access log, `/v2`, health, `/metrics`; `/hddnn/v1/node` answers the listing):
///
/// | route | answers | needs |
/// |---|---|---|
/// | `POST /hddnn/v1/catalog` | a node registers (`ServiceNodeInfo`), under TLS only as itself | `.register` |
/// | `GET /hddnn/v1/catalog` | models, who serves them at what measured cost, who holds their input, fitted fusions | `.authenticated` |
/// | `POST /hddnn/v1/plan` | the plan for a `Query`, without running it | `.query(subject:)` |
/// | `POST /hddnn/v1/query` | a `QueryAnswer`: results and provenance | `.query(subject:)` |
/// | `GET /v2/health/ready` | 200 once every node of the deployment registered | `.health` |
///
/// A query the planner refuses is a 422 whose `error` says what is missing; bad JSON is a 400.
/// A token client may ask about a query's records only with the scope `query:<subject>`.
public struct CatalogServer: Sendable {
    public let catalog: Catalog
    public let kit: NodeHTTPServer

    public init(catalog: Catalog) throws(TLSSetupError) {
        self.catalog = catalog
        kit = try NodeHTTPServer(process: HolisticConfig.catalogName, topology: catalog.config.topology, metrics: NodeMetrics(),
                                 logger: catalog.logger)
    }

    public func router() -> Router<NodeRequestContext> {
        let catalog = self.catalog
        let router = kit.router(server: ServerMetadataResponse(name: "hddnn-catalog", version: NodeServer.version, extensions: []),
                                isReady: { catalog.isComplete }, info: { catalog.listing })
        kit.on(router, "/hddnn/v1/catalog", .get, needs: .authenticated) { _, _ in OIPHTTP.json(catalog.listing) }
        kit.on(router, "/hddnn/v1/catalog", .post, needs: .register) { request, context in
            do {
                let info: ServiceNodeInfo = try await decode(request)
                if let identity = context.caller.node, identity.name != info.name {
                    return OIPHTTP.error(.forbidden("'\(identity.name)' may register only itself, not '\(info.name)'"))
                }
                try catalog.register(info)
                return OIPHTTP.json(["registered": info.name])
            } catch let e as HolisticError {
                return OIPHTTP.error(.badRequest(e.description))
            }
        }
        kit.on(router, "/hddnn/v1/plan", .post, needs: .authenticated) { request, context in
            do {
                let query: Query = try await decode(request)
                try context.caller.authorize(.query(subject: query.subject))
                return OIPHTTP.json(try catalog.plan(query))
            } catch let e as PlanError {
                return OIPHTTP.json(ErrorResponse(error: e.description), status: .unprocessableContent)
            }
        }
        kit.on(router, "/hddnn/v1/query", .post, needs: .authenticated) { request, context in
            do {
                let query: Query = try await decode(request)
                try context.caller.authorize(.query(subject: query.subject))
                return OIPHTTP.json(try await catalog.answer(query))
            } catch let e as HolisticError {
                if case .plan(let p) = e { return OIPHTTP.json(ErrorResponse(error: p.description), status: .unprocessableContent) }
                return OIPHTTP.error(e.oip)
            }
        }
        return router
    }

    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let spec = catalog.config.catalog
        return try kit.application(router: router(), host: spec.host, port: spec.port, onServerRunning: onServerRunning)
    }
}

private func decode<T: Decodable>(_ request: Request) async throws(OIPError) -> T {
    try await OIPHTTP.decode(T.self, of: request, limit: 16 << 20)
}
