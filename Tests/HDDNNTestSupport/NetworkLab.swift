import Foundation

/// Hosts on one machine: a network namespace per host, each joined to one bridge by a veth
/// pair and given its own address, so traffic between them crosses real network devices, and
/// the kernel shapes it (`tc` with `tbf`; `netem` is not available here, so no delay). Needs
/// root; `available` says why not. Everything made is removed by `tearDown()`, and names carry a
/// random tag so runs never meet.
public final class NetworkLab: @unchecked Sendable {
    public struct Host: Sendable {
        public var name: String
        public var namespace: String
        public var address: String
        /// The veth end in the root namespace (on the bridge) and the one inside the host.
        public var outside: String
        public var inside: String
    }

    public let tag: String
    public let bridge: String
    /// The root namespace's address on the bridge (where a process outside every host sends from).
    public let gateway: String
    public private(set) var hosts: [String: Host] = [:]
    private let subnet: String

    /// Nil with the reason when this process may not make namespaces.
    public static var unavailable: String? {
        if getuid() != 0 { return "needs root to make network namespaces (CI runs as root)" }
        for tool in ["/usr/sbin/ip", "/usr/sbin/tc"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing (Debian's iproute2)"
        }
        return nil
    }

    public init(subnet third: Int = Int.random(in: 100...250)) throws {
        tag = String(UInt32.random(in: 0...0xfff), radix: 16)
        bridge = "hb\(tag)"
        subnet = "10.231.\(third)"
        gateway = "\(subnet).1"
        try Self.ip("link", "add", bridge, "type", "bridge")
        try Self.ip("addr", "add", "\(gateway)/24", "dev", bridge)
        try Self.ip("link", "set", bridge, "up")
    }

    /// A host named `name` at the next address.
    @discardableResult
    public func addHost(_ name: String) throws -> Host {
        let index = hosts.count + 10
        let host = Host(name: name, namespace: "hddnn-\(tag)-\(name)", address: "\(subnet).\(index)",
                        outside: "hv\(tag)\(index)o", inside: "hv\(tag)\(index)i")
        try Self.ip("netns", "add", host.namespace)
        hosts[name] = host
        try Self.ip("link", "add", host.outside, "type", "veth", "peer", "name", host.inside)
        try Self.ip("link", "set", host.inside, "netns", host.namespace)
        try Self.ip("link", "set", host.outside, "master", bridge)
        try Self.ip("link", "set", host.outside, "up")
        try Self.ip("-n", host.namespace, "addr", "add", "\(host.address)/24", "dev", host.inside)
        try Self.ip("-n", host.namespace, "link", "set", host.inside, "up")
        try Self.ip("-n", host.namespace, "link", "set", "lo", "up")
        return host
    }

    /// Shapes everything into and out of `name` to `rate` (tc's units: `40mbit`), with a token
    /// bucket filter on both ends of its veth.
    public func shape(_ name: String, rate: String) throws {
        let host = try self.host(name)
        let tbf = ["qdisc", "add", "dev", "DEV", "root", "tbf", "rate", rate, "burst", "256kb", "latency", "2s"]
        try Self.run("/usr/sbin/tc", tbf.map { $0 == "DEV" ? host.outside : $0 })
        try Self.run("/usr/sbin/ip", ["netns", "exec", host.namespace, "/usr/sbin/tc"] + tbf.map { $0 == "DEV" ? host.inside : $0 })
    }

    /// The host's link goes down: packets to it are dropped, so a sender times out instead of
    /// being refused, as when a machine loses its network.
    public func cut(_ name: String) throws { try Self.ip("link", "set", try host(name).outside, "down") }

    /// The host's link is back up.
    public func restore(_ name: String) throws { try Self.ip("link", "set", try host(name).outside, "up") }

    /// Bytes the host has received on its link (its veth's counters, headers included).
    public func bytesReceived(_ name: String) throws -> Int {
        let host = try self.host(name)
        let text = try Self.run("/usr/sbin/ip", ["netns", "exec", host.namespace, "cat", "/sys/class/net/\(host.inside)/statistics/rx_bytes"])
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// `command` run inside the host's namespace.
    public func process(in name: String, _ command: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = ["netns", "exec", try host(name).namespace] + command
        return p
    }

    public func tearDown() {
        for host in hosts.values {
            _ = try? Self.ip("link", "del", host.outside)
            _ = try? Self.ip("netns", "del", host.namespace)
        }
        _ = try? Self.ip("link", "del", bridge)
        hosts = [:]
    }

    deinit { tearDown() }

    public func host(_ name: String) throws -> Host {
        guard let h = hosts[name] else { throw LabError(description: "no host \(name) in the lab") }
        return h
    }

    public struct LabError: Error, CustomStringConvertible { public var description: String }

    @discardableResult
    static func ip(_ arguments: String...) throws -> String { try run("/usr/sbin/ip", arguments) }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let r = try ProcessRunner(executable: URL(fileURLWithPath: tool)).run(arguments, timeout: 30)
        guard r.status == 0 else { throw LabError(description: "\(tool) \(arguments.joined(separator: " ")): \(r.stderr)") }
        return r.stdout
    }
}
