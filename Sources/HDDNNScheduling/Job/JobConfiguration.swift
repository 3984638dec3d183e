import Foundation
import HDDNNCluster

/// What a job is: which scheme, how many images in which batches, how many end devices take part,
/// the fault policy and injected faults, and an optional per-task deadline.
public struct JobConfiguration: Sendable, Codable, Equatable {
    public var scheme: SchemeKind
    /// Test images to classify (the job's first `images` of the split).
    public var images: Int
    /// Images per task (the paper's batch of 50).
    public var batch: Int
    /// End devices taking part (the first N of the topology's; all when nil): Figure 4's x axis.
    public var endDevices: Int?
    public var faultPolicy: FaultPolicy
    /// Nodes to SIGKILL during the job.
    public var kills: [Kill]
    /// Seconds from a task's dispatch by which its fine label must arrive; past it the coarse
    /// label is the task's answer, said as such.
    public var deadline: Double?
    /// Mapping's N_map, overriding eq. 7 (the paper used 1).
    public var nmap: Int?
    /// The escalation scheme's normalized-entropy threshold (its default when nil).
    public var threshold: Double?
    /// Heartbeat interval of the Monitor policy.
    public var heartbeat: Double
    /// Fashion-MNIST folder.
    public var dataDirectory: String
    /// Binary tensors on the wire (JSON when false).
    public var binary: Bool
    /// Fault injection for the coordinator itself: once this many tasks have their final result
    /// in this run, the coordinator SIGKILLs its own process, as a crashed machine dies, right
    /// after the journal write; `--resume` then finishes the job. Not part of the fingerprint,
    /// so the resumed run is the same job.
    public var crashAfter: Int?

    /// Kill `node` once `afterFraction` of the tasks have their coarse label, and start it again
    /// `restartAfter` seconds later when that is set.
    public struct Kill: Sendable, Codable, Equatable {
        public var node: String
        public var afterFraction: Double
        public var restartAfter: Double?

        public init(node: String, afterFraction: Double, restartAfter: Double? = nil) {
            self.node = node
            self.afterFraction = afterFraction
            self.restartAfter = restartAfter
        }

        /// "end-2@0.3", "end-2@30%", or "end-2@30%+2s" (started again 2 s after the kill).
        public init?(argument: String) {
            let parts = argument.split(separator: "@", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { return nil }
            let timing = parts[1].split(separator: "+", maxSplits: 1).map(String.init)
            var f = timing[0]
            var scale = 1.0
            if f.hasSuffix("%") { f.removeLast(); scale = 0.01 }
            guard let v = Double(f), (0...1).contains(v * scale) else { return nil }
            var restart: Double?
            if timing.count == 2 {
                guard let r = try? Quantity.seconds(timing[1], field: "restart"), r >= 0 else { return nil }
                restart = r
            }
            self.init(node: parts[0], afterFraction: v * scale, restartAfter: restart)
        }
    }

    public init(scheme: SchemeKind, images: Int, batch: Int = 50, endDevices: Int? = nil, faultPolicy: FaultPolicy = .monitor,
                kills: [Kill] = [], deadline: Double? = nil, nmap: Int? = nil, threshold: Double? = nil, heartbeat: Double = 0.5,
                dataDirectory: String = "/usr/share/datasets/fashion-mnist", binary: Bool = true, crashAfter: Int? = nil) {
        self.scheme = scheme
        self.images = images
        self.batch = batch
        self.endDevices = endDevices
        self.faultPolicy = faultPolicy
        self.kills = kills
        self.deadline = deadline
        self.nmap = nmap
        self.threshold = threshold
        self.heartbeat = heartbeat
        self.dataDirectory = dataDirectory
        self.binary = binary
        self.crashAfter = crashAfter
    }

    /// Identifies "the same job" for resuming from the journal.
    public func fingerprint(topology: Topology) -> String {
        let nodes = topology.nodes.map { "\($0.name):\($0.model):\($0.port)" }.joined(separator: ",")
        return "\(scheme.rawValue)|\(images)|\(batch)|\(endDevices ?? -1)|\(faultPolicy.rawValue)|\(nmap ?? -1)|\(deadline ?? -1)|\(threshold.map { "η\($0)|" } ?? "")\(nodes)"
    }
}
