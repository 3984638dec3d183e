import Foundation
import HDDNNTrust
import HDDNNData
import HDDNNRuntime
import Logging
import Synchronization

/// One HDDNN node, independent of HTTP: its models, the splits it serves or runs for others, its
/// executor and its relay. `NodeServer` puts it behind the Open Inference Protocol.
///
/// A request for a model the node serves runs it: a carded model on raw input or, for the
/// node's own model, the tail on a split's feature maps; a plain model (no card) on whatever
/// inputs its ONNX graph declares. A request for another model that carries an `hddnn_route` is
/// relayed: when the next node may not see raw data (`undependable`) and the payload is raw,
/// this node first runs that model's head (the split, eq. 12-16) and only feature maps go on.
///
/// The node's own model comes from the topology; others, and new versions of its own, come and
/// go through `load` and `unload` (the model repository). A request holds the version it
/// resolved at its start, so it finishes on that version whatever is loaded meanwhile.
public final class NodeService: Sendable {
    public let spec: NodeSpec
    public let topology: Topology
    public let repository: ModelRepository
    /// The node's own model's name (the topology's file, its card's name).
    public let modelName: String
    /// Heads this node runs for the undependable nodes above it, by model name (dependable
    /// nodes), each of one version of its model; `load` of that model cuts its latest version.
    public var heads: [String: SplitModule] { state.withLock { $0.heads } }
    /// Where each head's model lives (its node's folder) and where it is cut.
    private let headSources: [String: (folder: URL, cut: String?)]
    public let executor: ModelExecutor
    public let client: NodeClient
    public let metrics: NodeMetrics
    public let engine: NodeEngine
    public let forwarder: Forwarder
    public let logger: Logger
    private let state = Mutex(State())

    struct State {
        var ready = false
        var heads: [String: SplitModule] = [:]
        var benchmark: NodeInfo.Benchmark?
        var loading: Set<String> = []
        /// Input adapters by model name and sample shape.
        var adapters: [String: [[Int]: InputAdapter]] = [:]
    }

    /// Largest batch one request may carry.
    public static let maxBatch = 4096

    /// Loads the node's model (with its card, or plain when it has none), the splits it needs,
    /// and connects its client. Does not benchmark: call `warmUp()` before declaring the node ready.
    /// `servedAs`: a second name the node's model answers to (`ModelRepository.alias`).
    public init(topology: Topology, node: String, servedAs alias: String? = nil, logger: Logger = Logger(label: "hddnn.node")) throws {
        let spec = try topology.node(node)
        self.spec = spec
        self.topology = topology
        var logger = logger
        logger[metadataKey: "node"] = "\(spec.name)"
        self.logger = logger
        let options = SessionOptions(threads: spec.threads)
        let url = topology.modelURL(spec), place = ModelRepository.locate(url)
        let own = try ServedModel.load(name: place.name, version: place.version, url: url, options: options,
                                       split: spec.role != .end, cut: spec.splitAt)
        if own.card == nil {
            logger.notice("no model card beside the model: serving it as a plain OIP model, which HDDNN jobs cannot schedule",
                          metadata: ["model": "\(place.name)", "card": "\(ModelCard.url(forModel: url).path)"])
        }
        modelName = own.name
        if let alias { try ModelRepository.check(alias) }
        repository = ModelRepository(folder: place.folder, pinned: own, alias: alias)

        var heads: [String: SplitModule] = [:], headSources: [String: (folder: URL, cut: String?)] = [:]
        if spec.trust == .dependable {
            var loaded = Set<URL>()
            for upper in topology.nodes where upper.trust == .undependable && upper.role > spec.role {
                // Several undependable nodes often serve one model: load and split it once.
                guard loaded.insert(topology.modelURL(upper)).inserted else { continue }
                let upperURL = topology.modelURL(upper)
                let upperModel = try CardedModel.load(onnx: upperURL, options: options), place = ModelRepository.locate(upperURL)
                heads[upperModel.card.name] = try SplitModule(model: upperModel, version: place.version, cut: upper.splitAt, options: options)
                headSources[upperModel.card.name] = (place.folder, upper.splitAt)
            }
        }
        self.headSources = headSources
        state.withLock { $0.heads = heads }
        executor = ModelExecutor(name: spec.name, slowdown: spec.slowdown)
        client = NodeClient(origin: spec.name, topology: topology)
        metrics = NodeMetrics()
        engine = NodeEngine(executor: executor, metrics: metrics)
        forwarder = Forwarder(node: spec, client: client, engine: engine, logger: logger)
    }

