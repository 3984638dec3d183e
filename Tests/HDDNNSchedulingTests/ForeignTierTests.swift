import Foundation
import HDDNNCluster
import HDDNNData
import HDDNNRuntime
import HDDNNScheduling
import HDDNNTestSupport
import Testing

/// A job whose cloud tier is MLServer with ONNX Runtime, a server this project did not write:
/// our dependable end device runs the split's head and sends the feature maps as a plain OIP
/// request to the tail MLServer serves. The fine labels are those of the whole model on our
/// engine (what our own cloud node gives, `ClusterIntegrationTests`), nothing is lost, and each
/// task's path shows the foreign hop measured from outside.
///
/// `make test` installs MLServer and ONNX Runtime into `.venv-mlserver` and sets
/// HDDNN_REQUIRE_OIP=1, so a missing venv fails here; a plain `swift test` skips, saying so.
@Suite(.serialized) struct ForeignTierTests {
    static let images = 300

    /// MLServer's folder in `dir/mlserver`: the tail of cloud-wrn from `hddnn split`, settings
    /// that declare its tensors, free ports. Returns the HTTP port.
    static func mlserverFolder(in dir: URL) throws -> Int {
        let model = try CardedModel.load(onnx: URL(fileURLWithPath: wholeModel))
        let cut = try SplitModule(model: model, options: .init()).cut

        // MLServer's model folder: the tail from `hddnn split`, settings that declare its tensors.
        let served = dir.appendingPathComponent("mlserver/cloud-wrn-tail")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        let split = try ProcessRunner().run("split", wholeModel, "--at", cut, "--head", dir.appendingPathComponent("head.onnx").path,
                                            "--tail", served.appendingPathComponent("model.onnx").path)
        try #require(split.status == 0, "\(split.stderr)")
        let port = LocalCluster.freeLoopbackPort()
        let settings: [String: Any] = ["host": "127.0.0.1", "http_port": port, "grpc_port": LocalCluster.freeLoopbackPort(),
                                       "metrics_port": LocalCluster.freeLoopbackPort(), "parallel_workers": 0]
        try JSONSerialization.data(withJSONObject: settings).write(to: dir.appendingPathComponent("mlserver/settings.json"))
        let modelSettings: [String: Any] = [
            "name": "cloud-wrn-tail", "implementation": "onnx_runtime.ONNXRuntime", "parameters": ["uri": "./model.onnx"],
            "inputs": [["name": cut, "datatype": "FP32", "shape": [-1, 16, 28, 28]]],
            "outputs": [["name": "logits", "datatype": "FP32", "shape": [-1, 10]]],
        ]
        try JSONSerialization.data(withJSONObject: modelSettings).write(to: served.appendingPathComponent("model-settings.json"))
        return port
    }

    static let wholeModel = ClusterFixture.models + "/cloud-wrn.onnx"

    /// Polls the foreign server's readiness for up to two minutes.
    static func waitReady(_ node: NodeSpec, topology: Topology) async -> Bool {
        let client = NodeClient(origin: "coordinator", topology: topology, emulateSilentFailures: false)
        for _ in 0..<240 {
            if await client.isReady(node, timeout: 1) { await client.shutdown(); return true }
            try? await Task.sleep(for: .milliseconds(500))
        }
        await client.shutdown()
        return false
    }

