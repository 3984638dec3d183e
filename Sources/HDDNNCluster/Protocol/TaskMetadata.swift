import Foundation

/// HDDNN's per-task record (paper §3: every task carries its source, its path and timestamps),
/// carried in OIP `parameters` under the `hddnn_` prefix so that a server that does not know
/// HDDNN ignores it and passes the request through unharmed. Scalars travel as themselves; the
/// path, a list, travels as a JSON string (OIP parameter values must be scalars).
public struct TaskMetadata: Codable, Sendable, Equatable {
    /// Task id, unique within a job ("job-3f2a/17").
    public var taskID: String
    /// The process the task came from (the job runner's name, `coordinator`).
    public var source: String
    /// Every node the task visited so far, in order, with its timestamps.
    public var path: [Hop]
    /// Bytes of request bodies sent along the path so far (responses are counted by the caller).
    public var bytesSent: Int
    /// Whether the tensor that travels is the raw input or feature maps from a split.
    public var payload: Payload
    /// The node that ran the split's head, and the model whose head it ran.
    public var splitBy: String?
    public var splitModel: String?
    /// The tensor the split cut at.
    public var splitAt: String?
    /// The nodes the request must still visit after the one receiving it (relay route).
    public var route: [String]
    /// Unix seconds by which the answer must be back at the source; relays stop waiting then.
    public var deadline: Double?

    public enum Payload: String, Codable, Sendable {
        /// The raw input: only dependable nodes may receive it.
        case raw
        /// Feature maps computed by a split's head (the paper's "encryption module").
        case split
    }

    /// One visit: when the node received the task, when it started and ended compute, when it
    /// answered. Unix seconds; `compute` is the measured engine time, `emulated` the slowdown wait.
    public struct Hop: Codable, Sendable, Equatable {
        public var node: String
        public var role: String
        public var received: Double
        public var answered: Double?
        public var compute: Double?
        public var emulatedWait: Double?
        /// What the node ran: "end-mobilenet", "cloud-wrn.head", "cloud-wrn.tail", "relay".
        public var ran: String?
        /// The version of the model that ran (the node's repository numbers them), so a task's
        /// answer says which version gave it while versions roll out.
        public var version: String?

        /// Seconds the node held the task in its executor: compute plus emulated slowdown.
        public var busy: Double { (compute ?? 0) + (emulatedWait ?? 0) }

        public init(node: String, role: String, received: Double, answered: Double? = nil, compute: Double? = nil,
                    emulatedWait: Double? = nil, ran: String? = nil, version: String? = nil) {
            self.node = node
            self.role = role
            self.received = received
            self.answered = answered
            self.compute = compute
            self.emulatedWait = emulatedWait
            self.ran = ran
            self.version = version
        }
    }

    public init(taskID: String, source: String, path: [Hop] = [], bytesSent: Int = 0, payload: Payload = .raw,
                splitBy: String? = nil, splitModel: String? = nil, splitAt: String? = nil, route: [String] = [], deadline: Double? = nil) {
        self.taskID = taskID
        self.source = source
        self.path = path
        self.bytesSent = bytesSent
        self.payload = payload
        self.splitBy = splitBy
        self.splitModel = splitModel
        self.splitAt = splitAt
        self.route = route
        self.deadline = deadline
    }

    /// The OIP parameters carrying this record.
    public var parameters: Parameters {
        var p: Parameters = [
            "hddnn_task_id": .string(taskID),
            "hddnn_source": .string(source),
            "hddnn_path": .string(Self.json(path)),
            "hddnn_bytes_sent": .int(bytesSent),
            "hddnn_payload": .string(payload.rawValue),
        ]
        if let splitBy { p["hddnn_split_by"] = .string(splitBy) }
        if let splitModel { p["hddnn_split_model"] = .string(splitModel) }
        if let splitAt { p["hddnn_split_at"] = .string(splitAt) }
        if !route.isEmpty { p["hddnn_route"] = .string(route.joined(separator: ",")) }
        if let deadline { p["hddnn_deadline"] = .double(deadline) }
        return p
    }

    /// Reads the record from OIP parameters; nil when the request carries none (a plain OIP
    /// client). A present but malformed record is a 400.
    public init?(parameters: Parameters?) throws(OIPError) {
        guard let p = parameters, let id = p["hddnn_task_id"] else { return nil }
        guard let taskID = id.string, !taskID.isEmpty else { throw .badRequest("hddnn_task_id must be a non-empty string") }
        self.taskID = taskID
        source = p["hddnn_source"]?.string ?? "unknown"
        if let text = p["hddnn_path"] {
            guard let s = text.string, let hops = try? JSONDecoder().decode([Hop].self, from: Data(s.utf8)) else {
                throw .badRequest("hddnn_path must be a JSON string holding a list of hops")
            }
            path = hops
        } else {
            path = []
        }
        bytesSent = p["hddnn_bytes_sent"]?.int ?? 0
        let payloadText = p["hddnn_payload"]?.string ?? "raw"
        guard let payload = Payload(rawValue: payloadText) else {
            throw .badRequest("hddnn_payload must be 'raw' or 'split', not '\(payloadText)'")
        }
        self.payload = payload
        splitBy = p["hddnn_split_by"]?.string
        splitModel = p["hddnn_split_model"]?.string
        splitAt = p["hddnn_split_at"]?.string
        route = p["hddnn_route"]?.string.map { $0.split(separator: ",").map(String.init) } ?? []
        deadline = p["hddnn_deadline"]?.double
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(value)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// Seconds since 1970, the clock every hop stamps with (all nodes of a local cluster share it).
    public static func now() -> Double { Date().timeIntervalSince1970 }
}