    /// The node's own model at its latest version.
    public var model: ServedModel { repository.current }
    /// The split senders use to reach this node without raw data (upper nodes with a card).
    public var split: SplitModule? { model.split }
    public var isReady: Bool { state.withLock { $0.ready } }
    public var benchmark: NodeInfo.Benchmark? { state.withLock { $0.benchmark } }

    /// Benchmarks the node's model, its tail and every head on a batch of `defaults.benchmarkBatch`
    /// (one warm-up run, then the median of three): the node's t_p and t_e, and its warm-up.
    /// Readiness follows only from here, so "ready" means "answered an inference".
    public func warmUp(runs: Int = 3) async throws {
        let result = try await measure(model, runs: runs)
        state.withLock {
            $0.benchmark = result
            $0.ready = true
        }
        logger.info("ready", metadata: [
            "model": "\(modelName)", "version": "\(model.version)", "batch": "\(result.batch)",
            "ms_per_batch": "\(String(format: "%.2f", result.modelSeconds * 1000))",
        ])
    }

    /// The benchmark of one version of the node's model (and the heads it runs for others).
    private func measure(_ served: ServedModel, runs: Int) async throws -> NodeInfo.Benchmark {
        let batch = topology.defaults.benchmarkBatch
        let feeds = try Self.benchmarkFeeds(served, batch: batch)
        let whole = try await executor.benchmark(served.session, feeds: feeds, runs: runs)
        var tailSeconds: Double?
        // A carded model's feeds are its one input, which the split's head takes too.
        if let split = served.split, let features = try await executor.benchmark(split.head, feeds: feeds, runs: runs).outputs[split.cut] {
            tailSeconds = try await executor.benchmark(split.tail, feed: split.cut, features, runs: runs).charged
        }
        var headSeconds: [String: Double] = [:]
        for (name, head) in heads {
            let headInput = head.head.inputNames.first ?? head.card.input.name
            let headShape = [batch] + (head.head.graph.inputs.first?.shape.dropFirst().map { $0 ?? 1 } ?? head.card.input.shape.dropFirst().map { max($0, 1) })
            let t = Tensor(shape: headShape, floats: [Float](repeating: 0.5, count: headShape.reduce(1, *)))
            headSeconds[name] = try await executor.benchmark(head.head, feed: headInput, t, runs: runs).charged
        }
        return NodeInfo.Benchmark(batch: batch, runs: runs, modelSeconds: whole.charged, measuredModelSeconds: whole.measured,
                                  tailSeconds: tailSeconds, headSeconds: headSeconds, version: served.version)
    }

    /// Inputs of `batch` samples for a benchmark: the card's shape, or the graph's declared one
    /// with its symbolic dimensions past the batch taken as 1; FP32 0.5 or INT64 zeros.
    static func benchmarkFeeds(_ served: ServedModel, batch: Int) throws(OIPError) -> [String: Tensor] {
        if let card = served.card {
            let shape = [batch] + card.input.shape.dropFirst().map { max($0, 1) }
            return [card.input.name: Tensor(shape: shape, floats: [Float](repeating: 0.5, count: shape.reduce(1, *)))]
        }
        var feeds: [String: Tensor] = [:]
        for input in served.session.graph.inputs {
            guard input.shapeKnown, !input.shape.isEmpty else {
                throw .badRequest("input '\(input.name)' of '\(served.name)' declares no shape to benchmark with; give it one in the ONNX file or a card")
            }
            let shape = [input.shape[0] ?? batch] + input.shape.dropFirst().map { $0 ?? 1 }
            let count = shape.reduce(1, *)
            feeds[input.name] = input.dataType == .int64 ? Tensor(shape: shape, int64s: [Int64](repeating: 0, count: count))
                : Tensor(shape: shape, floats: [Float](repeating: 0.5, count: count))
        }
        return feeds
    }

    /// What the node says about itself, for the HDDNN scheduler: a node whose model has no card
    /// answers 409 with what the card must give.
    public var info: NodeInfo {
        get throws(OIPError) {
            let served = model
            guard let card = served.card else { throw .conflict(Self.uncarded(node: spec.name, model: served)) }
            return NodeInfo(
                name: spec.name, role: spec.role, trust: spec.trust, threads: spec.threads, slowdown: spec.slowdown,
                model: .init(name: card.name, version: served.version, level: card.output.level.rawValue, labels: card.output.labels,
                             parameters: served.session.graph.parameterCount, inputName: card.input.name, inputShape: card.input.shape),
                card: card,
                benchmark: benchmark, split: served.split.map(\.summary), heads: heads.values.map(\.summary).sorted { $0.model < $1.model })
        }
    }

