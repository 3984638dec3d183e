import ArgumentParser
import HDDNNRuntime

/// Flags every command that runs the engine shares.
struct EngineOptions: ParsableArguments {
    @Option(help: "Threads for the engine and BLAS.")
    var threads: Int = 1

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    }

    /// Session options, after configuring BLAS's process-wide thread count to match.
    func sessionOptions() -> SessionOptions {
        BLAS.setThreads(threads)
        return SessionOptions(threads: threads)
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
