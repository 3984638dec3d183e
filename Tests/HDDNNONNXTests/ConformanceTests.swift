import Foundation
import HDDNNONNX
import HDDNNRuntime
import Testing

/// Runs ONNX's own test suite (Debian `libonnx-testdata`) through the engine.
///
/// A case is *in scope* when the importer accepts its model and input types: every operator, opset,
/// IR version and element type is supported. Out-of-scope cases are counted by reason. Every
/// in-scope case must match the stored outputs within rtol 1e-3, atol 1e-5.
@Suite struct ConformanceTests {
    static let root = URL(fileURLWithPath: ProcessInfo.processInfo.environment["HDDNN_ONNX_TESTDATA"]
                          ?? "/usr/share/libonnx-testdata/data")
    static let suites = ["node", "pytorch-converted", "pytorch-operator", "simple"]

    @Test func onnxTestDataConforms() throws {
        try #require(FileManager.default.fileExists(atPath: Self.root.path),
                     "ONNX test data missing at \(Self.root.path); install it with `apt-get install libonnx-testdata`")
        var report = ConformanceReport()
        for suite in Self.suites {
            let dir = Self.root.appendingPathComponent(suite)
            let cases = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            for name in cases {
                report.record(suite: suite, name: name, outcome: Self.runCase(dir.appendingPathComponent(name)))
            }
        }
        let summary = report.summary()
        print(summary)
        if let out = ProcessInfo.processInfo.environment["HDDNN_CONFORMANCE_REPORT"] {
            try summary.write(toFile: out, atomically: true, encoding: .utf8)
        }
        #expect(report.failures.isEmpty, "\(report.failures.count) in-scope cases failed:\n\(report.failures.joined(separator: "\n"))")
        #expect(report.passed > 100, "suspiciously few cases passed: \(report.passed)")
    }

    enum Outcome {
        case pass
        case outOfScope(String)
        case fail(String)
    }

    static func runCase(_ dir: URL) -> Outcome {
        let session: InferenceSession
        do {
            let graph = try ONNXModel.load(contentsOf: dir.appendingPathComponent("model.onnx"))
            session = try InferenceSession(graph: graph)
        } catch let error {
            if let reason = outOfScopeReason(error) { return .outOfScope(reason) }
            return .fail("load: \(error)")
        }
        let sets = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasPrefix("test_data_set_") }.sorted()
        guard !sets.isEmpty else { return .outOfScope("no test data set") }
        for set in sets {
            let setDir = dir.appendingPathComponent(set)
            do {
                let inputs = try tensors(in: setDir, prefix: "input_")
                let expected = try tensors(in: setDir, prefix: "output_")
                var feeds = [String: Tensor]()
                let names = session.inputNames
                guard inputs.count == names.count else { return .fail("\(set): \(inputs.count) input files for \(names.count) inputs") }
                for (n, t) in zip(names, inputs) { feeds[n] = t }
                let outputs = try session.run(feeds)
                for (i, want) in expected.enumerated() {
                    let name = session.graph.outputs[i].name
                    guard let got = outputs[name] else { return .fail("\(set): output '\(name)' missing") }
                    if let problem = compare(got, want) { return .fail("\(set): output '\(name)': \(problem)") }
                }
            } catch let error as ONNXError {
                if let reason = outOfScopeReason(error) { return .outOfScope(reason) }
                return .fail("\(set): \(error)")
            } catch {
                return .fail("\(set): \(error)")
            }
        }
        return .pass
    }

    static func tensors(in dir: URL, prefix: String) throws -> [Tensor] {
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".pb") }
            .sorted { Int($0.dropFirst(prefix.count).dropLast(3))! < Int($1.dropFirst(prefix.count).dropLast(3))! }
        return try files.map { f in
            let url = dir.appendingPathComponent(f)
            return try ONNXModel.tensor(protobuf: try Data(contentsOf: url), path: url.path)
        }
    }

    /// Errors that mean "the engine does not claim this feature", as opposed to a bug.
    static func outOfScopeReason(_ error: any Error) -> String? {
        switch error {
        case ONNXError.engine(let e): return outOfScopeReason(e)
        case ONNXError.unsupportedDataType(_, let t): return "element type \(t)"
        case ONNXError.unsupportedOpset(let v, _): return "opset \(v)"
        case ONNXError.unsupportedIRVersion(let v, _): return "IR version \(v)"
        case ONNXError.unsupportedTensorFeature(_, let f): return f
        case EngineError.unsupportedOperator(let op, let domain, _, _): return "operator \(domain.isEmpty ? "" : domain + ".")\(op)"
        case EngineError.inNode(_, let op, EngineError.invalidAttribute(_, let name, let reason)):
            return "\(op) attribute \(name): \(reason)"
        default: return nil
        }
    }

    /// nil when `got` matches `want` within rtol 1e-3, atol 1e-5; else what differs.
    static func compare(_ got: Tensor, _ want: Tensor) -> String? {
        guard got.shape == want.shape || (got.count == want.count && got.count == 1) else { return "shape \(got.shape), expected \(want.shape)" }
        guard got.dataType == want.dataType else { return "type \(got.dataType), expected \(want.dataType)" }
        switch (got.storage, want.storage) {
        case let (.float32(a), .float32(b)):
            for i in 0..<a.count {
                if a[i].isNaN && b[i].isNaN { continue }
                if a[i] == b[i] { continue }
                if !(abs(a[i] - b[i]) <= 1e-5 + 1e-3 * abs(b[i])) { return "element \(i): \(a[i]), expected \(b[i])" }
            }
        case let (.int64(a), .int64(b)):
            if let i = a.indices.first(where: { a[$0] != b[$0] }) { return "element \(i): \(a[i]), expected \(b[i])" }
        default: return "type mismatch"
        }
        return nil
    }
}

/// Counts per suite, for the README.
struct ConformanceReport {
    var rows: [String: (total: Int, inScope: Int, passed: Int)] = [:]
    var reasons: [String: Int] = [:]
    var failures: [String] = []
    var passed: Int { rows.values.reduce(0) { $0 + $1.passed } }

    mutating func record(suite: String, name: String, outcome: ConformanceTests.Outcome) {
        var row = rows[suite] ?? (0, 0, 0)
        row.total += 1
        switch outcome {
        case .pass: row.inScope += 1; row.passed += 1
        case .fail(let why): row.inScope += 1; failures.append("\(suite)/\(name): \(why)")
        case .outOfScope(let why): reasons[why, default: 0] += 1
        }
        rows[suite] = row
    }

    func summary() -> String {
        var lines = ["| suite | cases | in scope | passed |", "|---|---|---|---|"]
        var t = (0, 0, 0)
        for suite in ConformanceTests.suites {
            guard let r = rows[suite] else { continue }
            lines.append("| \(suite) | \(r.total) | \(r.inScope) | \(r.passed) |")
            t.0 += r.total; t.1 += r.inScope; t.2 += r.passed
        }
        lines.append("| **all** | \(t.0) | \(t.1) | \(t.2) |")
        lines.append("")
        lines.append("Out of scope, by reason (cases):")
        for (why, n) in reasons.sorted(by: { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }) {
            lines.append("- \(why): \(n)")
        }
        return lines.joined(separator: "\n")
    }
}
