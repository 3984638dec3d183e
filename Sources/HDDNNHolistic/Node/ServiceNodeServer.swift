import AsyncHTTPClient
import Foundation
import HDDNNCluster
import Hummingbird
import Logging
import NIOCore

/// Puts a `ServiceNode` behind the Open Inference Protocol v2, like `NodeServer` does for the
/// HDDNN hierarchy's nodes:
///
/// | route | answers |
/// |---|---|
/// | `GET /v2`, `/v2/health/live`, `/v2/health/ready` | server metadata, liveness, readiness (after the benchmark) |
/// | `GET /v2/models/{name}` | model metadata: `record_ids` or the records themselves |
/// | `POST /v2/models/{name}/infer` | inference on named records (`record_ids`) or on records / feature maps from the same domain |
/// | `GET /hddnn/v1/node` | `ServiceNodeInfo`: holding, models, measured cost per record |
/// | `GET /hddnn/v1/access-log` | every read and every record that moved (`AccessLog`) |
public struct ServiceNodeServer: Sendable {
    public let node: ServiceNode

    public init(node: ServiceNode) { self.node = node }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let node = self.node
        router.get("/v2") { _, _ in
            OIPHTTP.json(ServerMetadataResponse(name: "hddnn-service", version: NodeServer.version,
                                                extensions: ["binary_tensor_data", "hddnn_task_metadata", "hddnn_record_ids"]))
        }
        router.get("/v2/health/live") { _, _ in Response(status: .ok) }
        router.get("/v2/health/ready") { _, _ in Response(status: node.isReady ? .ok : .serviceUnavailable) }
        router.get("/hddnn/v1/node") { _, _ in OIPHTTP.json(node.info) }
        router.get("/hddnn/v1/access-log") { _, _ in OIPHTTP.json(node.accessLog.all) }
        router.get("/v2/models/:model") { _, context in
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
        router.post("/v2/models/:model/infer") { request, context in
            let model = context.parameters.get("model") ?? ""
            do throws(OIPError) {
                let (decoded, _) = try await OIPHTTP.inferRequest(request, limit: node.config.topology.defaults.maxBodyBytes)
                let answer = try await node.infer(model: model, request: decoded, traceparent: OIPHTTP.traceparent(of: request))
                return OIPHTTP.inferResponse(model: model, request: request, decoded: decoded, outputs: answer.outputs,
                                             parameters: answer.parameters)
            } catch {
                node.logger.notice("refused", metadata: ["model": "\(model)", "status": "\(error.status)", "error": "\(error)"])
                return OIPHTTP.error(error)
            }
        }
        return router
    }

    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(node.spec.host, port: node.spec.port), serverName: "hddnn/\(node.spec.name)"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: node.logger)
    }

    /// Registers with the catalogue until it accepts (it may start after the node), then again
    /// every `interval` so a restarted catalogue relearns the node.
    public func register(interval: Duration = .seconds(30)) async {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { Task { try? await http.shutdown() } }
        let url = "http://\(node.config.catalog.host):\(node.config.catalog.port)/hddnn/v1/catalog"
        var registered = false
        while !Task.isCancelled {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: (try? JSONEncoder().encode(node.info)) ?? Data()))
            let ok = (try? await http.execute(request, timeout: .seconds(5)))?.status == .ok
            if ok && !registered { node.logger.info("registered", metadata: ["catalog": "\(url)"]) }
            registered = ok
            try? await Task.sleep(for: ok ? interval : .seconds(1))
        }
    }
}
