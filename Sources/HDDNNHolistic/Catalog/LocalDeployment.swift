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
    /// Nodes not started because their data is not on this machine, with the missing path.
    public let leftOut: [(node: String, missing: String)]
    private let services: ServiceGroup
    private let server: Task<Void, any Error>

    private init(catalog: Catalog, cluster: LocalCluster, leftOut: [(node: String, missing: String)], services: ServiceGroup,
                 server: Task<Void, any Error>) {
        self.catalog = catalog
        self.cluster = cluster
        self.leftOut = leftOut
        self.services = services
        self.server = server
    }

    /// Starts the catalogue, then the nodes one at a time (each benchmarks its models alone),
    /// and returns when every node started has registered. A node whose data file is not on
    /// this machine (the ACTG 175 parties before `make holistic-data`) is left out and listed
    /// in `leftOut`; queries that need it then say no node holds their records.
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
        let leftOut = config.topology.nodes.compactMap { node in config.holdings[node.name]?.missing.map { (node: node.name, missing: $0) } }
        let started = config.topology.nodes.map(\.name).filter { n in !leftOut.contains { $0.node == n } }
        let deployment = LocalDeployment(catalog: catalog, cluster: cluster, leftOut: leftOut, services: services, server: server)
        do {
            guard !started.isEmpty else { throw HolisticError.config("no node of \(configPath) has its data on this machine: \(leftOut.map(\.missing).joined(separator: ", "))") }
            catalog.expect(started)
            try await cluster.start(started, timeout: timeout, progress: progress)
            let deadline = ContinuousClock.now + .seconds(30)
            while !catalog.isComplete {
                guard ContinuousClock.now < deadline else {
                    let missing = started.filter { n in !catalog.nodes.contains { $0.name == n } }
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