    /// Why HDDNN cannot schedule a node whose model has no card, and how to give it one.
    static func uncarded(node: String, model: ServedModel) -> String {
        "node '\(node)' serves '\(model.name)' as a plain OIP model, without a model card, so HDDNN cannot schedule it: "
            + "the card must add the input's value range, output.level (coarse or fine), output.labels (one name per output column, "
            + "in order) and a taxonomy whose coarse labels are the end devices'. Start one with `hddnn card init \(model.url.path)`, "
            + "fill those in, then load the model again (POST /v2/repository/models/\(model.name)/load) or restart the node"
    }

    // MARK: Inference

    /// Serves `POST /v2/models/{model}[/versions/{version}]/infer`; `version` nil is the latest.
    /// `caller`: who sent the request, as its certificate proves (nil on plain HTTP). A caller
    /// whose certificate says undependable may not hand this node raw data: it should never have
    /// held any (HDDNN §3.5).
    public func infer(model requested: String, version: String? = nil, request: OIPCodec.DecodedRequest, traceparent: String?,
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
        // The version this request runs on, whatever is loaded while it runs.
        let served = try repository.resolve(requested, version: version)
        guard let card = served.card else {
            if metadata != nil { throw .badRequest(Self.uncarded(node: spec.name, model: served)) }
            return try await plain(served, request: request)
        }
        guard request.inputs.count == 1, let input = request.inputs.first else {
            throw .badRequest("model '\(served.name)' takes one input, the request has \(request.inputs.count)")
        }
        if payload == .raw, spec.trust == .undependable, metadata != nil {
            throw .badRequest("node '\(spec.name)' is undependable and refuses raw HDDNN payloads; send the split's feature maps (\(served.split?.cut ?? "-"))")
        }
        let (session, feedName, tensor, ran) = try prepare(input, served: served, card: card, payload: payload, metadata: metadata)
        let outputs = try await engine.run(session, feed: feedName, tensor, ran: ran)
        guard let logits = outputs[card.output.name] else {
            throw .engine("the model produced no '\(card.output.name)' output")
        }
        let hop = TaskMetadata.Hop(node: spec.name, role: spec.role.rawValue, received: received, answered: TaskMetadata.now(),
                                   compute: outputs.timing.compute, emulatedWait: outputs.timing.emulatedWait, ran: ran,
                                   version: served.version)
        var parameters: Parameters = [
            "hddnn_node": .string(spec.name),
            "hddnn_level": .string(card.output.level.rawValue),
            "hddnn_compute_ms": .double(outputs.timing.compute * 1000),
        ]
        if var m = metadata {
            m.path.append(hop)
            parameters.merge(m.parameters) { $1 }
        }
        return InferenceAnswer(outputs: [WireTensor(name: card.output.name, tensor: logits)], parameters: parameters, version: served.version)
    }

    /// A plain OIP inference on a model without a card: the inputs its graph declares, by name,
    /// in their own datatypes; the outputs the request names, or all the graph's.
    private func plain(_ served: ServedModel, request: OIPCodec.DecodedRequest) async throws(OIPError) -> InferenceAnswer {
        let graph = served.session.graph
        var feeds: [String: Tensor] = [:]
        for input in request.inputs {
            guard let declared = graph.inputs.first(where: { $0.name == input.name }) else {
                throw .badRequest("model '\(served.name)' has no input '\(input.name)'; it takes \(graph.inputs.map(\.name).joined(separator: ", "))")
            }
            let expected = ServedModel.datatype(declared.dataType)
            guard input.datatype == expected else {
                throw .badRequest("input '\(input.name)' of '\(served.name)' is \(expected), the request sends \(input.datatype)")
            }
            if declared.shapeKnown {
                let fits = declared.shape.count == input.shape.count && zip(declared.shape, input.shape).allSatisfy { $0 == nil || $0 == $1 }
                guard fits else {
                    throw .badRequest("input '\(input.name)' of '\(served.name)' has shape \(declared.shape.map { $0 ?? -1 }), the request sends \(input.shape)")
                }
            }
            guard let batch = input.shape.first, batch >= 1, batch <= Self.maxBatch else {
                throw .badRequest("input '\(input.name)' shape \(input.shape) needs a batch dimension of 1...\(Self.maxBatch)")
            }
            feeds[input.name] = input.tensor()
        }
        let missing = graph.inputs.map(\.name).filter { feeds[$0] == nil }
        guard missing.isEmpty else { throw .badRequest("model '\(served.name)' also needs input \(missing.joined(separator: ", "))") }
        let wanted = request.request.outputs?.map(\.name) ?? graph.outputs.map(\.name)
        if let unknown = wanted.first(where: { name in !graph.outputs.contains { $0.name == name } }) {
            throw .badRequest("model '\(served.name)' has no output '\(unknown)'; it gives \(graph.outputs.map(\.name).joined(separator: ", "))")
        }
        let run = try await engine.run(served.session, feeds: feeds, ran: served.name)
        let outputs = try wanted.map { name throws(OIPError) in
            guard let t = run[name] else { throw .engine("the model produced no '\(name)' output") }
            return WireTensor(name: name, tensor: t)
        }
        return InferenceAnswer(outputs: outputs, parameters: ["hddnn_node": .string(spec.name), "hddnn_compute_ms": .double(run.timing.compute * 1000)],
                               version: served.version)
    }

