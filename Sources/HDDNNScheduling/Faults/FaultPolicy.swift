/// What the job runner does when a node fails (paper §3.6).
public enum FaultPolicy: String, Sendable, Codable, CaseIterable {
    /// Nothing: a task sent to a dead node is lost, and the job never completes (Table 6's ∞).
    case none
    /// Reassign: once every task was assigned at least once, unfinished tasks are assigned again
    /// to all devices regardless of their state, round after round; every send to a dead node
    /// costs the communication timeout. Eq. 17: OV_Reassign = N_t x t_timeout.
    case reassign
    /// Monitor: a heartbeat keeps the list of live devices (readiness, not just TCP); tasks go
    /// to listed devices only, and a device that fails a send or a heartbeat leaves the list and
    /// its tasks go to the others at once.
    case monitor
}
