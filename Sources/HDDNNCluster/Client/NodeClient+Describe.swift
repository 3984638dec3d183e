import Foundation
import HDDNNData

extension NodeClient {
    /// What the scheduler needs to know of `node`. An HDDNN node says it at `/hddnn/v1/node`. For
    /// a foreign OIP server it is put together here: the card and the split come from the
    /// topology's `model` (the whole model whose head our dependable nodes run), checked against
    /// what the server says of the model it serves (`GET /v2/models/{m}`: the split's feature
    /// maps in, the card's output out, one column per label), once `/v2/health/ready` answers.
    /// It has no benchmark: its cost is measured from outside, by the calibration exchange.
    public func describe(_ node: NodeSpec, timeout: Double = 5) async throws(NodeClientError) -> NodeInfo {
        guard let foreign = node.foreign else { return try await get(NodeInfo.self, node: node, path: "/hddnn/v1/node", timeout: timeout) }
        guard await isReady(node, timeout: timeout) else {
            throw .unreachable(node: node.name, reason: "\(foreign.url)/v2/health/ready did not answer 200")
        }
        let path = "/v2/models/\(foreign.model)" + (foreign.version.map { "/versions/\($0)" } ?? "")
        let served = try await get(ForeignModelMetadata.self, node: node, path: path, timeout: timeout)
        let split: SplitModule
        do {
            split = try SplitModule(model: try CardedModel.load(onnx: topology.modelURL(node)), cut: node.splitAt, options: .init())
        } catch {
            throw .malformedResponse(node: node.name, reason: "cannot split the topology's model for it (\(node.model)): \(error)")
        }
        let card = split.card
        func mismatch(_ what: String) -> NodeClientError {
            .malformedResponse(node: node.name, reason: "\(foreign.url)\(path) \(what); it must serve the tail of \(card.name) cut at '\(split.cut)' (`hddnn split`)")
        }
        if let inputs = served.inputs, !inputs.isEmpty, !inputs.contains(where: { $0.name == split.cut }) {
            throw mismatch("takes \(inputs.map(\.name)), not the split's feature maps '\(split.cut)'")
        }
        if let outputs = served.outputs, !outputs.isEmpty {
            guard let output = outputs.first(where: { $0.name == card.output.name }) else {
                throw mismatch("gives \(outputs.map(\.name)), not the card's output '\(card.output.name)'")
            }
            if let width = output.shape?.last, width > 0, width != card.output.labels.count {
                throw mismatch("gives \(width) columns for the card's \(card.output.labels.count) labels")
            }
        }
        return NodeInfo(
            name: node.name, role: node.role, trust: node.trust, threads: node.threads, slowdown: 1,
            model: .init(name: card.name, version: foreign.version, level: card.output.level.rawValue, labels: card.output.labels,
                         parameters: split.tail.graph.parameterCount, inputName: card.input.name, inputShape: card.input.shape),
            card: card, benchmark: nil, split: split.summary, heads: [])
    }
}

/// The model metadata a foreign server gives, every field optional: servers differ in what they
/// fill in (MLServer lists inputs and outputs only when its model settings declare them).
struct ForeignModelMetadata: Decodable {
    struct Tensor: Decodable {
        var name: String
        var datatype: String?
        var shape: [Int]?
    }

    var name: String?
    var inputs: [Tensor]?
    var outputs: [Tensor]?
}