    /// Checks the input against the card (raw) or the split (feature maps) and picks the session.
    private func prepare(_ input: WireTensor, served: ServedModel, card: ModelCard, payload: TaskMetadata.Payload,
                         metadata: TaskMetadata?) throws(OIPError) -> (InferenceSession, String, Tensor, String) {
        guard let batch = input.shape.first, batch >= 1, batch <= Self.maxBatch else {
            throw .badRequest("input '\(input.name)' shape \(input.shape) needs a batch dimension of 1...\(Self.maxBatch)")
        }
        switch payload {
        case .split:
            guard let split = served.split else { throw .badRequest("node '\(spec.name)' runs no split of '\(served.name)'; send raw input") }
            if let at = metadata?.splitAt, at != split.cut {
                throw .badRequest("feature maps were cut at '\(at)' but this node's split cuts at '\(split.cut)'")
            }
            guard input.name == split.cut else {
                throw .badRequest("split input must be named '\(split.cut)', got '\(input.name)'")
            }
            guard case .fp32 = input.payload, Array(input.shape.dropFirst()) == split.cutSampleShape else {
                throw .badRequest("split input '\(input.name)' must be FP32 of shape [N, \(split.cutSampleShape.map(String.init).joined(separator: ", "))], got \(input.datatype) \(input.shape)")
            }
            return (split.tail, split.cut, input.tensor(), "\(served.name).tail")
        case .raw:
            guard input.name == card.input.name else {
                throw .badRequest("model '\(served.name)' has input '\(card.input.name)', the request names '\(input.name)'")
            }
            if case .int64 = input.payload { throw .badRequest("input '\(input.name)' must be FP32 or UINT8, got INT64") }
            return (served.session, card.input.name, try modelInput(input, for: card, version: served.version), served.name)
        }
    }

    /// A raw input as `card`'s model takes it: UINT8 pixels scaled into the card's value range,
    /// then adapted to its sample shape (padding, channel copies, normalisation). Adapters are
    /// cached by model, version (a new version's card may say otherwise) and sample shape.
    private func modelInput(_ input: WireTensor, for card: ModelCard, version: String) throws(OIPError) -> Tensor {
        let source = Array(input.shape.dropFirst()), key = "\(card.name)/\(version)"
        let adapter: InputAdapter
        if let cached = state.withLock({ $0.adapters[key]?[source] }) {
            adapter = cached
        } else {
            do { adapter = try InputAdapter(source: source, card: card) } catch {
                throw .badRequest("input '\(input.name)' shape \(input.shape) does not fit model '\(card.name)' (takes \(card.input.shape)): \(error)")
            }
            state.withLock { $0.adapters[key, default: [:]][source] = adapter }
        }
        return adapter.apply(input.tensor(valueRange: card.input.pixelRange))
    }

    // MARK: Repository

