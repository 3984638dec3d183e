import Foundation
import HDDNNCluster
import HDDNNTestSupport
import Testing

/// `serve`, `run` and `demo` as a user meets them: one-line errors for bad flags and files, a
/// clear message when nodes are not running, and Ctrl-C stopping every node a command started.
@Suite(.serialized) struct ClusterCLITests {
    func expectFailure(_ args: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try CLITests.hddnn(args)
        #expect(r.status != 0, sourceLocation: sourceLocation)
        #expect(r.stderr.contains(message), "\(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func badFlagsAndFilesAreOneLineErrors() throws {
        try expectFailure(["run", "--config", "/no/such.yaml"], "cannot read topology '/no/such.yaml'")
        try expectFailure(["run", "--config", "configs/local.yaml", "--kill", "end-2"], "expected NODE@SHARE")
        try expectFailure(["run", "--config", "configs/local.yaml", "--deadline", "soon"], "--deadline")
        try expectFailure(["run", "--config", "configs/local.yaml", "--scheme", "fastest"], "fastest")
        try expectFailure(["serve", "--config", Repository.root.appendingPathComponent("configs/local.yaml").path, "--node", "nope"], "no node named 'nope'")
        try expectFailure(["serve", "--model", "/no/model.onnx", "--port", "0"], "/no/model")
    }

    /// Every option of `run` and `demo` has a name of its own: `--json FILE` (the report) was
    /// once shadowed by the option group's `--json` flag, and the report was never written.
    @Test func noTwoOptionsShareAName() throws {
        for command in ["run", "demo", "chaos", "serve", "export kserve"] {
            let help = try CLITests.hddnn(command.split(separator: " ").map(String.init) + ["--help"]).stdout
            let options = help.components(separatedBy: "\nOPTIONS:").last ?? ""
            let names = options.split(separator: "\n").compactMap { line -> String? in
                let t = line.trimmingCharacters(in: .whitespaces)
                guard t.hasPrefix("--") else { return nil }
                return String(t.prefix { $0 != " " && $0 != "," })
            }
            #expect(Set(names).count == names.count, "\(command) --help lists an option twice: \(names.sorted())")
        }
    }

    /// A node serving a model without a card answers as a plain OIP model; a job refuses it
    /// before any task, with what the card must add and the command that starts one.
    @Test func aJobRefusesANodeWhoseModelHasNoCard() throws {
        let dir = try Repository.workspace("cardless")
        try FileManager.default.copyItem(at: Repository.root.appendingPathComponent("models/end-mobilenet.onnx"),
                                         to: dir.appendingPathComponent("plain.onnx"))
        let yaml = "defaults: { timeout: 10s }\ntls: off\nnodes:\n"
            + "  - { name: end-1, role: end, model: \(dir.path)/plain.onnx, port: \(LocalCluster.freeLoopbackPort()) }\n"
        try yaml.write(to: dir.appendingPathComponent("t.yaml"), atomically: true, encoding: .utf8)
        let r = try ProcessRunner(currentDirectory: dir).run(["run", "--config", "t.yaml", "--start", "--scheme", "end", "--images", "20",
                                                              "--journal", "j.sqlite"], timeout: 300)
        #expect(r.status != 0 && r.status != 3, "\(r.stderr)")
        #expect(r.stderr.contains("without a model card") && r.stderr.contains("hddnn card init \(dir.path)/plain.onnx"), "\(r.stderr)")
    }

    @Test func aJobWithoutRunningNodesSaysHowToStartThem() throws {
        let dir = try Repository.workspace("norun")
        let nodes = "nodes:\n  - { name: end-1, role: end, model: \(Repository.root.path)/models/end-mobilenet.onnx, port: \(LocalCluster.freeLoopbackPort()) }\n"
        try ("defaults: { timeout: 200ms }\ntls: off\n" + nodes).write(to: dir.appendingPathComponent("t.yaml"), atomically: true, encoding: .utf8)
        try expectFailure(["run", "--config", dir.appendingPathComponent("t.yaml").path, "--scheme", "end", "--images", "50",
                           "--journal", dir.appendingPathComponent("j.sqlite").path],
                          "node 'end-1' is not answering")
        // Under TLS (the default) with no certificates yet, no node can be running either: the
        // error says how to mint them and start the nodes.
        try ("defaults: { timeout: 200ms }\n" + nodes).write(to: dir.appendingPathComponent("tls.yaml"), atomically: true, encoding: .utf8)
        try expectFailure(["run", "--config", dir.appendingPathComponent("tls.yaml").path, "--scheme", "end", "--images", "50",
                           "--journal", dir.appendingPathComponent("j.sqlite").path],
                          "hddnn run --start")
    }

    @Test func ctrlCStopsEveryNodeTheCommandStarted() async throws {
        let dir = try Repository.workspace("sigint")
        let ports = [LocalCluster.freeLoopbackPort(), LocalCluster.freeLoopbackPort()]
        let yaml = """
            nodes:
              - { name: end-1, role: end, model: \(Repository.root.path)/models/end-mobilenet.onnx, port: \(ports[0]) }
              - { name: edge-1, role: edge, model: \(Repository.root.path)/models/edge-resnet.onnx, port: \(ports[1]) }
            links:
              - { from: "end-*", to: "edge-*", latency: 2s }

            """
        try yaml.write(to: dir.appendingPathComponent("t.yaml"), atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = Repository.hddnn
        p.currentDirectoryURL = dir
        p.arguments = ["run", "--config", "t.yaml", "--start", "--scheme", "end-edge", "--images", "5000"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // Wait until the nodes are up and the job is running, then interrupt.
        var seen = ""
        let deadline = Date().addingTimeInterval(120)
        while !seen.contains("all 2 nodes ready") && Date() < deadline {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        try #require(seen.contains("all 2 nodes ready"), "\(seen)")
        try await Task.sleep(for: .seconds(1))
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        for port in ports { #expect(!ClusterCLITests.listening(port), "port \(port) still open after Ctrl-C") }
    }


    static func listening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }
}
