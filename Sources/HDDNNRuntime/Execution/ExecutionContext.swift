import Dispatch

/// What a running operator may use: the thread budget of its session.
///
/// Passed in, never global, so two sessions with different thread counts can live in one process
/// (an end model on one thread beside an edge model on two, as a node hosting both would run them).
public struct ExecutionContext: Sendable {
    /// Threads this session may use for its own loops (BLAS calls are configured separately).
    public let threads: Int

    public init(threads: Int) {
        self.threads = max(1, threads)
    }

    /// Runs `body(i)` for `i` in `0..<count`, spread over up to `threads` workers.
    ///
    /// Work is split into contiguous chunks so each worker touches neighbouring memory.
    @inlinable
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            // Workers write disjoint ranges; the closure outlives none of them.
            let shared = UnsafeSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let start = count * w / workers
                let end = count * (w + 1) / workers
                for i in start..<end { shared.pointer(i) }
            }
        }
    }
}
