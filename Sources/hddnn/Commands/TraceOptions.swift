import ArgumentParser
import Foundation
import HDDNNCluster
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// `--otlp-endpoint`: where this process sends its spans (`HopTracing`), over OTLP/HTTP with
/// protobuf bodies (every OpenTelemetry collector, Jaeger and Tempo take them). Off by default.
struct TraceOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Send per-hop trace spans over OTLP/HTTP to this URL (e.g. http://localhost:4318/v1/traces). Off unless given, or unless OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; nodes this command starts get it too.",
        valueName: "url"))
    var otlpEndpoint: String?

    func validate() throws {
        guard let otlpEndpoint else { return }
        guard let url = URL(string: otlpEndpoint), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ValidationError("--otlp-endpoint \(otlpEndpoint) is not an http(s) URL (e.g. http://localhost:4318/v1/traces)")
        }
    }

    /// Whether spans are exported: a URL given here or by the OpenTelemetry variables, and
    /// `OTEL_SDK_DISABLED` not true.
    var isOn: Bool {
        let environment = ProcessInfo.processInfo.environment
        if environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return false }
        return otlpEndpoint != nil || environment["OTEL_EXPORTER_OTLP_ENDPOINT"] != nil
            || environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != nil
    }

    /// What the nodes a command starts are given, so their spans go to the same collector.
    var nodeArguments: [String] { otlpEndpoint.map { ["--otlp-endpoint", $0] } ?? [] }

    /// Runs `body` with spans exported as `process` (the resource's `service.name`, unless
    /// `OTEL_SERVICE_NAME` says otherwise), then flushes what is left before returning. With
    /// tracing off it only runs `body`.
    func exporting(as process: String, _ body: () async throws -> Void) async throws {
        guard isOn else { return try await body() }
        let logger = Logger(label: "hddnn.tracing")
        var configuration = OTel.Configuration.default
        configuration.serviceName = process
        configuration.resourceAttributes["service.namespace"] = "hddnn"
        configuration.diagnosticLogger = .custom(logger)
        configuration.logs.enabled = false      // logs stay on standard error
        configuration.metrics.enabled = false   // metrics stay on /metrics (Prometheus)
        if let otlpEndpoint { configuration.traces.otlpExporter.endpoint = otlpEndpoint }
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        // A job of a few seconds should show up while it runs, not five seconds after.
        configuration.traces.batchSpanProcessor.scheduleDelay = .milliseconds(500)
        let (tracer, exporter) = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(tracer)
        let group = ServiceGroup(configuration: .init(services: [exporter], gracefulShutdownSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do { try await body() } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            // Graceful shutdown exports the spans still queued.
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
