import Foundation

/// Emulates the links a process sends on, applied to the real bytes of each message:
/// t_c = latency + bytes / bandwidth (eq. 18-19).
///
/// A direction of a link carries one message at a time: a message's bytes start when the bytes
/// before it have left (transmission serialises, as on a real wire) and arrive one latency later
/// (propagation overlaps). `tc netem` is not available on these machines, so this is how link
/// figures from the topology become time; every report says which figures were emulated.
public actor LinkEmulator {
    private let topology: Topology
    private var busyUntil: [String: ContinuousClock.Instant] = [:]

    public init(topology: Topology) {
        self.topology = topology
    }

    /// Waits as long as sending `bytes` from `from` to `to` takes on the emulated link.
    public func transmit(from: String, to: String, bytes: Int) async {
        let profile = topology.link(from, to)
        guard !profile.isFree else { return }
        let clock = ContinuousClock()
        let now = clock.now
        let key = "\(from)->\(to)"
        let start = max(now, busyUntil[key] ?? now)
        let sent = start.advanced(by: .seconds(profile.transmissionSeconds(bytes: bytes)))
        busyUntil[key] = sent
        let arrival = sent.advanced(by: .seconds(profile.latency))
        try? await Task.sleep(until: arrival, clock: clock)
    }
}
