import Foundation
import HDDNNCluster
import HDDNNData
import HDDNNRuntime
import Logging
import Synchronization

/// A node of the holistic layer: it holds (maybe) some data, serves the models that read its
/// domain's data, and answers requests that *name* records instead of carrying them.
///
/// A request with a `record_ids` input reads those records here and runs the model here, or, when
/// `hddnn_run_at` names a peer, sends them on as the privacy rule allows: raw to a dependable node
/// of the same domain, a split's feature maps (the HDDNN paper's "encryption module", eq. 12-16)
/// to an undependable one, nothing to another domain. A peer accepts raw records or feature maps
/// only from its own domain. So a query about patient 17 moves the patient's id to the lab and
/// the lab's risk estimate back, never the lab values; the `AccessLog` records every read.
public final class ServiceNode: Sendable {
    public let config: HolisticConfig
    public let spec: NodeSpec
    public let domain: String
    public let holding: (any DataHolding)?
    /// The models this node runs, by name, with their splits.
    public let services: [String: Service]
    public let executor: ModelExecutor
    public let client: NodeClient
    public let metrics: NodeMetrics
    public let engine: NodeEngine
    public let forwarder: Forwarder
    public let accessLog: AccessLog
    public let logger: Logger
    private let offers = Mutex<[ServiceNodeInfo.Offer]?>(nil)

    public struct Service: Sendable {
        public var model: CardedModel
        public var split: SplitModule?
        public var semantics: ModelCard.Semantics
        public var name: String { model.card.name }
    }

    public static let maxRecords = 65_536

    public init(config: HolisticConfig, node: String, logger: Logger = Logger(label: "hddnn.service")) throws(HolisticError) {
        do { spec = try config.topology.node(node) } catch { throw .config("\(error)") }
        self.config = config
        domain = config.domain(node)
        var logger = logger
        logger[metadataKey: "node"] = "\(node)"
        self.logger = logger
        holding = try config.holdings[node].map { spec throws(HolisticError) in try DataHoldings.open(spec) }
        let options = SessionOptions(threads: spec.threads)
        var services: [String: Service] = [:]
        for model in try config.models(for: node, options: options) {
            // Convolutional models split after their first convolution; an MLP has no split and
            // its records never leave their holder.
            let split = try? SplitModule(model: model, options: options)
            services[model.card.name] = Service(model: model, split: split, semantics: model.card.semantics!)
        }
        self.services = services
        executor = ModelExecutor(name: node, slowdown: spec.slowdown)
        client = NodeClient(origin: node, topology: config.topology, peers: [config.catalog])
        metrics = NodeMetrics()
        engine = NodeEngine(executor: executor, metrics: metrics)
        forwarder = Forwarder(node: spec, client: client, engine: engine, logger: logger)
        accessLog = AccessLog(logger: logger)
    }

    public var isReady: Bool { offers.withLock { $0 != nil } }

    public var info: ServiceNodeInfo {
        ServiceNodeInfo(name: spec.name, host: spec.host, port: spec.port, role: spec.role, trust: spec.trust, domain: domain,
                        slowdown: spec.slowdown, holding: holding?.description,
                        services: offers.withLock { $0 } ?? [])
    }

    /// Times every model (and split) on a batch of `defaults.benchmarkBatch` zeros, one warm-up
    /// then the median of three: the per-record costs the placer plans with. Ready afterwards.
    public func warmUp(runs: Int = 3) async throws {
        let batch = config.topology.defaults.benchmarkBatch
        func perRecord(_ session: InferenceSession, _ feed: String, _ sample: [Int]) async throws -> Double {
            let shape = [batch] + sample
            let input = Tensor(shape: shape, floats: [Float](repeating: 0.5, count: shape.reduce(1, *)))
            return try await executor.benchmark(session, feed: feed, input, runs: runs).charged / Double(batch)
        }
        var result: [ServiceNodeInfo.Offer] = []
        for service in services.values.sorted(by: { $0.name < $1.name }) {
            let card = service.model.card
            let sample = card.sampleShape
            var split: ServiceNodeInfo.Offer.SplitCost?
            if let s = service.split {
                split = .init(cut: s.cut, headSecondsPerRecord: try await perRecord(s.head, card.input.name, sample),
                              tailSecondsPerRecord: try await perRecord(s.tail, s.cut, s.cutSampleShape),
                              bytesPerRecord: s.cutBytesPerSample)
            }
            let rawBytes = sample.reduce(1, *) * (card.modality == "image" ? 1 : 4)
            result.append(.init(card: card, secondsPerRecord: try await perRecord(service.model.session, card.input.name, sample),
                                split: split, rawBytesPerRecord: rawBytes, batch: batch))
        }
        offers.withLock { $0 = result }
        logger.info("ready", metadata: [
            "models": "\(result.map(\.model).joined(separator: ","))",
            "holds": "\(holding?.description.part ?? "nothing")", "domain": "\(domain)",
        ])
    }

