import HDDNNRuntime

extension ModelCard {
    /// A first card for an ONNX model that has none, from what its file says: the first float32
    /// input and output with their shapes (symbolic dimensions as -1), the output's width (traced
    /// with one batch-1 run when the graph leaves it open), the parameter count. What the file
    /// cannot say is left for a person: the input's value range and normalisation, the class
    /// names (`class-0`... unless `labels` or `taxonomy` give them), the level and the taxonomy
    /// that ties the model to the end devices' coarse labels. The card validates against the file.
    public static func starting(name: String, file: String, session: InferenceSession, level: LabelLevel = .fine,
                                labels: [String]? = nil, taxonomy: Taxonomy? = nil) throws(ModelCardError) -> ModelCard {
        let graph = session.graph
        guard let input = graph.inputs.first(where: { $0.dataType == .float32 }) else {
            throw .invalidField(field: "input", reason: "the model has no float32 input (it takes \(graph.inputs.map { "\($0.name): \($0.dataType)" })); a card describes a classifier of float32 tensors")
        }
        guard let output = graph.outputs.first(where: { $0.dataType == .float32 }) else {
            throw .invalidField(field: "output", reason: "the model has no float32 output; a card describes a classifier's scores")
        }
        guard input.shapeKnown, !input.shape.isEmpty else {
            throw .invalidField(field: "input.shape", reason: "input '\(input.name)' declares no shape; export the model with one")
        }
        let shape = input.shape.map { $0 ?? -1 }
        var width = output.shapeKnown ? output.shape.last ?? nil : nil
        if width == nil {
            let probe = ModelCard(name: name, input: Input(name: input.name, shape: shape, layout: layout(rank: shape.count)),
                                  output: Output(name: output.name, level: level, labels: ["?"]))
            width = try CardedModel.traceIfNeeded(card: probe, session: session)[output.name]?.last
        }
        guard let width, width > 0 else {
            throw .invalidField(field: "output.labels", reason: "cannot tell how many classes output '\(output.name)' has; give --labels")
        }
        let taxonomyLabels = taxonomy.map { level == .fine ? $0.fineLabels : $0.coarseLabels }
        let names = labels ?? taxonomyLabels ?? (0..<width).map { "class-\($0)" }
        let card = ModelCard(
            name: name, modality: shape.count == 4 ? "image" : "tabular",
            architecture: "unknown: written by `hddnn card init` from \(file)", file: file,
            input: Input(name: input.name, shape: shape, layout: layout(rank: shape.count),
                         preprocessing: "unknown: say what the caller feeds (value_range [0, 1] is pixel bytes / 255)"),
            output: Output(name: output.name, level: level, labels: names),
            taxonomy: taxonomy,
            training: Training(note: "card started by `hddnn card init`; fill in how the model was trained and what it measured"),
            params: graph.parameterCount)
        try card.validate(against: graph, tracedShapes: [output.name: [1, width]])
        return card
    }

    /// NCHW for images, NC for rows of features, N then D for any other rank.
    static func layout(rank: Int) -> String {
        switch rank {
        case 4: "NCHW"
        case 2: "NC"
        default: "N" + String(repeating: "D", count: max(rank - 1, 0))
        }
    }
}
