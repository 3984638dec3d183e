import ArgumentParser
import HDDNNKernels
import HDDNNRuntime

/// Which kernels the engine runs: the best this CPU supports, or a named instruction set.
enum KernelChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, reference, avx2, avx512

    var isa: hddnn_isa? {
        switch self {
        case .auto: nil
        case .reference: HDDNN_ISA_GENERIC
        case .avx2: HDDNN_ISA_AVX2
        case .avx512: HDDNN_ISA_AVX512
        }
    }
}

/// Flags every command that runs the engine shares.
struct EngineOptions: ParsableArguments {
    @Option(help: "Threads for the engine's kernels.")
    var threads: Int = 1

    @Flag(inversion: .prefixedNo,
          help: "Compute 3x3 stride-1 convolutions of 16+ channels with Winograd F(4x4,3x3) when a batch fills enough tiles (--no-winograd: im2col GEMM only, for comparison).")
    var winograd = true

    @Flag(inversion: .prefixedNo,
          help: "With several threads, run a batch as one part per thread when the model keeps samples apart (--no-batch-split: split each operator instead, for comparison).")
    var batchSplit = true

    @Option(help: "Kernels to run: auto (the best this CPU supports), reference (portable C), avx2, avx512.")
    var kernels: KernelChoice = .auto

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
        if let isa = kernels.isa, isa.rawValue > KernelTable.detected.isa.rawValue {
            throw ValidationError("--kernels \(kernels.rawValue) needs an instruction set this CPU lacks (it supports \(KernelTable.detected)); use --kernels auto")
        }
    }

    /// Session options. BLAS is kept single-threaded: convolutions run on the engine's own
    /// kernels and threads, and OpenBLAS's pthreads spin for a while after each call, stealing
    /// the core the engine's second worker needs (measured: 2 threads no faster than 1).
    func sessionOptions() -> SessionOptions {
        BLAS.setThreads(1)
        let table = kernels.isa.map { KernelTable(isa: $0) } ?? .detected
        return SessionOptions(threads: threads, kernels: table, winograd: winograd, splitBatches: batchSplit)
    }
}

/// Formats a declared shape with symbolic dimensions by name, e.g. `[batch, 3, 32, 32]`.
func formatShape(_ v: ValueInfo) -> String {
    guard v.shapeKnown else { return "[?]" }
    return "[" + zip(v.shape, v.dimensionNames).map { d, n in d.map(String.init) ?? n ?? "?" }.joined(separator: ", ") + "]"
}

/// 12345678 -> "12.35 M".
func humanCount(_ n: Int) -> String {
    switch n {
    case 1_000_000_000...: String(format: "%.2f G", Double(n) / 1e9)
    case 1_000_000...: String(format: "%.2f M", Double(n) / 1e6)
    case 1_000...: String(format: "%.2f k", Double(n) / 1e3)
    default: "\(n)"
    }
}

import Foundation
