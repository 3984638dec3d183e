import Foundation
import HDDNNTrust
import HDDNNData
import HDDNNRuntime
import Logging
import Synchronization

/// One HDDNN node, independent of HTTP: its model, the splits it serves or runs for others, its
/// executor and its relay. `NodeServer` puts it behind the Open Inference Protocol.
///
/// A request for the node's own model runs it (the whole model on raw input, the tail on a
/// split's feature maps). A request for another model that carries an `hddnn_route` is relayed:
/// when the next node may not see raw data (`undependable`) and the payload is raw, this node
/// first runs that model's head (the split, eq. 12-16) and only feature maps go on.
public final class NodeService: Sendable {
    public let spec: NodeSpec
    public let topology: Topology
    public let model: CardedModel
    /// The split senders use to reach this node without raw data (upper nodes only).
    public let split: SplitModule?
    /// Heads this node runs for the undependable nodes above it, by model name (dependable nodes).
    public let heads: [String: SplitModule]
    public let executor: ModelExecutor
    public let client: NodeClient
    public let metrics: NodeMetrics
    public let engine: NodeEngine
    public let forwarder: Forwarder
    public let logger: Logger
    private let state = Mutex(State())

    struct State {
        var benchmark: NodeInfo.Benchmark?
        /// Input adapters by model name and sample shape.
        var adapters: [String: [[Int]: InputAdapter]] = [:]
    }

    /// Largest batch one request may carry.
    public static let maxBatch = 4096

    /// Loads the node's model (and card), the splits it needs, and connects its client. Does not
    /// benchmark: call `warmUp()` before declaring the node ready.
    public init(topology: Topology, node: String, logger: Logger = Logger(label: "hddnn.node")) throws {
        let spec = try topology.node(node)
        self.spec = spec
        self.topology = topology
        var logger = logger
        logger[metadataKey: "node"] = "\(spec.name)"
        self.logger = logger
        let options = SessionOptions(threads: spec.threads)
        model = try CardedModel.load(onnx: topology.modelURL(spec), options: options)
        split = spec.role == .end ? nil : try SplitModule(model: model, cut: spec.splitAt, options: options)

        var heads: [String: SplitModule] = [:]
        if spec.trust == .dependable {
            var loaded = Set<URL>()
            for upper in topology.nodes where upper.trust == .undependable && upper.role > spec.role {
                // Several undependable nodes often serve one model: load and split it once.
                guard loaded.insert(topology.modelURL(upper)).inserted else { continue }
                let upperModel = try CardedModel.load(onnx: topology.modelURL(upper), options: options)
                heads[upperModel.card.name] = try SplitModule(model: upperModel, cut: upper.splitAt, options: options)
            }
        }
        self.heads = heads
        executor = ModelExecutor(name: spec.name, slowdown: spec.slowdown)
        client = NodeClient(origin: spec.name, topology: topology)
        metrics = NodeMetrics()
        engine = NodeEngine(executor: executor, metrics: metrics)
        forwarder = Forwarder(node: spec, client: client, engine: engine, logger: logger)
    }

    public var modelName: String { model.card.name }
    public var isReady: Bool { state.withLock { $0.benchmark != nil } }
    public var benchmark: NodeInfo.Benchmark? { state.withLock { $0.benchmark } }

    /// Benchmarks the model, the tail and every head on a batch of `defaults.benchmarkBatch`
    /// (one warm-up run, then the median of three): the node's t_p and t_e, and its warm-up.
    /// Readiness follows only from here, so "ready" means "answered an inference".
    public func warmUp(runs: Int = 3) async throws {
        let batch = topology.defaults.benchmarkBatch
        let input = model.card.input
        let shape = [batch] + input.shape.dropFirst().map { max($0, 1) }
        let images = Tensor(shape: shape, floats: [Float](repeating: 0.5, count: shape.reduce(1, *)))
        let whole = try await executor.benchmark(model.session, feed: input.name, images, runs: runs)
        var tailSeconds: Double?
        if let split, let features = try await executor.benchmark(split.head, feed: input.name, images, runs: runs).outputs[split.cut] {
            tailSeconds = try await executor.benchmark(split.tail, feed: split.cut, features, runs: runs).charged
        }
        var headSeconds: [String: Double] = [:]
        for (name, head) in heads {
            let headInput = head.head.inputNames.first ?? input.name
            let headShape = [batch] + (head.head.graph.inputs.first?.shape.dropFirst().map { $0 ?? 1 } ?? Array(shape.dropFirst()))
            let t = Tensor(shape: headShape, floats: [Float](repeating: 0.5, count: headShape.reduce(1, *)))
            headSeconds[name] = try await executor.benchmark(head.head, feed: headInput, t, runs: runs).charged
        }
        let result = NodeInfo.Benchmark(batch: batch, runs: runs, modelSeconds: whole.charged, measuredModelSeconds: whole.measured,
                                        tailSeconds: tailSeconds, headSeconds: headSeconds)
        state.withLock { $0.benchmark = result }
        logger.info("ready", metadata: [
            "model": "\(modelName)", "batch": "\(batch)",
            "ms_per_batch": "\(String(format: "%.2f", whole.charged * 1000))",
        ])
    }