    // MARK: Inference

    /// Serves `POST /v2/models/{model}/infer`. `caller` is who the connection or token proves
    /// the sender is (`.plain` under `tls: off`): raw records and feature maps are admitted by
    /// the domain in the sender's certificate, record ids from a token client by its
    /// `query:<subject>` scope.
    public func infer(model name: String, request: OIPCodec.DecodedRequest, traceparent: String?,
                      caller: Caller = .plain) async throws(OIPError) -> InferenceAnswer {
        guard isReady else { throw .unavailable("node '\(spec.name)' is still warming up; poll /v2/health/ready") }
        let received = TaskMetadata.now()
        guard let service = services[name] else { throw .unknownModel(name, served: services.keys.sorted()) }
        guard request.inputs.count == 1, let input = request.inputs.first else {
            throw .badRequest("send one input: '\(ServiceParameter.recordIDs)' (INT64 record ids), or the records themselves")
        }
        let parameters = request.request.parameters ?? [:]
        var metadata = try TaskMetadata(parameters: parameters)
            ?? TaskMetadata(taskID: request.request.id ?? UUID().uuidString, source: spec.name)
        let query = metadata.taskID
        let card = service.model.card

        let session: InferenceSession, feed: String, tensor: Tensor, ran: String
        switch input.name {
        case ServiceParameter.recordIDs:
            guard let holding, holding.description.serves(service.semantics) else {
                throw .badRequest("node '\(spec.name)' holds \(holding?.description.part ?? "no data"); model '\(name)' reads \(service.semantics.inputDescription): ask a node that holds it (GET /hddnn/v1/catalog lists the holders)")
            }
            if case .client(let token) = caller {
                let subject = service.semantics.subject
                guard token.allows(.query(subject: subject)) || token.allows(.query(subject: "*")) else {
                    throw .forbidden("token of '\(token.subject)' lacks the scope query:\(subject) to read '\(subject)' records")
                }
            }
            guard case .int64(let ids) = input.payload, input.shape.count == 1, (1...Self.maxRecords).contains(ids.count) else {
                throw .badRequest("'\(ServiceParameter.recordIDs)' must be INT64 of shape [N], 1 <= N <= \(Self.maxRecords)")
            }
            let partition = parameters[ServiceParameter.partition]?.string ?? "test"
            let records: WireTensor
            do { records = try holding.records(ids, partition: partition, for: service.semantics) } catch { throw error.oip }
            let runAt = parameters[ServiceParameter.runAt]?.string ?? spec.name
            if runAt != spec.name {
                return try await forward(service, records: records, to: runAt, metadata: metadata, received: received, traceparent: traceparent)
            }
            log(.read, query: query, service: service, records: ids.count, peer: nil, bytes: 0)
            (session, feed, tensor, ran) = (service.model.session, card.input.name, try modelInput(records, card: card), name)
        case card.input.name:
            try admit(caller, parameters: parameters, what: "raw records")
            guard spec.trust == .dependable else {
                throw .badRequest("privacy: node '\(spec.name)' is undependable and may not receive raw records; send the split's feature maps")
            }
            let records = try checked(input, sample: card.sampleShape)
            log(.receivedRaw, query: query, service: service, records: records.shape[0], peer: metadata.source, bytes: input.byteCount)
            (session, feed, tensor, ran) = (service.model.session, card.input.name, try modelInput(records, card: card), name)
        case service.split?.cut:
            let split = service.split!
            try admit(caller, parameters: parameters, what: "feature maps")
            guard case .fp32 = input.payload else { throw .badRequest("feature maps '\(split.cut)' must be FP32") }
            let features = try checked(input, sample: split.cutSampleShape)
            log(.receivedFeatures, query: query, service: service, records: features.shape[0], peer: metadata.source, bytes: input.byteCount)
            (session, feed, tensor, ran) = (split.tail, split.cut, features.tensor(), "\(name).tail")
        default:
            throw .badRequest("model '\(name)' takes '\(ServiceParameter.recordIDs)' (INT64 ids of records a node holds), '\(card.input.name)' (records, from a node of the same domain)\(service.split.map { " or '\($0.cut)' (feature maps)" } ?? ""); got '\(input.name)'")
        }
        let run = try await engine.run(session, feed: feed, tensor, ran: ran)
        let timing = run.timing
        guard let logits = run[card.output.name] else { throw .engine("the model produced no '\(card.output.name)' output") }
        metadata.path.append(TaskMetadata.Hop(node: spec.name, role: spec.role.rawValue, received: received, answered: TaskMetadata.now(),
                                              compute: timing.compute, emulatedWait: timing.emulatedWait, ran: ran))
        var answer = metadata.parameters
        answer["hddnn_node"] = .string(spec.name)
        answer["hddnn_compute_ms"] = .double(timing.compute * 1000)
        return InferenceAnswer(outputs: [WireTensor(name: card.output.name, tensor: logits)], parameters: answer)
    }

