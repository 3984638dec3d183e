import ArgumentParser
import Dispatch
import Foundation
import HDDNNONNX
import HDDNNRuntime
#if canImport(Glibc)
import Glibc
#endif

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time a model: ms per image (median, min, p90), GFLOP/s and peak memory.",
        discussion: """
            Feeds random inputs (seeded) of the given batch size, runs --warmup \
            untimed runs, then --runs timed ones. GFLOP/s counts 2 FLOPs per \
            multiply-accumulate of the model's convolutions and matrix products \
            (as `hddnn inspect` reports them). Peak RSS is the process's \
            high-water mark, model loading included.

            With --profile, time is broken down by operator kind and by node, from \
            an extra observed run per timed run. Observed runs keep the batch whole \
            (no split across threads), and a chain of depthwise and pointwise \
            convolutions shows as one SeparableChain node.

            For comparisons, run the other engine in the same command and \
            environment (see bench/compare-ort); --no-winograd and \
            --no-batch-split compare the engine's own choices.
            """)

    @Argument(help: "The ONNX model file.")
    var model: String

    @Option(help: "Images per run.")
    var batch: Int = 1

    @Option(help: "Timed runs.")
    var runs: Int = 10

    @Option(help: "Untimed warm-up runs.")
    var warmup: Int = 2

    @Flag(help: "Break the time down by operator kind.")
    var profile = false

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Seed of the random input.")
    var seed: UInt64 = 0

    @OptionGroup var engine: EngineOptions

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup cannot be negative") }
    }

    struct Report: Encodable {
        var model: String
        var batch: Int
        var threads: Int
        var runs: Int
        var msPerImage: Stats
        var gflops: Double
        var macsPerImage: Int
        var peakRSSMiB: Double
        var blas: String
        var kernels: String
        var profile: [String: Double]?
    }

    struct Stats: Encodable {
        var median: Double, min: Double, p90: Double
    }

    func run() throws {
        let session = try ONNXModel.session(contentsOf: URL(fileURLWithPath: model), options: engine.sessionOptions())
        let macs = try ModelAnalysis(session: session, asCompiled: true).macsPerSample
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        var feeds = [String: Tensor]()
        for input in session.graph.inputs where session.graph.initializers[input.name] == nil {
            let shape = input.shape.enumerated().map { $0.element ?? ($0.offset == 0 ? batch : 1) }
            guard input.dataType == .float32 else {
                throw ValidationError("input '\(input.name)' is \(input.dataType); bench feeds float32 inputs only")
            }
            feeds[input.name] = Tensor(shape: shape, floats: (0..<Shape.count(shape)).map { _ in uniform() })
        }
        for _ in 0..<warmup { _ = try session.run(feeds) }
        var times = [Double]()
        var byKind = [String: Double]()
        var byNode = [String: (ms: Double, detail: String)]()
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try session.run(feeds)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(batch))
            if profile {
                _ = try session.run(feeds) { event in
                    let ms = Double(event.nanoseconds) / 1e6 / Double(batch * runs)
                    byKind[event.node.opType, default: 0] += ms
                    let detail = "\(event.node.opType) \(event.inputShapes.first.flatMap { $0 }.map { "\($0)" } ?? "") -> \(event.outputShapes.first.map { "\($0)" } ?? "")"
                    byNode[event.node.name, default: (0, detail)].ms += ms
                }
            }
        }
        times.sort()
        let median = times[times.count / 2]
        let p90 = times[min(times.count - 1, Int((Double(times.count) * 0.9).rounded(.up)) - 1)]
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let report = Report(
            model: model, batch: batch, threads: engine.threads, runs: runs,
            msPerImage: Stats(median: median, min: times[0], p90: p90),
            gflops: 2 * Double(macs) / (median * 1e6), macsPerImage: macs,
            peakRSSMiB: Double(usage.ru_maxrss) / 1024, blas: BLAS.configuration,
            kernels: session.options.kernels.description,
            profile: profile ? byKind : nil)
        if json {
            print(try jsonString(report))
            return
        }
        print(String(format: "%@  batch %d, %d thread%@, %@ kernels, %d runs: %.3f ms/image median (min %.3f, p90 %.3f), %.1f GFLOP/s, peak RSS %.0f MiB",
                     model, batch, engine.threads, engine.threads == 1 ? "" : "s", report.kernels, runs, median, times[0], p90,
                     report.gflops, report.peakRSSMiB))
        if profile {
            let total = byKind.values.reduce(0, +)
            for (kind, ms) in byKind.sorted(by: { $0.value > $1.value }) {
                print(String(format: "  %-20@ %8.3f ms/image  %5.1f%%", kind, ms, 100 * ms / total))
            }
            print("  slowest nodes:")
            for (name, entry) in byNode.sorted(by: { $0.value.ms > $1.value.ms }).prefix(8) {
                print(String(format: "    %8.3f ms/image  %@  %@", entry.ms, name, entry.detail))
            }
        }
    }
}