    /// Loads every version of `name` found in the node's model folder (`POST
    /// /v2/repository/models/{name}/load`) and publishes them together once all compiled and
    /// answered one batch-1 inference, so a request sees the old set or the new one, never a
    /// part, and never a version that cannot run. The node's own model must keep a card; its
    /// new latest version is then benchmarked in the executor's queue, behind the requests
    /// already waiting, and `/hddnn/v1/node` shows the new t_p once that is done. Requests in
    /// flight finish on the version they resolved.
    public func load(_ name: String) async throws(OIPError) -> RepositoryLoadResponse {
        do { try ModelRepository.check(name) } catch { throw error.oip }
        guard state.withLock({ $0.loading.insert(name).inserted }) else {
            throw .conflict("model '\(name)' is being loaded already; retry when that load has answered")
        }
        defer { _ = state.withLock { $0.loading.remove(name) } }
        let options = SessionOptions(threads: spec.threads)
        if let source = headSources[name] { return try loadHead(name, from: source, options: options) }
        let own = name == modelName
        var models: [ServedModel] = []
        do {
            for file in try repository.files(of: name) {
                models.append(try ServedModel.load(name: name, version: file.version, url: file.url, options: options,
                                                   split: own && spec.role != .end, cut: spec.splitAt))
            }
        } catch { throw error.oip }
        guard let versions = ModelRepository.Versions(models) else { throw RepositoryError.notFound(name).oip }
        if own, versions.latest.card == nil {
            throw .conflict("version \(versions.latest.version) of '\(name)', this node's own model, has no card beside it; HDDNN jobs need one (`hddnn card init`)")
        }
        try Self.check(versions.latest)
        repository.install(versions)
        let kind = versions.latest.card == nil ? "plain" : "hddnn"
        logger.notice("loaded", metadata: ["model": "\(name)", "versions": "\(versions.numbers.joined(separator: ","))", "kind": "\(kind)"])
        if own { refreshBenchmark(of: versions.latest) }
        return RepositoryLoadResponse(name: name, versions: versions.numbers, kind: kind, benchmark: own ? "queued" : nil)
    }

    /// One batch-1 inference of a freshly loaded version (and its split's head and tail) before
    /// anything is routed to it; run here, not in the executor's queue, so it does not wait
    /// behind the node's backlog.
    static func check(_ served: ServedModel) throws(OIPError) {
        do {
            let feeds = try benchmarkFeeds(served, batch: 1)
            _ = try served.session.run(feeds)
            if let split = served.split, let features = try split.head.run(feeds)[split.cut] {
                _ = try split.tail.run([split.cut: features])
            }
        } catch {
            throw .badRequest("version \(served.version) of '\(served.name)' failed a test inference and is not served: \(error)")
        }
    }

    /// Benchmarks `served` in the executor's queue and, when it is still the latest version,
    /// makes it the node's benchmark.
    private func refreshBenchmark(of served: ServedModel) {
        Task {
            do {
                let result = try await measure(served, runs: 3)
                guard model.version == served.version else { return }
                state.withLock { $0.benchmark = result }
                logger.notice("benchmarked", metadata: ["model": "\(served.name)", "version": "\(served.version)",
                                                        "ms_per_batch": "\(String(format: "%.2f", result.modelSeconds * 1000))"])
            } catch {
                logger.error("benchmark of a loaded version failed; the node keeps its previous benchmark",
                             metadata: ["model": "\(served.name)", "version": "\(served.version)", "error": "\(error)"])
            }
        }
    }

    /// For a model this node runs the head of (for the undependable nodes that serve it): cuts
    /// the latest version in that node's folder, checks it with one inference and from then on
    /// sends its feature maps to that version's tail. Roll a new version out on the serving
    /// nodes first (they keep the old one beside it), then here, and no feature maps meet a
    /// tail of another version at any moment.
    private func loadHead(_ name: String, from source: (folder: URL, cut: String?), options: SessionOptions) throws(OIPError) -> RepositoryLoadResponse {
        let model: ServedModel
        do throws(RepositoryError) {
            guard let latest = try ModelRepository.files(of: name, in: source.folder).last else { throw .notFound(name) }
            model = try ServedModel.load(name: name, version: latest.version, url: latest.url, options: options, split: true, cut: source.cut)
        } catch { throw error.oip }
        guard let head = model.split else {
            throw RepositoryError.unloadable(model: name, version: model.version, reason: "it has no card, so no split").oip
        }
        try Self.check(model)
        state.withLock { $0.heads[name] = head }
        logger.notice("loaded", metadata: ["model": "\(name)", "versions": "\(head.version)", "kind": "head"])
        return RepositoryLoadResponse(name: name, versions: [head.version], kind: "head", benchmark: nil)
    }

    /// Unloads `name` (`POST /v2/repository/models/{name}/unload`); the node's own model stays.
    public func unload(_ name: String) throws(OIPError) {
        do { try repository.unload(name) } catch { throw error.oip }
        logger.notice("unloaded", metadata: ["model": "\(name)"])
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
        let head = state.withLock { $0.heads[target] }
        return try await forwarder.forward(
            tensor, model: target, to: next, head: head,
            prepare: { raw, card throws(OIPError) in try self.modelInput(raw, for: card, version: head?.version ?? "1") },
            metadata: metadata, hop: TaskMetadata.Hop(node: spec.name, role: spec.role.rawValue, received: received, ran: "relay"),
            timeout: timeout, traceparent: traceparent)
    }
}
