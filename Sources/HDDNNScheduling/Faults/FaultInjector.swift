import HDDNNCluster

/// What a job uses to inject the faults its configuration asks for (`JobConfiguration.kills`):
/// kill a node as a crashed machine dies, and start it again.
public protocol FaultInjector: Sendable {
    /// SIGKILLs `node`; returns false when it was not running.
    @discardableResult func kill(_ node: String) -> Bool
    /// Starts `node` again and returns once it is ready.
    func restart(_ node: String) async throws
}

extension LocalCluster: FaultInjector {
    public func restart(_ node: String) async throws {
        try await start([node], timeout: 120, stopOnFailure: false)
    }
}
