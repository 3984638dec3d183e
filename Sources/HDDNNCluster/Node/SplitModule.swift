import Foundation
import HDDNNData
import HDDNNRuntime

/// The paper's "encryption module" (§3.5, eq. 12-16): the first layer(s) of an upper node's
/// network, run on a dependable node so that an undependable node receives feature maps, never
/// the raw input. The receiving node runs the rest (the tail); `tail(head(x)) == model(x)`.
///
/// Named a split, not encryption, on purpose: feature maps after one convolution can be inverted
/// well by published attacks (measured here: 35.8 dB PSNR from a 7x7 stride-2 first convolution,
/// `../shared/DESIGN.md`), and they are many times larger than the raw image, a cost the paper's
/// fixed-wait emulation never charged and our link emulation does (eq. 18-19).
public struct SplitModule: Sendable {
    /// The model this splits (its card name).
    public let model: String
    /// The version of the model split: feature maps of this head go to this version's tail.
    public let version: String
    /// The split model's card: the head takes the input it describes.
    public let card: ModelCard
    /// The tensor the split cuts at (default: the output of the model's first convolution).
    public let cut: String
    /// Shape of the cut tensor for one sample (C, H, W).
    public let cutSampleShape: [Int]
    public let head: InferenceSession
    public let tail: InferenceSession
    /// Parameters of the head (what a dependable node must hold: Table 4's "parameters").
    public let headParameters: Int

    /// Splits `model` at `cut`, or after its first convolution when `cut` is nil.
    public init(model: CardedModel, version: String = "1", cut requested: String? = nil, options: SessionOptions) throws(SplitError) {
        let graph = model.session.graph
        let cut: String
        if let requested {
            cut = requested
        } else {
            guard let conv = graph.nodes.first(where: { $0.opType == "Conv" }), let out = conv.outputs.first else {
                throw .noConvolution(model: model.card.name)
            }
            cut = out
        }
        let analysis: ModelAnalysis
        do { analysis = try ModelAnalysis(session: model.session) } catch { throw .engine(model: model.card.name, "\(error)") }
        guard let shape = analysis.declaredShape(of: cut, graph: graph) else {
            throw .unknownTensor(model: model.card.name, cut)
        }
        do {
            let parts = try GraphPartition.split(graph, at: cut, cutShape: shape)
            head = try InferenceSession(graph: parts.head, options: options)
            tail = try InferenceSession(graph: parts.tail, options: options)
            headParameters = parts.head.parameterCount
        } catch let e as PartitionError {
            throw .partition(model: model.card.name, e)
        } catch {
            throw .engine(model: model.card.name, "\(error)")
        }
        self.model = model.card.name
        self.version = version
        self.card = model.card
        self.cut = cut
        self.cutSampleShape = Array((analysis.shapes[cut] ?? []).dropFirst())
    }

    /// Bytes of one sample's feature maps on the wire (FP32).
    public var cutBytesPerSample: Int { cutSampleShape.reduce(4, *) }

    /// How a node describes it at `/hddnn/v1/node`.
    public var summary: NodeInfo.SplitSummary {
        .init(model: model, cut: cut, cutSampleShape: cutSampleShape, bytesPerSample: cutBytesPerSample, headParameters: headParameters)
    }
}

public enum SplitError: Error, Sendable, CustomStringConvertible {
    case noConvolution(model: String)
    case unknownTensor(model: String, String)
    case partition(model: String, PartitionError)
    case engine(model: String, String)

    public var description: String {
        switch self {
        case .noConvolution(let m): "model '\(m)' has no convolution to split after; name a cut with split_at in the topology"
        case .unknownTensor(let m, let t): "model '\(m)' has no tensor '\(t)' to split at (list them with `hddnn inspect --tensors`)"
        case .partition(let m, let e): "cannot split model '\(m)': \(e)"
        case .engine(let m, let e): "cannot compile the split of model '\(m)': \(e)"
        }
    }
}
