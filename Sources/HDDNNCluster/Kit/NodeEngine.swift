import HDDNNRuntime

/// A node's engine as its requests use it: the executor's queue (and emulated slowdown), each
/// run counted in the node's metrics, engine failures as the protocol's 500.
public struct NodeEngine: Sendable {
    public let executor: ModelExecutor
    public let metrics: NodeMetrics

    public init(executor: ModelExecutor, metrics: NodeMetrics) {
        self.executor = executor
        self.metrics = metrics
    }

    /// What one run produced and what it cost.
    public struct Run: Sendable {
        public var values: [String: Tensor]
        public var timing: ModelExecutor.Timing
        public subscript(_ name: String) -> Tensor? { values[name] }
    }

    /// Runs `session` on `tensor` fed as `feed`; `ran` names it in the metrics and the task's path.
    public func run(_ session: InferenceSession, feed: String, _ tensor: Tensor, ran: String) async throws(OIPError) -> Run {
        try await run(session, feeds: [feed: tensor], ran: ran)
    }

    /// Runs `session` on several named inputs (a plain OIP model's); the first input's leading
    /// dimension counts as the batch.
    public func run(_ session: InferenceSession, feeds: [String: Tensor], ran: String) async throws(OIPError) -> Run {
        metrics.queue(depth: await executor.depth + 1)
        do {
            let (values, timing) = try await executor.run { try session.run(feeds) }
            let batch = session.inputNames.first.flatMap { feeds[$0]?.shape.first } ?? 0
            metrics.compute(ran: ran, seconds: timing.compute, images: batch)
            metrics.queue(depth: await executor.depth)
            return Run(values: values, timing: timing)
        } catch let e as EngineError {
            throw .engine(e.description)
        } catch {
            throw .engine("\(error)")
        }
    }
}
