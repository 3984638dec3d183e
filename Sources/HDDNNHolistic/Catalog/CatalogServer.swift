import Foundation
import HDDNNCluster
import Hummingbird
import NIOCore

/// The catalogue over HTTP:
///
/// | route | answers |
/// |---|---|
/// | `POST /hddnn/v1/catalog` | a node registers (`ServiceNodeInfo`) |
/// | `GET /hddnn/v1/catalog` | models, who serves them at what measured cost, who holds their input, fitted fusions |
/// | `POST /hddnn/v1/plan` | the plan for a `Query`, without running it |
/// | `POST /hddnn/v1/query` | a `QueryAnswer`: results and provenance |
/// | `GET /v2/health/ready` | 200 once every node of the deployment registered |
///
/// A query the planner refuses is a 422 whose `error` says what is missing; bad JSON is a 400.
public struct CatalogServer: Sendable {
    public let catalog: Catalog

    public init(catalog: Catalog) { self.catalog = catalog }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let catalog = self.catalog
        router.get("/v2/health/live") { _, _ in Response(status: .ok) }
        router.get("/v2/health/ready") { _, _ in Response(status: catalog.isComplete ? .ok : .serviceUnavailable) }
        router.get("/hddnn/v1/catalog") { _, _ in OIPHTTP.json(catalog.listing) }
        router.post("/hddnn/v1/catalog") { request, _ in
            do {
                let info: ServiceNodeInfo = try await decode(request)
                try catalog.register(info)
                return OIPHTTP.json(["registered": info.name])
            } catch let e as HolisticError {
                return OIPHTTP.error(.badRequest(e.description))
            } catch let e as OIPError {
                return OIPHTTP.error(e)
            }
        }
        router.post("/hddnn/v1/plan") { request, _ in
            do {
                let query: Query = try await decode(request)
                return OIPHTTP.json(try catalog.plan(query))
            } catch let e as PlanError {
                return OIPHTTP.json(ErrorResponse(error: e.description), status: .unprocessableContent)
            } catch let e as OIPError {
                return OIPHTTP.error(e)
            }
        }
        router.post("/hddnn/v1/query") { request, _ in
            do {
                let query: Query = try await decode(request)
                return OIPHTTP.json(try await catalog.answer(query))
            } catch let e as HolisticError {
                if case .plan(let p) = e { return OIPHTTP.json(ErrorResponse(error: p.description), status: .unprocessableContent) }
                return OIPHTTP.error(e.oip)
            } catch let e as OIPError {
                return OIPHTTP.error(e)
            }
        }
        return router
    }

    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let spec = catalog.config.catalog
        return Application(
            router: router(),
            configuration: .init(address: .hostname(spec.host, port: spec.port), serverName: "hddnn/catalog"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: catalog.logger)
    }
}

private func decode<T: Decodable>(_ request: Request) async throws(OIPError) -> T {
    let body = try await OIPHTTP.body(of: request, limit: 16 << 20)
    do { return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView)) } catch {
        throw .badRequest("malformed \(T.self): \(OIPCodec.describe(error))")
    }
}
