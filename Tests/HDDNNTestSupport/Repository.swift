import Foundation

/// Where the things tests use live, wherever the test process runs from.
public enum Repository {
    /// The repository root (this file is Tests/HDDNNTestSupport/Repository.swift).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The shipped models (models/).
    public static let models = root.appendingPathComponent("models")
    /// The `hddnn` binary built beside the test bundle (`swift build --build-tests` builds both).
    public static let hddnn = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hddnn")
    /// Fashion-MNIST as Debian's dataset-fashion-mnist installs it.
    public static let fashionMNIST = "/usr/share/datasets/fashion-mnist"

    /// The Python of a local venv the Makefile installs (`.venv-oip`, `.venv-kserve`,
    /// `.venv-mlserver`), nil when it is not there.
    public static func python(venv: String) -> String? {
        let path = root.appendingPathComponent("\(venv)/bin/python").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Whether the interoperability tests must find their venvs (`make test` sets
    /// HDDNN_REQUIRE_OIP=1): a missing venv is then a failure, elsewhere a skip.
    public static var requiresInterop: Bool { ProcessInfo.processInfo.environment["HDDNN_REQUIRE_OIP"] == "1" }

    /// A fresh folder under the temporary directory, named for the test that asks.
    public static func workspace(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hddnn-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
