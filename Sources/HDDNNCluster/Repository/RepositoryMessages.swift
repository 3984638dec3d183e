/// One row of `POST /v2/repository/index` (Triton's model repository extension).
public struct RepositoryIndexEntry: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case ready = "READY"
        case unavailable = "UNAVAILABLE"
    }

    public var name: String
    /// Nil for a model on disk that is not loaded.
    public var version: String?
    public var state: State
    public var reason: String

    public init(name: String, version: String?, state: State, reason: String) {
        self.name = name
        self.version = version
        self.state = state
        self.reason = reason
    }
}

/// The optional body of `POST /v2/repository/index`: `{"ready": true}` lists only loaded models.
public struct RepositoryIndexRequest: Codable, Sendable {
    public var ready: Bool?
    public init(ready: Bool? = nil) { self.ready = ready }
}

/// The body of `POST /v2/repository/models/{m}/load`, which may be empty.
public struct RepositoryLoadRequest: Codable, Sendable {
    public var parameters: Parameters?
    public init(parameters: Parameters? = nil) { self.parameters = parameters }
}

/// What `POST /v2/repository/models/{m}/load` answers (Triton answers an empty 200; the versions
/// now served and what became of the benchmark are ours).
public struct RepositoryLoadResponse: Codable, Sendable, Equatable {
    public var name: String
    public var versions: [String]
    /// "hddnn" for a model with a card, "plain" for one served from its ONNX file alone, "head"
    /// for the split's head a dependable node runs for others.
    public var kind: String
    /// "queued" when the node's own model changed: its benchmark runs behind the requests
    /// already waiting and `/hddnn/v1/node` shows it when done.
    public var benchmark: String?

    public init(name: String, versions: [String], kind: String, benchmark: String?) {
        self.name = name
        self.versions = versions
        self.kind = kind
        self.benchmark = benchmark
    }
}
