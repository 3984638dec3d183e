import HTTPTypes
import NIOHTTP1
import Tracing

/// Per-hop traces: every inference exchange of a job becomes a client span in the sender and a
/// server span in the node that answers it, linked by the W3C `traceparent` header, so one job's
/// hops (coordinator → end device → edge or cloud) read as one trace in any OTLP collector.
///
/// Off unless the process bootstrapped a tracer (`hddnn ... --otlp-endpoint URL`, or the standard
/// `OTEL_EXPORTER_OTLP_ENDPOINT`): with the default no-op tracer no span is made, and a node
/// forwards the `traceparent` it received unchanged, as it always did. Health probes and the
/// Monitor's heartbeats are not traced: only the exchanges a task is made of.
public enum HopTracing {
    /// Runs `body` inside a new span that is the current context's child (the task-local
    /// `InstrumentationContext.current`, or `context` when given), ending it when `body` returns
    /// and recording what it throws. Typed throws survive, unlike the library's `withSpan`.
    public static func span<T, E: Error>(_ name: String, kind: SpanKind = .internal, context: InstrumentationContext? = nil,
                                         attributes: SpanAttributes = [:],
                                         _ body: (any Span) async throws(E) -> T) async throws(E) -> T {
        let span = InstrumentationSystem.tracer.startSpan(name, context: context ?? .current ?? .topLevel, ofKind: kind)
        span.attributes.merge(attributes)
        defer { span.end() }
        let result: Result<T, E> = await InstrumentationContext.$current.withValue(span.context) {
            do throws(E) { return .success(try await body(span)) } catch {
                span.recordError(error)
                span.setStatus(.init(code: .error))
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The context a request arrives in: its `traceparent` (and `tracestate`) read by the
    /// bootstrapped propagator.
    public static func context(of headers: HTTPFields) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        InstrumentationSystem.instrument.extract(headers, into: &context, using: FieldsExtractor())
        return context
    }

    /// Writes `span`'s context into an outgoing request's headers; with tracing off (nothing
    /// written) the `received` trace header is passed on as it came.
    public static func inject(_ span: any Span, into headers: inout HTTPHeaders, received: String?) {
        InstrumentationSystem.instrument.inject(span.context, into: &headers, using: HeadersInjector())
        if let received, !headers.contains(name: "traceparent") { headers.add(name: "traceparent", value: received) }
    }

    private struct FieldsExtractor: Extractor {
        func extract(key: String, from fields: HTTPFields) -> String? {
            HTTPField.Name(key).flatMap { fields[$0] }
        }
    }

    private struct HeadersInjector: Injector {
        func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
            headers.replaceOrAdd(name: key, value: value)
        }
    }
}