    /// `mlserver start folder` through scripts/mlserver/serve.py, which stops it when this test
    /// process is gone. It is stopped with SIGKILL: started from the test process, MLServer
    /// ignored SIGTERM and SIGINT (still running 10 s after each, tried here).
    static func startMLServer(python: String, folder: URL, log: URL) throws -> Process {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: python)
        server.arguments = [Repository.root.appendingPathComponent("scripts/mlserver/serve.py").path, folder.path]
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = Repository.root.appendingPathComponent("scripts/mlserver").path
        server.environment = environment
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        server.standardOutput = output
        server.standardError = output
        try server.run()
        return server
    }

    @Test func aJobWithMLServerAsItsCloudTierGivesTheSameFineLabels() async throws {
        guard let python = Repository.python(venv: ".venv-mlserver") else {
            if Repository.requiresInterop { Issue.record(".venv-mlserver is missing: run `make mlserver-venv`") } else {
                print("ForeignTierTests skipped: no .venv-mlserver (make mlserver-venv installs it)")
            }
            return
        }
        let dir = try ClusterFixture.workspace("foreign")
        let port = try Self.mlserverFolder(in: dir)
        let server = try Self.startMLServer(python: python, folder: dir.appendingPathComponent("mlserver"),
                                            log: dir.appendingPathComponent("mlserver.log"))
        do { try await Self.job(dir: dir, port: port) } catch {
            kill(server.processIdentifier, SIGKILL)
            throw error
        }
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
    }

    /// The job against MLServer listening on `port`, and what it must show.
    static func job(dir: URL, port: Int) async throws {
        let yaml = """
            defaults: { timeout: 2s, request_timeout: 60s, benchmark_batch: 50 }
            nodes:
              - { name: end-1, role: end, trust: dependable, model: \(ClusterFixture.models)/end-mobilenet.onnx, port: \(LocalCluster.freeLoopbackPort()) }
              - { name: cloud, role: cloud, trust: undependable, model: \(Self.wholeModel), oip: { url: "http://127.0.0.1:\(port)", model: cloud-wrn-tail } }
            links:
              - { from: "end-*", to: cloud, latency: 10ms, bandwidth: 500Mbit/s }

            """
        let path = dir.appendingPathComponent("topology.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let topology = try Topology.load(path)
        let cluster = LocalCluster(topology: topology, configPath: path, executable: ClusterFixture.hddnn,
                                   logDirectory: dir.appendingPathComponent("logs"))
        try await cluster.start(timeout: 180)
        let report: JobReport, journal: Journal
        do {
            (report, journal) = try await answers(cluster, dir: dir)
        } catch {
            cluster.stop()
            throw error
        }
        cluster.stop()
        try check(report, journal: journal)
    }

    static func answers(_ cluster: LocalCluster, dir: URL) async throws -> (JobReport, Journal) {
        let topology = cluster.topology
        let ready = await Self.waitReady(topology.nodes.first { $0.foreign != nil }!, topology: topology)
        let mlserverLog = (try? String(contentsOf: dir.appendingPathComponent("mlserver.log"), encoding: .utf8)) ?? ""
        try #require(ready, "MLServer did not become ready: \(mlserverLog.suffix(2000))")

        let journal = try ClusterFixture.journal("foreign")
        let report = try await ClusterFixture.run(cluster, JobConfiguration(scheme: .endCloud, images: Self.images, batch: 50,
                                                                            dataDirectory: ClusterFixture.data), journal: journal)
        return (report, journal)
    }

    static func check(_ report: JobReport, journal: Journal) throws {
        #expect(report.tasks == 6 && report.tasksLost == 0 && report.duplicateResults == 0)
        #expect(report.fineShare == 1 && (report.fineAccuracy ?? 0) > 0.85, "fine accuracy \(report.fineAccuracy ?? 0)")

        // The labels our engine gives for the whole model on the same pixels.
        let expected = try ClusterFixture.wholeModelLabels("cloud-wrn.onnx", images: Self.images)
        let got = try journal.tasks(job: report.jobID).flatMap { $0.fine ?? [] }
        #expect(got == expected, "\(zip(got, expected).filter { $0 != $1 }.count) of \(Self.images) fine labels differ")

        // Each task went end-1 (head) -> cloud (MLServer), feature maps only, the foreign hop timed from outside.
        for row in report.taskRecords {
            let record = try #require(row.metadata.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            let fine = try #require(record["fine"] as? [String: Any])
            #expect(fine["payload"] as? String == "split")
            let hops = fine["path"] as? [[String: Any]] ?? []
            #expect(hops.compactMap { $0["node"] as? String } == ["end-1", "cloud"], "\(hops)")
            #expect((hops.last?["ran"] as? String)?.contains("foreign") == true && (hops.last?["compute"] as? Double ?? 0) > 0)
        }
        // The calibration measured the foreign tier from outside.
        #expect((report.costs.cloud?.processing ?? 0) > 0)
    }
}
