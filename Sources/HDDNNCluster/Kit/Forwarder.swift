import Foundation
import HDDNNData
import HDDNNRuntime
import Logging

/// The one way a node passes data on to a peer, for both node kinds (HDDNN §3.5, eq. 12-16):
/// to a dependable peer the data goes as it is; to an undependable one this node first runs the
/// split's head and sends only its feature maps, marking the task's metadata so the peer runs the
/// tail. The hop joins the task's path, the peer's answer comes back with its metadata merged and
/// the bytes moved counted, and each send is counted in `hddnn_relayed_total`.
///
/// Which peer may get the data at all (the HDDNN route, the holistic domain rule) is the
/// caller's admission rule; the sender's TLS check that the peer's certificate proves the trust
/// the topology gives it happens in `NodeClient` before the body leaves.
public struct Forwarder: Sendable {
    /// This node.
    public let node: NodeSpec
    public let client: NodeClient
    public let engine: NodeEngine
    public let logger: Logger

    public init(node: NodeSpec, client: NodeClient, engine: NodeEngine, logger: Logger) {
        self.node = node
        self.client = client
        self.engine = engine
        self.logger = logger
    }

    /// Sends `data` for `model` to `peer` and returns the peer's answer.
    ///
    /// - data: raw data named as `model`'s input, or feature maps when `metadata.payload` says so.
    /// - head: the split of `model` this node runs for undependable peers; raw data bound for an
    ///   undependable peer without one is refused.
    /// - prepare: raw data as the input tensor of the model the head's card describes.
    /// - sending: told what is about to leave (payload kind and tensor), for an access log.
    public func forward(_ data: WireTensor, model: String, to peer: NodeSpec, head: SplitModule?,
                        prepare: (WireTensor, ModelCard) throws(OIPError) -> Tensor, metadata incoming: TaskMetadata, hop incomingHop: TaskMetadata.Hop,
                        parameters: Parameters = [:], timeout: Double, traceparent: String?,
                        sending: (TaskMetadata.Payload, WireTensor) -> Void = { _, _ in }) async throws(OIPError) -> InferenceAnswer {
        var metadata = incoming, hop = incomingHop, tensor = data
        // Feature maps cut here must meet the tail of the same version, whatever the peer has loaded since.
        var version: String?
        if metadata.payload == .raw, peer.trust == .undependable {
            guard let head else {
                throw .badRequest("node '\(node.name)' holds no split of model '\(model)' to protect raw data bound for undependable '\(peer.name)'; run it on a dependable node")
            }
            let run = try await engine.run(head.head, feed: head.card.input.name, try prepare(tensor, head.card), ran: "\(model).head")
            guard let features = run[head.cut] else { throw .engine("the split's head produced no '\(head.cut)'") }
            tensor = WireTensor(name: head.cut, tensor: features)
            metadata.payload = .split
            metadata.splitBy = node.name
            metadata.splitModel = model
            metadata.splitAt = head.cut
            hop.compute = run.timing.compute
            hop.emulatedWait = run.timing.emulatedWait
            hop.ran = "\(model).head"
            hop.version = head.version
            version = head.version
        }
        sending(metadata.payload, tensor)
        let hopIndex = metadata.path.count
        metadata.path.append(hop)
        let exchange: NodeClient.Exchange
        do {
            exchange = try await client.infer(node: peer, model: model, version: version, inputs: [tensor], metadata: metadata, parameters: parameters,
                                              timeout: timeout, traceparent: traceparent)
        } catch {
            logger.warning("forward failed", metadata: ["task": "\(metadata.taskID)", "to": "\(peer.name)", "error": "\(error)"])
            throw OIPError(forwardingTo: peer.name, failed: error)
        }
        engine.metrics.relayed(to: peer.name, payload: metadata.payload, bytes: exchange.requestBytes)
        var returned = exchange.metadata ?? metadata
        if hopIndex < returned.path.count { returned.path[hopIndex].answered = TaskMetadata.now() }
        if let foreign = peer.foreign {
            // The foreign server keeps no record of its own: its hop is what this node saw of it,
            // its compute measured from outside (the HTTP exchange, the emulated link excluded).
            let answered = TaskMetadata.now()
            returned.path.append(TaskMetadata.Hop(node: peer.name, role: peer.role.rawValue, received: answered - exchange.serverSeconds,
                                                  answered: answered, compute: exchange.serverSeconds, ran: "\(foreign.model) (foreign OIP)",
                                                  version: exchange.response.modelVersion ?? foreign.version))
        }
        returned.bytesSent += exchange.requestBytes + exchange.responseBytes
        returned.route = []
        var answer = exchange.response.parameters ?? [:]
        answer.merge(returned.parameters) { $1 }
        return InferenceAnswer(outputs: exchange.outputs, parameters: answer)
    }
}
