import Foundation
import HDDNNCluster
import Hummingbird
import Logging
import NIOCore

/// Puts a `ServiceNode` behind the Open Inference Protocol v2 on the kit every node shares
/// (`NodeHTTPServer`: TLS, authentication, access log, `/v2`, health, `/metrics`,
/// `/hddnn/v1/node` answering `ServiceNodeInfo`), adding:
///
/// | route | answers | needs |
/// |---|---|---|
/// | `GET /v2/models/{name}` | model metadata: `record_ids` or the records themselves | `.read` |
/// | `POST /v2/models/{name}/infer` | inference on named records (`record_ids`) or on records / feature maps from the same domain | `.infer` |
/// | `GET /hddnn/v1/access-log` | every read and every record that moved (`AccessLog`) | `.read` |
public struct ServiceNodeServer: Sendable {
    public let node: ServiceNode
    public let kit: NodeHTTPServer

    public init(node: ServiceNode) throws(TLSSetupError) {
        self.node = node
        kit = try NodeHTTPServer(process: node.spec.name, topology: node.config.topology, metrics: node.metrics, logger: node.logger)
    }

    public func router() -> Router<NodeRequestContext> {
        let node = self.node
        let router = kit.router(server: ServerMetadataResponse(name: "hddnn-service", version: NodeServer.version,
                                                               extensions: ["binary_tensor_data", "hddnn_task_metadata", "hddnn_record_ids"]),
                                isReady: { node.isReady }, info: { node.info })
        kit.on(router, "/hddnn/v1/access-log", .get, needs: .read) { _, _ in OIPHTTP.json(node.accessLog.all) }
        kit.on(router, "/v2/models/:model", .get, needs: .read) { _, context in
            let name = context.parameters.get("model") ?? ""
            guard let service = node.services[name] else {
                return OIPHTTP.error(.unknownModel(name, served: node.services.keys.sorted()))
            }
            let card = service.model.card
            var inputs: [ModelMetadataResponse.TensorMetadata] = [
                .init(name: card.input.name, datatype: card.modality == "image" ? "UINT8" : "FP32", shape: card.input.shape),
            ]
            if node.holding?.description.serves(service.semantics) == true {
                inputs.insert(.init(name: "record_ids", datatype: "INT64", shape: [-1]), at: 0)
            }
            return OIPHTTP.json(ModelMetadataResponse(
                name: card.name, versions: ["1"], platform: "hddnn_onnx", inputs: inputs,
                outputs: [.init(name: card.output.name, datatype: "FP32", shape: [-1, card.output.labels.count])]))
        }
        // A service has one version, "1"; a dependable node that ran its split's head names it
        // (`/versions/1/infer`), so the head and the tail are of one version.
        for path in ["/v2/models/:model/infer", "/v2/models/:model/versions/:version/infer"] {
            kit.infer(router, RouterPath(path)) { model, version, request, traceparent, caller throws(OIPError) in
                if let version, version != "1" { throw .unknownVersion(model: model, version: version, served: ["1"]) }
                return try await node.infer(model: model, request: request, traceparent: traceparent, caller: caller)
            }
        }
        return router
    }

    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        try kit.application(router: router(), host: node.spec.host, port: node.spec.port, onServerRunning: onServerRunning)
    }

    /// Registers with the catalogue until it accepts (it may start after the node), then again
    /// every `interval` so a restarted catalogue relearns the node. Under TLS the node's own
    /// certificate is what the catalogue admits it by.
    public func register(interval: Duration = .seconds(30)) async {
        let catalog = node.config.catalog
        var registered = false
        while !Task.isCancelled {
            let ok: Bool
            do {
                _ = try await node.client.post(node.info, as: [String: String].self, node: catalog, path: "/hddnn/v1/catalog")
                ok = true
            } catch {
                if registered { node.logger.warning("registration refused", metadata: ["error": "\(error)"]) }
                ok = false
            }
            if ok && !registered { node.logger.info("registered", metadata: ["catalog": "\(node.config.topology.baseURL(catalog))"]) }
            registered = ok
            try? await Task.sleep(for: ok ? interval : .seconds(1))
        }
    }
}
