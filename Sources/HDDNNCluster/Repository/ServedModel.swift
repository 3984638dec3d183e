import Foundation
import HDDNNData
import HDDNNONNX
import HDDNNRuntime

/// One version of one model as a node serves it. A request resolves it when it starts and holds
/// it to its end, so loading a new version or unloading the model never changes the model under
/// a request in flight (the semantics of Triton's model repository).
public struct ServedModel: Sendable {
    public let name: String
    /// The version as the repository numbers it: a folder `NAME/<v>/`, or "1" for a flat `NAME.onnx`.
    public let version: String
    public let url: URL
    public let session: InferenceSession
    /// What the model means (input range, labels, level, taxonomy). Nil for a plain OIP model,
    /// served from its ONNX file alone: any client may call it, the HDDNN scheduler cannot.
    public let card: ModelCard?
    /// The split this version's tail is reached by (the node's own model on upper nodes), so feature
    /// maps cut by this version's head meet this version's tail.
    public let split: SplitModule?

    public init(name: String, version: String, url: URL, session: InferenceSession, card: ModelCard?, split: SplitModule? = nil) {
        self.name = name
        self.version = version
        self.url = url
        self.session = session
        self.card = card
        self.split = split
    }

    /// Loads `url`: with its card when `NAME.card.json` sits beside it (a card that contradicts
    /// the file is an error, never a reason to serve it plain), else as a plain OIP model.
    /// `split`: also cut the model for senders without raw data, at `cut` (nil: after the first
    /// convolution); only carded image models are split.
    public static func load(name: String, version: String, url: URL, options: SessionOptions,
                            split: Bool = false, cut: String? = nil) throws(RepositoryError) -> ServedModel {
        guard FileManager.default.fileExists(atPath: ModelCard.url(forModel: url).path) else {
            do {
                return ServedModel(name: name, version: version, url: url,
                                   session: try ONNXModel.session(contentsOf: url, options: options), card: nil)
            } catch { throw .unloadable(model: name, version: version, reason: "\(error)") }
        }
        let carded: CardedModel
        do { carded = try CardedModel.load(onnx: url, options: options) } catch {
            throw .unloadable(model: name, version: version, reason: "\(error)")
        }
        guard carded.card.name == name else {
            throw .unloadable(model: name, version: version, reason: "its card names the model '\(carded.card.name)'; a card's name is the model's name in the repository")
        }
        var splitModule: SplitModule?
        if split {
            do { splitModule = try SplitModule(model: carded, version: version, cut: cut, options: options) } catch {
                throw .unloadable(model: name, version: version, reason: "\(error)")
            }
        }
        return ServedModel(name: name, version: version, url: url, session: carded.session, card: carded.card, split: splitModule)
    }

    /// The model with its card, when it has one.
    public var carded: CardedModel? { card.map { CardedModel(url: url, card: $0, session: session) } }

    /// The protocol's model metadata: the card's input and output when there is a card (raw
    /// inputs may also come as UINT8 pixels), the graph's inputs and outputs when there is not.
    public func metadata(versions: [String]) -> ModelMetadataResponse {
        if let card {
            return ModelMetadataResponse(
                name: name, versions: versions, platform: "hddnn_onnx",
                inputs: [.init(name: card.input.name, datatype: "FP32", shape: card.input.shape)],
                outputs: [.init(name: card.output.name, datatype: "FP32", shape: [-1, card.output.labels.count])])
        }
        func tensor(_ v: ValueInfo) -> ModelMetadataResponse.TensorMetadata {
            .init(name: v.name, datatype: Self.datatype(v.dataType), shape: v.shape.map { $0 ?? -1 })
        }
        let graph = session.graph
        return ModelMetadataResponse(name: name, versions: versions, platform: "onnx",
                                     inputs: graph.inputs.map(tensor), outputs: graph.outputs.map(tensor))
    }

    /// The protocol's name for an engine datatype.
    public static func datatype(_ type: DataType) -> String {
        switch type {
        case .float32: "FP32"
        case .int64: "INT64"
        }
    }
}
