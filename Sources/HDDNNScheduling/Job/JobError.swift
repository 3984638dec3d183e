import HDDNNCluster

/// Why a job cannot run; each says what to do.
public enum JobError: Error, Sendable, CustomStringConvertible {
    case missingTier(scheme: String, role: NodeRole)
    case nodeUnreachable(node: String, url: String, reason: String)
    case wiring(upper: String, end: String, reason: String)
    case data(String)
    case calibration(String)
    case journal(JournalError)
    case invalid(String)
    case noCertificates(ca: String)
    case cancelled

    public var description: String {
        switch self {
        case .missingTier(let scheme, let role):
            "scheme \(scheme) needs \(role.rawValue) nodes and the topology has none; add one or pick another scheme"
        case .nodeUnreachable(let node, let url, let reason):
            "node '\(node)' is not answering at \(url) (\(reason)); start it with `hddnn serve --config ... --node \(node)`, or run `hddnn demo`"
        case .wiring(let upper, let end, let reason):
            "model of '\(upper)' cannot refine the coarse labels of '\(end)': \(reason)"
        case .data(let m): "job data: \(m)"
        case .calibration(let m): "calibration exchange failed: \(m)"
        case .journal(let e): "\(e)"
        case .invalid(let m): m
        case .noCertificates(let ca):
            "this topology runs over TLS and has no CA yet (\(ca)), so none of its nodes can be running: `hddnn run --start` mints the certificates and starts the nodes; for nodes started by hand, `hddnn pki init` and `hddnn pki issue --config <topology>` first (or `tls: off` for plain HTTP)"
        case .cancelled: "the job was cancelled; its unfinished tasks stay in the journal for `hddnn run --resume`"
        }
    }
}