    public var info: NodeInfo {
        let card = model.card
        func summary(_ s: SplitModule) -> NodeInfo.SplitSummary {
            .init(model: s.model, cut: s.cut, cutSampleShape: s.cutSampleShape, bytesPerSample: s.cutBytesPerSample,
                  headParameters: s.headParameters)
        }
        return NodeInfo(
            name: spec.name, role: spec.role, trust: spec.trust, threads: spec.threads, slowdown: spec.slowdown,
            model: .init(name: card.name, level: card.output.level.rawValue, labels: card.output.labels,
                         parameters: model.session.graph.parameterCount, inputName: card.input.name, inputShape: card.input.shape),
            card: card,
            benchmark: benchmark, split: split.map(summary), heads: heads.values.map(summary).sorted { $0.model < $1.model })
    }

    // MARK: Inference

    /// Serves `POST /v2/models/{model}/infer`.
    /// `caller`: who sent the request, as its certificate proves (nil on plain HTTP). A caller
    /// whose certificate says undependable may not hand this node raw data: it should never have
    /// held any (HDDNN §3.5).
    public func infer(model requested: String, request: OIPCodec.DecodedRequest, traceparent: String?,
                      caller: NodeIdentity? = nil) async throws(OIPError) -> InferenceAnswer {
        guard isReady else { throw .unavailable("node '\(spec.name)' is still warming up; poll /v2/health/ready") }
        let received = TaskMetadata.now()
        let metadata = try TaskMetadata(parameters: request.request.parameters)
        let payload = metadata?.payload ?? .raw
        // Before anything else, relays included: a relay would hide the origin from the next node.
        if let caller, caller.trust == .undependable, payload == .raw {
            throw .forbidden("caller '\(caller.name)' is undependable by its certificate and may not send raw data; send the split's feature maps")
        }
        if let metadata, !metadata.route.isEmpty {
            return try await relay(model: requested, request: request, metadata: metadata, received: received, traceparent: traceparent)
        }
        guard requested == modelName else {
            throw .unknownModel(requested, served: [modelName])
        }
        guard request.inputs.count == 1, let input = request.inputs.first else {
            throw .badRequest("model '\(modelName)' takes one input, the request has \(request.inputs.count)")
        }
        if payload == .raw, spec.trust == .undependable, metadata != nil {
            throw .badRequest("node '\(spec.name)' is undependable and refuses raw HDDNN payloads; send the split's feature maps (\(split?.cut ?? "-"))")
        }
        let (session, feedName, tensor, ran) = try prepare(input, payload: payload, metadata: metadata)
        let outputs = try await engine.run(session, feed: feedName, tensor, ran: ran)
        guard let logits = outputs[self.model.card.output.name] else {
            throw .engine("the model produced no '\(self.model.card.output.name)' output")
        }
        let hop = TaskMetadata.Hop(node: spec.name, role: spec.role.rawValue, received: received, answered: TaskMetadata.now(),
                                   compute: outputs.timing.compute, emulatedWait: outputs.timing.emulatedWait, ran: ran)
        var parameters: Parameters = [
            "hddnn_node": .string(spec.name),
            "hddnn_level": .string(self.model.card.output.level.rawValue),
            "hddnn_compute_ms": .double(outputs.timing.compute * 1000),
        ]
        if var m = metadata {
            m.path.append(hop)
            parameters.merge(m.parameters) { $1 }
        }
        return InferenceAnswer(outputs: [WireTensor(name: self.model.card.output.name, tensor: logits)], parameters: parameters)
    }

