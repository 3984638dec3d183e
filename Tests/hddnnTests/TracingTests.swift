import Foundation
import HDDNNCluster
import HDDNNTestSupport
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// Per-hop traces (`HopTracing`, `--otlp-endpoint`): a real `hddnn run --start` over mutual TLS
/// exports to a collector that this test is (OTLP/HTTP protobuf, read by `OTLPTraceReader`), and
/// one job must read as one trace whose hops chain across the processes.
@Suite(.serialized) struct TracingTests {
    /// What the collector was sent: the spans of every export body.
    final class Collector: Sendable {
        private let received = Mutex<[ExportedSpan]>([])
        private let errors = Mutex<[String]>([])
        var spans: [ExportedSpan] { received.withLock { $0 } }
        var malformed: [String] { errors.withLock { $0 } }

        func take(_ body: [UInt8]) {
            do { let s = try OTLPTraceReader.spans(body); received.withLock { $0 += s } } catch {
                errors.withLock { $0.append(error.description) }
            }
        }
    }

    /// Runs an OTLP/HTTP collector at `POST /v1/traces` on a free loopback port while `body` runs.
    func withCollector(_ body: @escaping @Sendable (Int, Collector) async throws -> Void) async throws {
        let collector = Collector()
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 16 << 20)
            collector.take(Array(buffer.readableBytesView))
            return Response(status: .ok)
        }
        // Port 0 and the port the server got: a port picked free beforehand can be taken by
        // another suite's node before the collector binds it.
        let (bound, announce) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in announce.yield(channel.localAddress?.port ?? 0); announce.finish() })
        let server = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: Logger(label: "collector")))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var ports = bound.makeAsyncIterator()
            let port = try #require(await ports.next())
            do { try await body(port, collector) } catch {
                await server.triggerGracefulShutdown()
                throw error
            }
            await server.triggerGracefulShutdown()
        }
    }

    @Test func aJobIsOneTraceWhoseHopsChainAcrossTheNodes() async throws {
        try await withCollector { port, collector in
            let dir = try Repository.workspace("tracing")
            let models = Repository.root.appendingPathComponent("models").path
            let yaml = """
                defaults: { timeout: 10s }
                nodes:
                  - { name: end-1, role: end, model: \(models)/end-mobilenet.onnx, port: \(LocalCluster.freeLoopbackPort()) }
                  - { name: cloud, role: cloud, trust: undependable, model: \(models)/cloud-wrn.onnx, port: \(LocalCluster.freeLoopbackPort()) }

                """
            try yaml.write(to: dir.appendingPathComponent("t.yaml"), atomically: true, encoding: .utf8)
            let run = try await Self.detached {
                try ProcessRunner(currentDirectory: dir).run(["run", "--config", "t.yaml", "--start", "--scheme", "end-cloud",
                                                              "--images", "40", "--batch", "20", "--journal", "j.sqlite",
                                                              "--otlp-endpoint", "http://127.0.0.1:\(port)/v1/traces"], timeout: 300)
            }
            try #require(run.status == 0, "\(run.stderr)")
            #expect(collector.malformed.isEmpty, "\(collector.malformed)")
            let spans = collector.spans
            let roots = spans.filter { $0.name == "job end-cloud" }
            try #require(roots.count == 1, "\(spans)\n\(run.stderr)")
            let job = roots[0]
            #expect(job.service == "coordinator" && job.parentSpanID.isEmpty)
            let trace = spans.filter { $0.traceID == job.traceID }
            // Every process's spans are in the job's trace, and nothing else was traced (no health
            // probes, no trace of their own).
            #expect(Set(trace.map(\.service)) == ["coordinator", "end-1", "cloud"], "\(trace)")
            #expect(trace.count == spans.count, "spans outside the job's trace: \(spans.filter { $0.traceID != job.traceID })")
            let byID = Dictionary(trace.map { ($0.spanID, $0) }, uniquingKeysWith: { a, _ in a })
            for span in trace where span.spanID != job.spanID {
                #expect(byID[span.parentSpanID] != nil, "\(span) hangs from a span the trace does not have")
            }
            let jobID = try #require(job.attributes["hddnn.job"])
            // Each task's fine label: coordinator → end-1 (which cuts the head) → cloud, hop by hop.
            for task in 0..<2 {
                let toCloud = trace.filter { $0.service == "end-1" && $0.name == "infer cloud" && $0.attributes["hddnn.task"] == "\(jobID)/\(task)" }
                try #require(toCloud.count == 1, "task \(task): \(trace)")
                let atEnd = try #require(byID[toCloud[0].parentSpanID])
                #expect(atEnd.service == "end-1" && atEnd.kind == 2, "\(atEnd)")
                let fromCoordinator = try #require(byID[atEnd.parentSpanID])
                #expect(fromCoordinator.service == "coordinator" && fromCoordinator.name == "infer end-1" && fromCoordinator.kind == 3)
                let atCloud = trace.filter { $0.service == "cloud" && $0.parentSpanID == toCloud[0].spanID }
                #expect(atCloud.count == 1 && atCloud.first?.kind == 2 && atCloud.first?.attributes["hddnn.model_version"] == "1", "\(atCloud)")
                #expect(toCloud[0].attributes["hddnn.bytes_sent"].flatMap(Int.init) ?? 0 > 0)
            }
        }
    }

    @Test func aBadEndpointIsAnErrorBeforeAnythingStarts() throws {
        let r = try CLITests.hddnn(["run", "--config", "configs/local.yaml", "--otlp-endpoint", "localhost:4318"])
        #expect(r.status != 0 && r.stderr.contains("is not an http(s) URL"), "\(r.stderr)")
    }

    /// Runs blocking work (a child process to its end) off the cooperative pool.
    static func detached<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }
}
