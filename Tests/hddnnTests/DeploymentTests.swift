import AsyncHTTPClient
import Foundation
import HDDNNCluster
import NIOSSL
import HDDNNTestSupport
import Testing
import Yams

/// What can be checked of a Kubernetes deployment without a cluster or a Docker engine: the
/// committed `deploy/` is what `hddnn export kserve` writes today, its objects hang together and
/// pass the Kubernetes schemas, the serving runtime's container arguments start a node that its
/// own probes find ready, and the Dockerfile passes hadolint and installs every library the
/// binary loads.
@Suite(.serialized) struct DeploymentTests {
    static let shipped = [("configs/paper.yaml", "deploy/paper"), ("configs/local.yaml", "deploy/local")]

    /// The deployment tools' venv (`make deploy-venv`), required under `make test`.
    static func tool(_ name: String) throws -> String? {
        let path = Repository.root.appendingPathComponent(".venv-deploy/bin/\(name)").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        try #require(ProcessInfo.processInfo.environment["HDDNN_REQUIRE_OIP"] == nil, "\(path) is missing: run `make deploy-venv`")
        print("skipping: \(path) is missing (make deploy-venv)")
        return nil
    }

    /// A folder that looks like the repository to `hddnn export` (configs and models linked), so
    /// an export there writes the same relative paths as one from the repository root, and its
    /// PKI lands in the folder, not in the repository's `.hddnn`.
    static func exportRoot() throws -> URL {
        let dir = try Repository.workspace("export")
        for item in ["configs", "models"] {
            try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent(item), withDestinationURL: Repository.root.appendingPathComponent(item))
        }
        return dir
    }

    static func files(under folder: URL) -> [String: String] {
        var result: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return result }
        for case let url as URL in walker where !url.hasDirectoryPath && !url.path.contains("/pki/") {
            result[String(url.path.dropFirst(folder.path.count + 1))] = try? String(contentsOf: url, encoding: .utf8)
        }
        return result
    }

    @Test func theCommittedManifestsAreAFreshExport() throws {
        let root = try Self.exportRoot()
        for (config, out) in Self.shipped {
            let r = try ProcessRunner(currentDirectory: root).run(["export", "kserve", "--config", config, "--out", out])
            try #require(r.status == 0, "\(r.stderr)")
            let fresh = Self.files(under: root.appendingPathComponent(out))
            let committed = Self.files(under: Repository.root.appendingPathComponent(out))
            #expect(Set(fresh.keys) == Set(committed.keys), "\(out): export again with `hddnn export kserve --config \(config) --out \(out)`")
            for (path, text) in fresh where committed[path] != text {
                Issue.record("\(out)/\(path) differs from a fresh export: run `hddnn export kserve --config \(config) --out \(out)`")
            }
        }
    }

    static func documents(_ path: URL) throws -> [[String: Any]] {
        try Yams.load_all(yaml: String(contentsOf: path, encoding: .utf8)).compactMap { $0 as? [String: Any] }
    }

    @Test func theObjectsHangTogether() throws {
        for (config, out) in Self.shipped {
            let topology = try Topology.load(Repository.root.appendingPathComponent(config).path)
            let folder = Repository.root.appendingPathComponent(out)
            let runtime = try #require(try Self.documents(folder.appendingPathComponent("serving-runtime.yaml")).first)
            #expect(runtime["kind"] as? String == "ClusterServingRuntime")
            let runtimeName = try #require((runtime["metadata"] as? [String: Any])?["name"] as? String)
            let spec = try #require(runtime["spec"] as? [String: Any])
            #expect(spec["protocolVersions"] as? [String] == ["v2"])
            let formats = (spec["supportedModelFormats"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            let container = try #require((spec["containers"] as? [[String: Any]])?.first)
            #expect(container["name"] as? String == "kserve-container")
            let args = try #require(container["args"] as? [String])
            let port = try #require(args.firstIndex(of: "--port").flatMap { Int(args[$0 + 1]) })
            #expect((container["ports"] as? [[String: Any]])?.first?["containerPort"] as? Int == port)
            for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
                let get = (container[probe] as? [String: Any])?["httpGet"] as? [String: Any]
                #expect(get?["port"] as? Int == port, "\(probe) is not on the served port")
                #expect(get?["scheme"] as? String == (topology.tls != nil ? "HTTPS" : "HTTP"))
            }
            // One InferenceService per node of ours, named for it, pointing at the runtime.
            let services = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("inference-services").path)
            let ours = topology.nodes.filter { $0.foreign == nil }.map(\.name)
            #expect(Set(services) == Set(ours.map { "\($0).yaml" }))
            let kustomization = try #require(try Self.documents(folder.appendingPathComponent("kustomization.yaml")).first)
            let secrets = Set((kustomization["secretGenerator"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
            for name in ours {
                let isvc = try #require(try Self.documents(folder.appendingPathComponent("inference-services/\(name).yaml")).first)
                let metadata = try #require(isvc["metadata"] as? [String: Any])
                #expect(metadata["name"] as? String == name)
                #expect(name.range(of: "^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$", options: .regularExpression) != nil, "\(name)")
                #expect((metadata["annotations"] as? [String: String])?["serving.kserve.io/deploymentMode"] == "Standard")
                let predictor = try #require((isvc["spec"] as? [String: Any])?["predictor"] as? [String: Any])
                let model = try #require(predictor["model"] as? [String: Any])
                #expect(model["runtime"] as? String == runtimeName && model["protocolVersion"] as? String == "v2")
                #expect(formats.contains((model["modelFormat"] as? [String: Any])?["name"] as? String ?? "-"))
                let volumes = predictor["volumes"] as? [[String: Any]] ?? []
                let mounts = (model["volumeMounts"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect(Set(mounts).isSubset(of: Set(volumes.compactMap { $0["name"] as? String })))
                if topology.tls != nil {
                    let secret = volumes.compactMap { ($0["secret"] as? [String: Any])?["secretName"] as? String }.first
                    #expect(secret.map(secrets.contains) == true, "\(name)'s Secret is not generated")
                }
                let role = try topology.node(name).role
                let selector = predictor["nodeSelector"] as? [String: String] ?? [:]
                #expect(role == .end ? selector["node-role.kubernetes.io/edge"] == "" : selector["hddnn.io/tier"] == role.rawValue)
            }
            // The ConfigMap's topology is a topology, with every node of ours at its Service.
            let configMap = try #require(try Self.documents(folder.appendingPathComponent("topology.yaml")).first)
            let text = try #require((configMap["data"] as? [String: String])?["topology.yaml"])
            let inCluster = try Topology.parse(text, baseDirectory: URL(fileURLWithPath: "/"))
            for node in inCluster.nodes where node.foreign == nil {
                #expect(node.host == "\(node.name)-predictor.hddnn.svc.cluster.local" && node.port == 80)
                #expect(node.model.hasPrefix("/mnt/models/"))
            }
        }
    }

    @Test func kustomizeBuildsAndTheSchemasPass() throws {
        guard let validate = try Self.tool("kubernetes-validate") else { return }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl") else {
            print("skipping: kubectl is not installed, so `kubectl kustomize` is not checked"); return
        }
        let root = try Self.exportRoot()
        let r = try ProcessRunner(currentDirectory: root).run(["export", "kserve", "--config", "configs/paper.yaml", "--out", "out", "--pki"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("out/pki/ca-key.pem").path), "the CA key must stay out")
        let built = try ProcessRunner(executable: URL(fileURLWithPath: "/usr/bin/kubectl")).run(["kustomize", root.appendingPathComponent("out").path])
        try #require(built.status == 0, "\(built.stderr)")
        let all = root.appendingPathComponent("all.yaml")
        try built.stdout.write(to: all, atomically: true, encoding: .utf8)
        // KServe's own kinds have no schema there: their pods are checked as Pods below.
        let checked = try ProcessRunner(executable: URL(fileURLWithPath: validate)).run(["--strict", "--quiet", all.path])
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        let kinds = try Yams.load_all(yaml: built.stdout).compactMap { ($0 as? [String: Any])?["kind"] as? String }
        #expect(kinds.filter { $0 == "Secret" }.count == 14 && kinds.filter { $0 == "InferenceService" }.count == 13, "\(kinds)")

        // The pod KServe makes of each InferenceService: the runtime's container with the
        // service's mounts, volumes and placement, as a v1 Pod under the strict schema.
        let runtime = try #require(try Self.documents(root.appendingPathComponent("out/serving-runtime.yaml")).first)
        let container = try #require(((runtime["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?.first)
        var pods: [String] = []
        for name in ["end-1", "edge-3", "cloud"] {
            let isvc = try #require(try Self.documents(root.appendingPathComponent("out/inference-services/\(name).yaml")).first)
            let predictor = try #require((isvc["spec"] as? [String: Any])?["predictor"] as? [String: Any])
            let model = try #require(predictor["model"] as? [String: Any])
            var c = container
            c["volumeMounts"] = model["volumeMounts"]
            c["resources"] = model["resources"]
            c["args"] = (c["args"] as? [String])?.map { $0.replacingOccurrences(of: "{{.Name}}", with: name) }
            var spec: [String: Any] = ["containers": [c], "volumes": predictor["volumes"] ?? []]
            for key in ["nodeSelector", "tolerations"] where predictor[key] != nil { spec[key] = predictor[key] }
            pods.append(try Yams.dump(object: ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": name], "spec": spec]))
        }
        let podFile = root.appendingPathComponent("pods.yaml")
        try pods.joined(separator: "---\n").write(to: podFile, atomically: true, encoding: .utf8)
        let podCheck = try ProcessRunner(executable: URL(fileURLWithPath: validate)).run(["--strict", "--quiet", podFile.path])
        #expect(podCheck.status == 0, "\(podCheck.stdout)\(podCheck.stderr)")
    }

    /// The serving runtime's own container arguments, as KServe runs them for end-1 (paths
    /// mapped to this machine: the ConfigMap's topology, the models folder, the Secret's files;
    /// the port replaced by a free one everywhere it appears), start a node that the runtime's
    /// readiness probe finds ready, as the kubelet asks (HTTPS, no client certificate, no
    /// verification), and that answers one inference from the coordinator's certificate.
    @Test func theRuntimesArgumentsStartANodeItsProbesFindReady() async throws {
        let root = try Self.exportRoot()
        let r = try ProcessRunner(currentDirectory: root).run(["export", "kserve", "--config", "configs/paper.yaml", "--out", "out", "--pki"])
        try #require(r.status == 0, "\(r.stderr)")
        let out = root.appendingPathComponent("out")
        let configMap = try #require(try Self.documents(out.appendingPathComponent("topology.yaml")).first)
        let text = try #require((configMap["data"] as? [String: String])?["topology.yaml"])
        let here = text.replacingOccurrences(of: "/mnt/models/", with: Repository.root.appendingPathComponent("models").path + "/")
            .replacingOccurrences(of: "/etc/hddnn/pki", with: out.appendingPathComponent("pki").path)
        let topologyFile = root.appendingPathComponent("topology.yaml")
        try here.write(to: topologyFile, atomically: true, encoding: .utf8)

        let runtime = try #require(try Self.documents(out.appendingPathComponent("serving-runtime.yaml")).first)
        let container = try #require(((runtime["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?.first)
        let served = try #require(Int((container["args"] as? [String]).flatMap { a in a.firstIndex(of: "--port").map { a[$0 + 1] } } ?? ""))
        let port = LocalCluster.freeLoopbackPort()
        let args = try #require(container["args"] as? [String]).map {
            $0.replacingOccurrences(of: "{{.Name}}", with: "end-1").replacingOccurrences(of: "/etc/hddnn/topology/topology.yaml", with: topologyFile.path)
        }.map { $0 == "\(served)" ? "\(port)" : $0 }
        #expect(container["command"] as? [String] == ["hddnn"])
        let p = Process()
        p.executableURL = Repository.hddnn
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }

        let probe = try #require(container["readinessProbe"] as? [String: Any])
        let get = try #require(probe["httpGet"] as? [String: Any])
        #expect(get["port"] as? Int == served)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        let kubelet = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let url = "\((get["scheme"] as? String ?? "HTTP").lowercased())://127.0.0.1:\(port)\(get["path"] as? String ?? "")"
        var body = ""
        for _ in 0..<600 where body != #"{"ready":true}"# {
            if let response = try? await kubelet.execute(HTTPClientRequest(url: url), timeout: .seconds(2)), response.status == .ok {
                body = String(buffer: try await response.body.collect(upTo: 1024))
            } else {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        try await kubelet.shutdown()
        try #require(body == #"{"ready":true}"#, "the readiness probe at \(url) never answered ready")

        var local = try Topology.parse(here, baseDirectory: root)
        let index = try #require(local.nodes.firstIndex { $0.name == "end-1" })
        local.nodes[index].host = "127.0.0.1"
        local.nodes[index].port = port
        let client = NodeClient(origin: "coordinator", topology: local, emulateSilentFailures: false)
        let answer = try await client.infer(node: local.nodes[index], model: "end-mobilenet",
                                            inputs: [WireTensor(name: "input", shape: [8, 1, 28, 28], payload: .uint8(SeededData.images(8)))],
                                            metadata: nil, timeout: 60)
        #expect(answer.outputs.first?.shape == [8, 5])
        await client.shutdown()
    }

    @Test func theDockerfilePassesTheLinter() throws {
        guard let hadolint = try Self.tool("hadolint") else { return }
        let r = try ProcessRunner(executable: URL(fileURLWithPath: hadolint), currentDirectory: Repository.root).run(["Dockerfile"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }

    /// Every shared library `ldd` finds for the binary is the Swift runtime (linked in by the
    /// build stage's --static-swift-stdlib) or comes from a package that the run stage installs,
    /// one those depend on, or one every Debian image has (Essential).
    @Test func theRunStageInstallsEveryLibraryTheBinaryLoads() throws {
        let dockerfile = try String(contentsOf: Repository.root.appendingPathComponent("Dockerfile"), encoding: .utf8)
        #expect(dockerfile.contains("--static-swift-stdlib"))
        let runStage = try #require(dockerfile.components(separatedBy: "\nFROM ").last)
        let install = try #require(runStage.range(of: "--no-install-recommends")).upperBound
        let words = runStage[install...].prefix { $0 != "&" }.split(whereSeparator: { " \\\n".contains($0) }).map(String.init)
        let installed = Set(words)
        #expect(installed.contains("libopenblas0-pthread"), "\(installed)")
        let shell = ProcessRunner(executable: URL(fileURLWithPath: "/bin/sh"))
        func sh(_ command: String) throws -> String { try shell.run(["-c", command]).stdout }
        // What the listed packages bring with them (Depends and Pre-Depends, all alternatives).
        var closure = installed, pending = Array(installed)
        while let package = pending.popLast() {
            let depends = try sh("dpkg-query -W -f='${Depends}, ${Pre-Depends}' \(package) 2>/dev/null")
            for clause in depends.split(separator: ",") {
                for alternative in clause.split(separator: "|") {
                    let name = alternative.trimmingCharacters(in: .whitespaces).prefix { !" (:".contains($0) }
                    if !name.isEmpty, closure.insert(String(name)).inserted { pending.append(String(name)) }
                }
            }
        }
        let ldd = try sh("ldd \(Repository.hddnn.path)")
        var checked = 0
        for line in ldd.split(separator: "\n") {
            guard let arrow = line.range(of: "=> ") else { continue }
            let path = String(line[arrow.upperBound...].prefix { $0 != " " })
            if path.contains("/lib/swift/linux/") { continue }   // the Swift runtime: linked in
            let owner = try sh("dpkg -S \(path) 2>/dev/null || dpkg -S $(realpath \(path)) 2>/dev/null").split(separator: ":").first
                .map { String($0) } ?? ""
            try #require(!owner.isEmpty, "no package owns \(path)")
            let essential = try sh("dpkg-query -W -f='${Essential}' \(owner)") == "yes"
            #expect(closure.contains(owner) || essential, "\(path) comes from \(owner), which the run stage does not install")
            checked += 1
        }
        #expect(checked >= 5, "ldd found only \(checked) system libraries: \(ldd)")
    }
}