    /// Sends records to `target` in this node's domain (raw to a dependable node, the split's
    /// feature maps to an undependable one: `Forwarder`) and relays its answer.
    private func forward(_ service: Service, records: WireTensor, to target: String, metadata incoming: TaskMetadata,
                         received: Double, traceparent: String?) async throws(OIPError) -> InferenceAnswer {
        let peer: NodeSpec
        do { peer = try config.topology.node(target) } catch { throw .badRequest("hddnn_run_at names \(error)") }
        guard config.domain(target) == domain else {
            throw .badRequest("privacy: '\(target)' is in domain '\(config.domain(target))', this node's records stay in domain '\(domain)'; other domains get outcomes only")
        }
        var metadata = incoming
        metadata.source = spec.name
        let query = metadata.taskID
        return try await forwarder.forward(
            WireTensor(name: service.model.card.input.name, shape: records.shape, payload: records.payload), model: service.name,
            to: peer, head: service.split, prepare: { raw, card throws(OIPError) in try self.modelInput(raw, card: card) },
            metadata: metadata, hop: TaskMetadata.Hop(node: spec.name, role: spec.role.rawValue, received: received, ran: "read"),
            parameters: [ServiceParameter.domain: .string(domain)], timeout: config.topology.defaults.requestTimeout,
            traceparent: traceparent,
            sending: { payload, tensor in
                self.log(payload == .raw ? .sentRaw : .sentFeatures, query: query, service: service, records: tensor.shape.first ?? 0,
                         peer: target, bytes: tensor.byteCount)
            })
    }

    /// Raw records and feature maps come only from this node's own domain: by the sender's
    /// certificate under TLS (the request's `hddnn_domain` is then not read), by that parameter
    /// under `tls: off`, never from a client that is not a node.
    private func admit(_ caller: Caller, parameters: Parameters, what: String) throws(OIPError) {
        switch caller {
        case .node(let identity):
            guard identity.domain == domain else {
                throw .forbidden("privacy: node '\(spec.name)' accepts \(what) only from domain '\(domain)'; the sender's certificate says '\(identity.domain)'. Send '\(ServiceParameter.recordIDs)' to the node that holds the records")
            }
        case .plain:
            let sender = parameters[ServiceParameter.domain]?.string
            guard sender == domain else {
                throw .badRequest("privacy: node '\(spec.name)' accepts \(what) only from domain '\(domain)'; this request says '\(sender ?? "none")'. Send '\(ServiceParameter.recordIDs)' to the node that holds the records")
            }
        case .client, .anonymous:
            throw .forbidden("privacy: node '\(spec.name)' accepts \(what) only from nodes of domain '\(domain)', not from clients; send '\(ServiceParameter.recordIDs)' with a query scope")
        }
    }

    private func checked(_ input: WireTensor, sample: [Int]) throws(OIPError) -> WireTensor {
        guard input.shape.count == sample.count + 1, Array(input.shape.dropFirst()) == sample,
              (1...Self.maxRecords).contains(input.shape[0]) else {
            throw .badRequest("input '\(input.name)' must have shape [N, \(sample.map(String.init).joined(separator: ", "))], got \(input.shape)")
        }
        if case .int64 = input.payload { throw .badRequest("input '\(input.name)' must be FP32 or UINT8, got INT64") }
        return input
    }

    /// Records as the model takes them: pixels scaled into the card's value range, columns as they are.
    private func modelInput(_ records: WireTensor, card: ModelCard) throws(OIPError) -> Tensor {
        guard Array(records.shape.dropFirst()) == card.sampleShape else {
            throw .badRequest("records of shape \(records.shape) do not fit model '\(card.name)' (takes \(card.input.shape))")
        }
        return records.tensor(valueRange: card.input.pixelRange)
    }

    private func log(_ action: AccessLog.Entry.Action, query: String, service: Service, records: Int, peer: String?, bytes: Int) {
        accessLog.record(.init(time: TaskMetadata.now(), query: query, action: action, source: service.semantics.source,
                               part: service.semantics.inputDescription, records: records, model: service.name, peer: peer, bytes: bytes))
    }
}
