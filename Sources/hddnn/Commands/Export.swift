import ArgumentParser
import Foundation
import HDDNNCluster
import HDDNNScheduling

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a topology as deployment manifests for a cluster.",
        subcommands: [KServe.self])

    struct KServe: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kserve",
            abstract: "Write KServe manifests for a topology: a serving runtime, an InferenceService per node, the coordinator's Job.",
            discussion: """
                Writes, into --out, a ClusterServingRuntime `hddnn` (OIP v2, HTTPS probes on the \
                served port, Prometheus annotations), one InferenceService per node (deployment \
                mode Standard; end devices on KubeEdge edge nodes, edge and cloud nodes on nodes \
                labelled hddnn.io/tier=edge or cloud), the topology as a ConfigMap rewritten to \
                the cluster's Service names, `hddnn run` as a Job, and a kustomization.yaml that \
                makes one Secret per process from pki/. The certificates are copied there only \
                with --pki (keys never belong in a repository). docs/deployment.md walks through it.

                  hddnn export kserve --config configs/paper.yaml --out deploy/paper
                  hddnn export kserve --config configs/paper.yaml --out /tmp/paper --pki
                  kubectl apply -k /tmp/paper
                """)

        @Option(help: "Topology file (YAML).")
        var config: String

        @Option(help: "Folder to write (files of an earlier export there are replaced).")
        var out: String

        @Option(help: "Kubernetes namespace of the nodes and the Job.")
        var namespace = KServeManifests().namespace

        @Option(help: "Container image running hddnn (see Dockerfile).")
        var image = KServeManifests().image

        @Option(help: "Where KServe fetches the models folder from, mounted at /mnt/models in every node.")
        var storageUri = KServeManifests().storageURI

        @Option(help: "Port each node listens on in its pod (its Service answers on 80).")
        var port = KServeManifests().port

        @Option(help: "The coordinator Job's scheme.")
        var scheme: SchemeKind = .mapping

        @Option(help: "The coordinator Job's number of images.")
        var images = KServeManifests().images

        @Flag(help: "Copy each process's certificate and key, the CA certificate and the token public key into OUT/pki (minting what is missing), for the Secrets.")
        var pki = false

        func validate() throws {
            guard (1...65535).contains(port) else { throw ValidationError("--port must be 1...65535") }
            guard images > 0 else { throw ValidationError("--images must be positive") }
        }

        func run() throws {
            let topology = try Topology.load(config)
            let text = try String(contentsOfFile: config, encoding: .utf8)
            var manifests = KServeManifests()
            manifests.namespace = namespace
            manifests.image = image
            manifests.storageURI = storageUri
            manifests.port = port
            manifests.scheme = scheme.rawValue
            manifests.images = images
            let files = try manifests.files(topology: topology, yamlText: text, generatedBy: generatedBy)
            let folder = URL(fileURLWithPath: out)
            let fm = FileManager.default
            // An export replaces the last one: InferenceServices of nodes no longer in the topology go.
            try? fm.removeItem(at: folder.appendingPathComponent("inference-services"))
            for (path, content) in files.sorted(by: { $0.key < $1.key }) {
                let url = folder.appendingPathComponent(path)
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try content.write(to: url, atomically: true, encoding: .utf8)
            }
            print("wrote \(files.count) files to \(out) (\(topology.nodes.filter { $0.foreign == nil }.count) InferenceServices)")
            guard let tls = topology.tls else {
                print("note: \(config) says `tls: off`: the nodes will answer plain HTTP inside the cluster")
                return
            }
            if pki {
                for line in try ClusterPKI.ensure(topology) { print("pki: \(line)") }
                let target = folder.appendingPathComponent("pki")
                try fm.createDirectory(at: target, withIntermediateDirectories: true)
                var sources: [String: URL] = ["ca.pem": URL(fileURLWithPath: tls.ca), "tokens.pem": URL(fileURLWithPath: tls.tokens)]
                for process in ClusterPKI.processes(topology) {
                    sources["\(process).pem"] = URL(fileURLWithPath: tls.certificate(of: process))
                    sources["\(process)-key.pem"] = URL(fileURLWithPath: tls.key(of: process))
                }
                for (name, source) in sources.sorted(by: { $0.key < $1.key }) {
                    let destination = target.appendingPathComponent(name)
                    try? fm.removeItem(at: destination)
                    try fm.copyItem(at: source, to: destination)
                }
                print("copied \(sources.count) PKI files to \(target.path) (no CA key); keep that folder out of version control")
            } else {
                print("next: copy the PKI for the Secrets (`hddnn export kserve ... --pki`), then `kubectl apply -k \(out)`")
            }
        }

        /// The command as written into each file, with only the options given.
        var generatedBy: String {
            let defaults = KServeManifests()
            var words = ["hddnn export kserve --config \(config) --out \(out)"]
            if namespace != defaults.namespace { words.append("--namespace \(namespace)") }
            if image != defaults.image { words.append("--image \(image)") }
            if storageUri != defaults.storageURI { words.append("--storage-uri \(storageUri)") }
            if port != defaults.port { words.append("--port \(port)") }
            if scheme.rawValue != defaults.scheme { words.append("--scheme \(scheme.rawValue)") }
            if images != defaults.images { words.append("--images \(images)") }
            return words.joined(separator: " ")
        }
    }
}
