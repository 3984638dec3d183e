import ArgumentParser
import Foundation
import HDDNNCluster

/// `hddnn repository`: a running node's models in and out (Triton's model repository extension).
struct RepositoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repository",
        abstract: "List, load and unload the models of a running node.",
        discussion: """
            A node serves the models of its folder (the folder of its topology model) in Triton's \
            layout: NAME/<v>/model.onnx is version v (card model.card.json beside it), a flat \
            NAME.onnx is version 1. Loading compiles every version on disk and publishes them \
            together; requests already running finish on the version they started on. Loading \
            the node's own model benchmarks the new latest version behind the requests waiting. On a dependable node, \
            loading a model it runs the split's head of cuts that model's latest version: roll a \
            new version out on the nodes serving it first, then on the dependable nodes.

            These are admin operations: they need a token with the admin scope (a node \
            certificate is not enough).

              export HDDNN_TOKEN=$(hddnn token issue --subject ops --scope admin)
              hddnn repository index --config configs/local.yaml --node cloud
              hddnn repository load cloud-wrn --config configs/local.yaml --node cloud
              hddnn repository load cloud-wrn --config configs/local.yaml --node end-1
              hddnn repository unload plain-net --config configs/local.yaml --node cloud
            """,
        subcommands: [Index.self, Load.self, Unload.self])

    struct Target: ParsableArguments {
        @Option(help: "Topology file (YAML): where the node listens and the CA to trust.")
        var config: String

        @Option(help: "The node's name in the topology.")
        var node: String

        @Option(help: "Bearer token with the admin scope (default: $HDDNN_TOKEN), from `hddnn token issue`.")
        var token: String?

        @Option(help: "Seconds to wait for an answer (a load benchmarks before it answers).")
        var timeout: Double = 120

        /// Posts `body` to `path` on the node with the token and decodes the answer.
        func post<Body: Encodable & Sendable, T: Codable>(_ path: String, _ body: Body, as type: T.Type) async throws -> T {
            let topology = try Topology.load(config)
            let spec = try topology.node(node)
            let token = token ?? ProcessInfo.processInfo.environment["HDDNN_TOKEN"]
            if topology.tls != nil, token == nil {
                throw ValidationError("give --token (or set HDDNN_TOKEN): `hddnn token issue --subject ops --scope admin --audience \(node)`")
            }
            let client = NodeClient(origin: "operator", topology: topology, emulateSilentFailures: false, token: token)
            defer { Task { await client.shutdown() } }
            do {
                return try await client.post(body, as: T.self, node: spec, path: path, timeout: timeout)
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    struct Index: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every model in the node's folder, loaded or not.")
        @OptionGroup var target: Target

        func run() async throws {
            for entry in try await target.post("/v2/repository/index", RepositoryIndexRequest(), as: [RepositoryIndexEntry].self) {
                print("\(entry.name.padding(toLength: max(24, entry.name.count + 2), withPad: " ", startingAt: 0))"
                      + "\(entry.version.map { "v\($0)" } ?? "-")\t\(entry.state.rawValue)\(entry.reason.isEmpty ? "" : "\t\(entry.reason)")")
            }
        }
    }

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load every version of a model on disk (a new one rolls out).")
        @Argument(help: "The model's name in the node's folder.")
        var model: String
        @OptionGroup var target: Target

        func run() async throws {
            let loaded = try await target.post("/v2/repository/models/\(model)/load", RepositoryLoadRequest(), as: RepositoryLoadResponse.self)
            print("loaded \(loaded.name) (\(loaded.kind)): version \(loaded.versions.joined(separator: ", "))"
                  + (loaded.benchmark == "queued" ? "; its benchmark runs behind the queued requests (see /hddnn/v1/node)" : ""))
        }
    }

    struct Unload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unload a model; requests already running finish on it.")
        @Argument(help: "The model's name.")
        var model: String
        @OptionGroup var target: Target

        func run() async throws {
            _ = try await target.post("/v2/repository/models/\(model)/unload", [String: String](), as: [String: String].self)
            print("unloaded \(model)")
        }
    }
}
