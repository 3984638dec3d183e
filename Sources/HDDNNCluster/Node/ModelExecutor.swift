import Dispatch
import Foundation
import HDDNNRuntime

/// Runs a node's inferences one at a time, in arrival order, on a thread of its own.
///
/// One at a time because a node of the paper's testbed is one machine whose cores one batch
/// already uses (the engine's `threads`); queued requests wait, and the wait is what the queue
/// depth metric shows. The engine runs on a dedicated dispatch queue, never on Swift's
/// cooperative pool, so the HTTP server and the relays keep answering while a batch computes.
///
/// A node declared k times slower than this machine (`slowdown` in the topology) holds its turn
/// for (k-1) times the measured compute time after computing: emulation, reported as such.
public final class ModelExecutor: Sendable {
    public let slowdown: Double
    private let queue: DispatchQueue
    private let gate = FIFOGate()

    public init(name: String, slowdown: Double) {
        self.slowdown = slowdown
        self.queue = DispatchQueue(label: "hddnn.executor.\(name)", qos: .userInitiated)
    }

    /// Requests waiting or running.
    public var depth: Int { get async { await gate.depth } }

    public struct Timing: Sendable {
        /// Measured engine seconds.
        public var compute: Double
        /// Emulated slowdown wait in seconds.
        public var emulatedWait: Double
    }

    /// Runs `work` in turn; returns its result and the time it took.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> (T, Timing) {
        await gate.enter()
        let (result, compute): (Result<T, any Error>, Double) = await withCheckedContinuation { done in
            queue.async {
                let start = DispatchTime.now().uptimeNanoseconds
                let r = Result { try work() }
                done.resume(returning: (r, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            }
        }
        let wait = (slowdown - 1) * compute
        if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
        await gate.leave()
        return (try result.get(), Timing(compute: compute, emulatedWait: wait))
    }
}

extension ModelExecutor {
    /// A start-up benchmark: the median of `runs` timed runs after one warm-up.
    public struct Benchmark: Sendable {
        /// Seconds of the median run, the emulated slowdown included (what a batch costs here).
        public var charged: Double
        /// Measured engine seconds of that run.
        public var measured: Double
        /// The last run's outputs (feature maps for the next stage of a split).
        public var outputs: [String: Tensor]
    }

    /// Runs `session` on `input` once to warm up, then `runs` times, in turn with real requests.
    public func benchmark(_ session: InferenceSession, feed: String, _ input: Tensor, runs: Int = 3) async throws -> Benchmark {
        try await benchmark(session, feeds: [feed: input], runs: runs)
    }

    /// The same for a model of several inputs.
    public func benchmark(_ session: InferenceSession, feeds: [String: Tensor], runs: Int = 3) async throws -> Benchmark {
        var timings: [Timing] = []
        var outputs: [String: Tensor] = [:]
        for i in 0...runs {
            let (out, t) = try await run { try session.run(feeds) }
            if i > 0 { timings.append(t) }
            outputs = out
        }
        let median = timings.sorted { $0.compute < $1.compute }[timings.count / 2]
        return Benchmark(charged: median.compute + median.emulatedWait, measured: median.compute, outputs: outputs)
    }
}

/// An async mutex that admits waiters in arrival order.
actor FIFOGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    var depth: Int { waiters.count + (busy ? 1 : 0) }

    func enter() async {
        if !busy { busy = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func leave() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}