    /// Checks the input against the card (raw) or the split (feature maps) and picks the session.
    private func prepare(_ input: WireTensor, payload: TaskMetadata.Payload,
                         metadata: TaskMetadata?) throws(OIPError) -> (InferenceSession, String, Tensor, String) {
        guard let batch = input.shape.first, batch >= 1, batch <= Self.maxBatch else {
            throw .badRequest("input '\(input.name)' shape \(input.shape) needs a batch dimension of 1...\(Self.maxBatch)")
        }
        switch payload {
        case .split:
            guard let split else { throw .badRequest("node '\(spec.name)' runs no split; send raw input") }
            if let at = metadata?.splitAt, at != split.cut {
                throw .badRequest("feature maps were cut at '\(at)' but this node's split cuts at '\(split.cut)'")
            }
            guard input.name == split.cut else {
                throw .badRequest("split input must be named '\(split.cut)', got '\(input.name)'")
            }
            guard case .fp32 = input.payload, Array(input.shape.dropFirst()) == split.cutSampleShape else {
                throw .badRequest("split input '\(input.name)' must be FP32 of shape [N, \(split.cutSampleShape.map(String.init).joined(separator: ", "))], got \(input.datatype) \(input.shape)")
            }
            return (split.tail, split.cut, input.tensor(), "\(modelName).tail")
        case .raw:
            let card = model.card.input
            guard input.name == card.name else {
                throw .badRequest("model '\(modelName)' has input '\(card.name)', the request names '\(input.name)'")
            }
            if case .int64 = input.payload { throw .badRequest("input '\(input.name)' must be FP32 or UINT8, got INT64") }
            return (model.session, card.name, try modelInput(input, for: model.card), modelName)
        }
    }

    /// A raw input as `card`'s model takes it: UINT8 pixels scaled into the card's value range,
    /// then adapted to its sample shape (padding, channel copies, normalisation). Adapters are
    /// cached by model and sample shape.
    private func modelInput(_ input: WireTensor, for card: ModelCard) throws(OIPError) -> Tensor {
        let source = Array(input.shape.dropFirst())
        let adapter: InputAdapter
        if let cached = state.withLock({ $0.adapters[card.name]?[source] }) {
            adapter = cached
        } else {
            do { adapter = try InputAdapter(source: source, card: card) } catch {
                throw .badRequest("input '\(input.name)' shape \(input.shape) does not fit model '\(card.name)' (takes \(card.input.shape)): \(error)")
            }
            state.withLock { $0.adapters[card.name, default: [:]][source] = adapter }
        }
        return adapter.apply(input.tensor(valueRange: card.input.pixelRange))
    }

    // MARK: Relay

    private func relay(model target: String, request: OIPCodec.DecodedRequest, metadata incoming: TaskMetadata,
                       received: Double, traceparent: String?) async throws(OIPError) -> InferenceAnswer {
        var metadata = incoming
        let nextName = metadata.route.removeFirst()
        let next: NodeSpec
        do { next = try topology.node(nextName) } catch { throw .badRequest("hddnn_route names \(error)") }
        guard request.inputs.count == 1, let tensor = request.inputs.first else {
            throw .badRequest("a relayed request carries one input, this one has \(request.inputs.count)")
        }
        if metadata.payload == .raw, spec.trust == .undependable {
            throw .badRequest("node '\(spec.name)' is undependable and may not hold raw data to relay")
        }
        var timeout = topology.defaults.requestTimeout
        if let deadline = metadata.deadline {
            timeout = min(timeout, deadline - TaskMetadata.now())
            guard timeout > 0 else { throw .timedOut("task \(metadata.taskID) passed its deadline at '\(spec.name)'") }
        }
        return try await forwarder.forward(
            tensor, model: target, to: next, head: heads[target], prepare: { raw, card throws(OIPError) in try self.modelInput(raw, for: card) },
            metadata: metadata, hop: TaskMetadata.Hop(node: spec.name, role: spec.role.rawValue, received: received, ran: "relay"),
            timeout: timeout, traceparent: traceparent)
    }
}
