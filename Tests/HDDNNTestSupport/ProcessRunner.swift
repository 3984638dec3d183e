import Foundation

/// Runs a command to its end and keeps what it said, for tests of the CLI and of tools it calls.
public struct ProcessRunner: Sendable {
    /// What a finished command gave back.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// The process ended on a signal rather than an exit.
        public var signalled: Bool
    }

    public var executable: URL
    public var environment: [String: String]?
    public var currentDirectory: URL?

    public init(executable: URL = Repository.hddnn, environment: [String: String]? = nil, currentDirectory: URL? = nil) {
        self.executable = executable
        self.environment = environment
        self.currentDirectory = currentDirectory
    }

    /// Runs `arguments`; a command still running after `timeout` seconds is killed (SIGKILL) and
    /// reported with `signalled`, so a hang fails the test instead of stalling the suite.
    public func run(_ arguments: [String], timeout: Double = 600) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let environment { p.environment = environment }
        if let currentDirectory { p.currentDirectoryURL = currentDirectory }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let watchdog = DispatchWorkItem { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        // Read both pipes to their end before waiting, so a chatty command cannot fill one and block.
        let group = DispatchGroup()
        nonisolated(unsafe) var stdout = Data(), stderr = Data()
        DispatchQueue.global().async(group: group) { stdout = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { stderr = err.fileHandleForReading.readDataToEndOfFile() }
        group.wait()
        p.waitUntilExit()
        watchdog.cancel()
        return Result(status: p.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self), signalled: p.terminationReason == .uncaughtSignal)
    }

    /// `run` with variadic arguments.
    public func run(_ arguments: String..., timeout: Double = 600) throws -> Result { try run(arguments, timeout: timeout) }
}
