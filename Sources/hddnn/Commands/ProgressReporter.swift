import Foundation

/// Progress of a long run on stderr: a bar redrawn in place when stderr is a terminal, otherwise
/// (logs, CI, pipes) a plain line at every tenth of the work, so logs stay readable.
final class ProgressReporter: @unchecked Sendable {
    let label: String
    let isTerminal: Bool
    private let start = ContinuousClock.now
    private var nextLine = 0.1
    private var drawn = false

    init(label: String, isTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.label = label
        self.isTerminal = isTerminal
    }

    /// Reports `done` of `total` items.
    func update(done: Int, total: Int) {
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let rate = seconds > 0 ? Double(done) / seconds : 0
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write(String(format: "\r%@ [%@] %d/%d %3.0f%% %.0f images/s", label, bar, done, total, fraction * 100, rate))
            drawn = true
        } else if fraction >= nextLine || done == total {
            write(String(format: "%@: %d/%d images (%.0f%%), %.0f images/s\n", label, done, total, fraction * 100, rate))
            while nextLine <= fraction { nextLine += 0.1 }
        }
    }

    /// Ends the bar's line, so what follows starts on a fresh one.
    func finish() {
        if drawn { write("\n") }
    }

    private func write(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }
}
