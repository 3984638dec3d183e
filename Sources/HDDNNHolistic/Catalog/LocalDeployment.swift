import Foundation
import HDDNNCluster
import Hummingbird
import Logging
import ServiceLifecycle

/// A holistic deployment on this machine: the catalogue in this process, every service node its
/// own `hddnn holistic node` process (which registers itself once it has benchmarked its models).
/// What `hddnn query --start`, `hddnn holistic fit|experiment` and the tests run on.
public final class LocalDeployment: Sendable {
    public let catalog: Catalog
    public let cluster: LocalCluster
    private let services: ServiceGroup
    private let server: Task<Void, any Error>

    private init(catalog: Catalog, cluster: LocalCluster, services: ServiceGroup, server: Task<Void, any Error>) {
        self.catalog = catalog
        self.cluster = cluster
        self.services = services
        self.server = server
    }

    /// Starts the catalogue, then the nodes one at a time (each benchmarks its models alone),
    /// and returns when every node has registered.
    public static func start(configPath: String, executable: URL, logDirectory: URL, timeout: Double = 180,
                             progress: (@Sendable (String) -> Void)? = nil) async throws -> LocalDeployment {
        let config = try HolisticConfig.load(configPath)
        // Under TLS, the catalogue's certificate and every node's are minted on first use.
        _ = try ClusterPKI.ensure(config.topology, also: [config.catalog])
        let catalog = Catalog(config: config, table: try Catalog.table(for: config))
        let app = try CatalogServer(catalog: catalog).application()
        // A service group of its own so `stop()` can shut the server down gracefully; signals
        // stay with the command that owns the process.
        let services = ServiceGroup(configuration: .init(services: [app], logger: catalog.logger))
        let server = Task { try await services.run() }
        let cluster = LocalCluster(topology: config.topology, configPath: configPath, executable: executable,
                                   logDirectory: logDirectory, command: ["holistic", "node"])
        let deployment = LocalDeployment(catalog: catalog, cluster: cluster, services: services, server: server)
        do {
            try await cluster.start(timeout: timeout, progress: progress)
            let deadline = ContinuousClock.now + .seconds(30)
            while !catalog.isComplete {
                guard ContinuousClock.now < deadline else {
                    let missing = config.topology.nodes.map(\.name).filter { n in !catalog.nodes.contains { $0.name == n } }
                    throw HolisticError.execution("nodes \(missing.joined(separator: ", ")) are ready but never registered with the catalogue at \(config.catalog.host):\(config.catalog.port); see \(logDirectory.path)")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        } catch {
            await deployment.stop()
            throw error
        }
        return deployment
    }

    public func stop() async {
        cluster.stop()
        await services.triggerGracefulShutdown()
        _ = try? await server.value
        await catalog.shutdown()
    }
}
