/// Why the planner cannot answer a query, each naming what is missing so the caller knows what
/// to ask for, register or relax.
public enum PlanError: Error, Sendable, Equatable, CustomStringConvertible {
    case noRecords
    /// No registered model takes records of this subject.
    case unknownSubject(String, known: [String])
    /// Models take the subject's records, none answers the question.
    case noAnswer(subject: String, answers: String, known: [String])
    /// No model gives a taxonomy level that was asked for.
    case levelUnavailable(level: String, answers: String, available: [String])
    /// `models` names models the catalogue does not know for this question.
    case unknownModels([String], candidates: [String])
    /// Models exist but no registered node holds the input they read.
    case noHolder(missing: [String])
    /// The models' inputs are held, but the privacy rule leaves nowhere to run them.
    case noPermittedPlacement(reasons: [String])
    /// Nothing the catalogue can run finishes in time.
    case deadlineUnreachable(deadlineMs: Double, fastest: String, fastestMs: Double)
    /// The requested fusion method was not fitted for any placeable members.
    case fusionUnavailable(String, available: [String])

    public var description: String {
        switch self {
        case .noRecords:
            "the query names no records"
        case .unknownSubject(let s, let known):
            "no registered model takes '\(s)' records; the catalogue knows \(known.isEmpty ? "no subjects (has any node registered?)" : known.joined(separator: ", "))"
        case .noAnswer(let s, let a, let known):
            "models take '\(s)' records but none answers '\(a)'; they answer \(known.joined(separator: ", "))"
        case .levelUnavailable(let level, let a, let available):
            "no model answers '\(a)' at the \(level) level; available: \(available.joined(separator: ", "))"
        case .unknownModels(let names, let candidates):
            "unknown models \(names.joined(separator: ", ")) for this question; candidates: \(candidates.joined(separator: ", "))"
        case .noHolder(let missing):
            "no registered node holds the input the models read: \(missing.joined(separator: "; "))"
        case .noPermittedPlacement(let reasons):
            "the privacy rule leaves no node to run the models: \(reasons.joined(separator: "; "))"
        case .deadlineUnreachable(let d, let fastest, let ms):
            "nothing finishes within \(Self.ms(d)) ms: the fastest answer, \(fastest), is predicted at \(Self.ms(ms)) ms with the planner's safety margin; relax the deadline"
        case .fusionUnavailable(let m, let available):
            "no '\(m)' fusion was fitted for the models that can run; fitted: \(available.joined(separator: ", "))"
        }
    }

    private static func ms(_ v: Double) -> String { v < 10 ? String(format: "%.1f", v) : String(format: "%.0f", v) }
}
