/// Where a task stands in the journal. A task ends `done` (exactly one final result) or `lost`
/// (with a `LossReason`); `pending` and `coarse` are on the way there, and a job that ends with a
/// task still in either has broken its invariant (`JobAudit` reports it).
public enum TaskState: String, Sendable, Codable, CaseIterable {
    /// Not yet answered by any end device.
    case pending
    /// The coarse label is in; the final result is not.
    case coarse
    /// The final result is in: a fine label or the coarse label with the reason it is final.
    case done
    /// No result: the reason is in the row.
    case lost

    /// Whether the task has ended (a final result or counted lost).
    public var isTerminal: Bool { self == .done || self == .lost }
}

/// Why the coarse label is a task's final answer.
public enum CoarseReason: Sendable, Equatable, Hashable {
    /// The scheme stops at the coarse label for this task (End, or Mapping's end-only share).
    case scheme(String)
    /// The deadline would not allow the fine label.
    case deadline
    /// No live upper node was left to ask (every candidate of both upper tiers failed).
    case noUpperNode
    /// The fine label's node failed and the policy gives up (policy none, or attempts spent).
    case upperFailed(node: String)
    /// An upper node answered, but not with logits of the task's size.
    case badAnswer(node: String)
}

/// Where a task's final labels come from. Written to the journal as text ("fine", "coarse
/// (deadline)", ...) so the file stays readable with any SQLite client.
public enum LabelSource: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// Every image's fine label from one upper node (the row's `upperNode`).
    case fine
    /// Fine labels from an edge node, with `images` of them (the uncertain ones) replaced by the
    /// cloud's: the escalation scheme.
    case escalated(images: Int)
    /// The coarse label is final, for this reason.
    case coarse(CoarseReason)

    public var isFine: Bool {
        switch self {
        case .fine, .escalated: true
        case .coarse: false
        }
    }

    public var isCoarse: Bool { !isFine }

    public var description: String {
        switch self {
        case .fine: "fine"
        case .escalated(let n): "fine (\(n) escalated)"
        case .coarse(.scheme(let name)): "coarse (\(name) scheme)"
        case .coarse(.deadline): "coarse (deadline)"
        case .coarse(.noUpperNode): "coarse (no live upper node)"
        case .coarse(.upperFailed(let node)): "coarse (fine lost: \(node) failed)"
        case .coarse(.badAnswer(let node)): "coarse (fine failed: \(node) answered without logits)"
        }
    }

    /// Parses `description`; nil for text this version never writes.
    public init?(text: String) {
        func inner(_ prefix: String, _ suffix: String) -> String? { text.between(prefix, suffix) }
        if text == "fine" { self = .fine }
        else if let n = inner("fine (", " escalated)").flatMap(Int.init) { self = .escalated(images: n) }
        else if text == "coarse (deadline)" { self = .coarse(.deadline) }
        else if text == "coarse (no live upper node)" { self = .coarse(.noUpperNode) }
        else if let node = inner("coarse (fine lost: ", " failed)") { self = .coarse(.upperFailed(node: node)) }
        else if let node = inner("coarse (fine failed: ", " answered without logits)") { self = .coarse(.badAnswer(node: node)) }
        else if let name = inner("coarse (", " scheme)") { self = .coarse(.scheme(name)) }
        else { return nil }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let source = LabelSource(text: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown label source '\(text)'"))
        }
        self = source
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Why a task has no result at all.
public enum LossReason: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// Its end device failed and the policy (none) does not send it again.
    case endDeviceFailed(node: String)
    /// It was sent this many times and every end device it went to failed.
    case attemptsSpent(Int)
    /// Every end device was gone for longer than the job waits for one to come back.
    case noEndDevice
    /// An end device refused it (not a node failure: sending it again would not help).
    case refused(node: String, message: String)
    /// An end device answered without coarse logits of the task's size.
    case badAnswer(node: String)
    /// The run ended without a final result for it: a bug, caught by the job's audit.
    case unfinished(TaskState)

    public var description: String {
        switch self {
        case .endDeviceFailed(let node): "end device \(node) failed and the fault policy is none"
        case .attemptsSpent(let n): "sent \(n) times, every end device it went to failed"
        case .noEndDevice: "no end device was alive to run it"
        case .refused(let node, let message): "end device \(node) refused it: \(message)"
        case .badAnswer(let node): "end device \(node) answered without coarse logits"
        case .unfinished(let state): "the run ended with the task still \(state.rawValue) (internal error)"
        }
    }

    public init(from decoder: any Decoder) throws {
        self = .init(text: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// Parses `description`. Text this version never writes reads as a refusal carrying the text,
    /// so a journal is always readable.
    public init(text: String) {
        func inner(_ prefix: String, _ suffix: String) -> String? { text.between(prefix, suffix) }
        if let node = inner("end device ", " failed and the fault policy is none") { self = .endDeviceFailed(node: node) }
        else if let n = inner("sent ", " times, every end device it went to failed").flatMap(Int.init) { self = .attemptsSpent(n) }
        else if text == "no end device was alive to run it" { self = .noEndDevice }
        else if let node = inner("end device ", " answered without coarse logits") { self = .badAnswer(node: node) }
        else if let state = inner("the run ended with the task still ", " (internal error)").flatMap(TaskState.init(rawValue:)) { self = .unfinished(state) }
        else if let rest = inner("end device ", ""), let r = rest.range(of: " refused it: ") {
            self = .refused(node: String(rest[..<r.lowerBound]), message: String(rest[r.upperBound...]))
        } else { self = .refused(node: "?", message: text) }
    }
}

extension String {
    /// What lies between `prefix` and `suffix` when the text starts and ends with them (the
    /// journal's texts for label sources and loss reasons carry their values that way).
    fileprivate func between(_ prefix: String, _ suffix: String) -> String? {
        guard hasPrefix(prefix), hasSuffix(suffix), count >= prefix.count + suffix.count else { return nil }
        return String(dropFirst(prefix.count).dropLast(suffix.count))
    }
}
