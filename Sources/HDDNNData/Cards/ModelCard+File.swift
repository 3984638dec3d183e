import Foundation

extension ModelCard {
    /// The card of a model file: `NAME.card.json` beside `NAME.onnx`.
    public static func url(forModel model: URL) -> URL {
        model.deletingPathExtension().appendingPathExtension("card.json")
    }

    /// Reads and decodes a card file (the fields are checked by `validate`, not here).
    public static func read(from url: URL) throws(ModelCardError) -> ModelCard {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadable(path: url.path, reason: error.localizedDescription) }
        do {
            return try JSONDecoder().decode(ModelCard.self, from: data)
        } catch let error as DecodingError {
            throw .malformed(path: url.path, reason: Self.explain(error))
        } catch {
            throw .malformed(path: url.path, reason: "\(error)")
        }
    }

    /// Writes the card as indented JSON with sorted keys.
    public func write(to url: URL) throws(ModelCardError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { try (encoder.encode(self) + Data("\n".utf8)).write(to: url) } catch {
            throw .unreadable(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// A decoding error in one line that names the JSON field (`output.level`), not Swift's types.
    static func explain(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case let .keyNotFound(key, context):
            let at = path(context.codingPath + [key])
            return "field \"\(at)\" is missing"
        case let .typeMismatch(type, context):
            return "field \"\(path(context.codingPath))\" is not a \(type)"
        case let .valueNotFound(type, context):
            return "field \"\(path(context.codingPath))\" is null, expected a \(type)"
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty { return "not JSON (\(context.underlyingError.map { "\($0)" } ?? context.debugDescription))" }
            return "field \"\(path(context.codingPath))\": \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
