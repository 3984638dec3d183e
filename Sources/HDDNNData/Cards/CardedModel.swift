import Foundation
import HDDNNONNX
import HDDNNRuntime

/// A compiled model together with its checked card: what every part of HDDNN that runs a model
/// (eval, nodes, the scheduler) loads, so none of them runs a model whose meaning is unknown.
public struct CardedModel: Sendable {
    /// The ONNX file.
    public let url: URL
    public let card: ModelCard
    public let session: InferenceSession

    /// Loads `NAME.onnx` and `NAME.card.json` beside it, compiles the model and validates the
    /// card against it. When the graph leaves the output width symbolic, one batch-1 run traces it.
    public static func load(onnx url: URL, options: SessionOptions = .init()) throws(ModelCardError) -> CardedModel {
        let cardURL = ModelCard.url(forModel: url)
        guard FileManager.default.fileExists(atPath: cardURL.path) else {
            throw .missingCard(model: url.path, card: cardURL.path)
        }
        let card = try ModelCard.read(from: cardURL)
        let session: InferenceSession
        do { session = try ONNXModel.session(contentsOf: url, options: options) } catch { throw .model(error) }
        do {
            try card.validate(against: session.graph, tracedShapes: traceIfNeeded(card: card, session: session))
        } catch {
            throw .inCard(path: cardURL.path, error)
        }
        return CardedModel(url: url, card: card, session: session)
    }

    /// Shapes from one batch-1 run, only when the card's output has no fixed width in the graph.
    static func traceIfNeeded(card: ModelCard, session: InferenceSession) throws(ModelCardError) -> [String: [Int]] {
        guard let output = session.graph.outputs.first(where: { $0.name == card.output.name }),
              !output.shapeKnown || output.shape.last == nil || output.shape.last! == nil,
              session.graph.inputs.contains(where: { $0.name == card.input.name }) else { return [:] }
        do { return try ModelAnalysis(session: session, asCompiled: true).shapes } catch { throw .engine(error) }
    }

    public init(url: URL, card: ModelCard, session: InferenceSession) {
        self.url = url
        self.card = card
        self.session = session
    }
}
