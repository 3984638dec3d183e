/// One span as an OTLP exporter sent it: enough to check how a trace hangs together.
public struct ExportedSpan: Sendable, CustomStringConvertible {
    /// The exporting process's `service.name`.
    public var service: String
    public var traceID: String
    public var spanID: String
    /// Empty for a root span.
    public var parentSpanID: String
    public var name: String
    /// OTLP's SpanKind: 1 internal, 2 server, 3 client.
    public var kind: Int
    /// Attribute values as text (ints in decimal, bools as true/false).
    public var attributes: [String: String]

    public var description: String { "\(service): \(name) [\(spanID) <- \(parentSpanID.isEmpty ? "root" : parentSpanID)]" }
}

/// Reads the spans of an OTLP/HTTP protobuf body (`ExportTraceServiceRequest`, from
/// opentelemetry-proto's trace/v1 and common/v1), with a protobuf wire reader of its own, so a
/// test can be the collector without generated code. Only the fields a test looks at are read;
/// the rest are skipped by wire type, as a protobuf decoder must.
public enum OTLPTraceReader {
    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    public static func spans(_ body: [UInt8]) throws(Malformed) -> [ExportedSpan] {
        var spans: [ExportedSpan] = []
        for field in try fields(body[...]) where field.number == 1 {           // resource_spans
            var service = ""
            var resourceSpans: [ArraySlice<UInt8>] = []
            for f in try fields(field.bytes) {
                if f.number == 1 {                                              // resource
                    service = try attributes(f.bytes, number: 1)["service.name"] ?? ""
                } else if f.number == 2 {                                       // scope_spans
                    resourceSpans += try fields(f.bytes).filter { $0.number == 2 }.map(\.bytes)
                }
            }
            for s in resourceSpans { spans.append(try span(s, service: service)) }
        }
        return spans
    }

    private static func span(_ bytes: ArraySlice<UInt8>, service: String) throws(Malformed) -> ExportedSpan {
        var span = ExportedSpan(service: service, traceID: "", spanID: "", parentSpanID: "", name: "", kind: 0, attributes: [:])
        for f in try fields(bytes) {
            switch f.number {
            case 1: span.traceID = hex(f.bytes)
            case 2: span.spanID = hex(f.bytes)
            case 4: span.parentSpanID = hex(f.bytes)
            case 5: span.name = String(decoding: f.bytes, as: UTF8.self)
            case 6: span.kind = Int(f.varint)
            default: break
            }
        }
        span.attributes = try attributes(bytes, number: 9)
        return span
    }

    /// The `KeyValue` entries at field `number` of a message, values as text.
    private static func attributes(_ message: ArraySlice<UInt8>, number: Int) throws(Malformed) -> [String: String] {
        var result: [String: String] = [:]
        for kv in try fields(message) where kv.number == number {
            var key = "", value = ""
            for f in try fields(kv.bytes) {
                if f.number == 1 { key = String(decoding: f.bytes, as: UTF8.self) }
                if f.number == 2, let v = try fields(f.bytes).first {           // AnyValue's one field
                    switch v.number {
                    case 1: value = String(decoding: v.bytes, as: UTF8.self)
                    case 2: value = v.varint != 0 ? "true" : "false"
                    case 3: value = String(Int64(bitPattern: v.varint))
                    default: value = "?"
                    }
                }
            }
            result[key] = value
        }
        return result
    }

    private struct Field {
        var number: Int
        var varint: UInt64 = 0
        var bytes: ArraySlice<UInt8> = []
    }

    private static func fields(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> [Field] {
        var result: [Field] = []
        var i = bytes.startIndex
        func varint() throws(Malformed) -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.endIndex, shift < 64 else { throw Malformed(description: "truncated varint at byte \(i)") }
                let b = bytes[i]
                i += 1
                value |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
            }
        }
        func take(_ n: Int) throws(Malformed) -> ArraySlice<UInt8> {
            guard n >= 0, bytes.endIndex - i >= n else { throw Malformed(description: "field of \(n) bytes runs past the end") }
            defer { i += n }
            return bytes[i..<i + n]
        }
        while i < bytes.endIndex {
            let tag = try varint()
            var field = Field(number: Int(tag >> 3))
            switch tag & 7 {
            case 0: field.varint = try varint()
            case 1: field.bytes = try take(8)
            case 2: field.bytes = try take(Int(try varint()))
            case 5: field.bytes = try take(4)
            default: throw Malformed(description: "wire type \(tag & 7) of field \(tag >> 3) is not protobuf's")
            }
            result.append(field)
        }
        return result
    }

    private static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
