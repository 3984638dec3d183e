import CoreMetrics
import Metrics
import Prometheus
import Synchronization

/// A node's Prometheus metrics (`GET /metrics`), recorded through swift-metrics with a factory of
/// the node's own, so several nodes in one test process keep separate registries.
public struct NodeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let queueDepth: CoreMetrics.Gauge
    private let bytesIn: CoreMetrics.Counter
    private let bytesOut: CoreMetrics.Counter
    private let inFlight: CoreMetrics.Gauge
    private let inFlightCount = Counted()

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
        queueDepth = CoreMetrics.Gauge(label: "hddnn_queue_depth", factory: factory)
        bytesIn = CoreMetrics.Counter(label: "hddnn_bytes_received_total", factory: factory)
        bytesOut = CoreMetrics.Counter(label: "hddnn_bytes_sent_total", factory: factory)
        inFlight = CoreMetrics.Gauge(label: "hddnn_requests_in_flight", factory: factory)
    }

    /// An inference request started or ended (`hddnn_requests_in_flight`: what a graceful stop
    /// waits for, and what an autoscaler reads as load).
    func inferStarted() { inFlight.record(inFlightCount.add(1)) }
    func inferEnded() { inFlight.record(inFlightCount.add(-1)) }

    private final class Counted: Sendable {
        private let value = Atomic<Int>(0)
        func add(_ n: Int) -> Int { value.add(n, ordering: .relaxed).newValue }
    }

    /// One answered HTTP request: count by route and status, latency histogram, body bytes.
    func request(route: String, status: Int, seconds: Double, bytesIn received: Int, bytesOut sent: Int) {
        CoreMetrics.Counter(label: "hddnn_requests_total", dimensions: [("route", route), ("status", String(status))], factory: factory).increment()
        CoreMetrics.Timer(label: "hddnn_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
        bytesIn.increment(by: received)
        bytesOut.increment(by: sent)
    }

    /// Engine time of one batch, by what ran (model, head or tail).
    func compute(ran: String, seconds: Double, images: Int) {
        CoreMetrics.Timer(label: "hddnn_compute_duration_seconds", dimensions: [("ran", ran)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
        CoreMetrics.Counter(label: "hddnn_images_total", dimensions: [("ran", ran)], factory: factory).increment(by: images)
    }

    /// A batch passed on to another node.
    func relayed(to node: String, payload: TaskMetadata.Payload, bytes: Int) {
        CoreMetrics.Counter(label: "hddnn_relayed_total", dimensions: [("to", node), ("payload", payload.rawValue)], factory: factory).increment()
        bytesOut.increment(by: bytes)
    }

    func queue(depth: Int) { queueDepth.record(depth) }

    /// A TLS handshake refused because the caller's certificate proves no identity of the project.
    func handshakeRefused() {
        CoreMetrics.Counter(label: "hddnn_tls_handshake_failures_total", factory: factory).increment()
    }

    /// A request refused because the authenticated caller may not make it.
    func denied() {
        CoreMetrics.Counter(label: "hddnn_authorization_denials_total", factory: factory).increment()
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
