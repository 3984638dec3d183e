import HDDNNRuntime

extension ModelCard {
    /// Checks that the card describes `graph`: the input and output exist under the card's names
    /// with its dtypes and shapes, the output has one column per label, and the labels are the
    /// taxonomy's labels at the card's level. `tracedShapes` (from `ModelAnalysis`, at batch 1)
    /// supplies the output width when the graph leaves it symbolic.
    ///
    /// A card that contradicts its model would make every downstream number wrong without any
    /// crash (a 10-label card on a 5-logit model still yields argmaxes), so loaders refuse it.
    public func validate(against graph: Graph, tracedShapes: [String: [Int]] = [:]) throws(ModelCardError) {
        try validateFields()

        guard let modelInput = graph.inputs.first(where: { $0.name == input.name }) else {
            throw .inputNotInModel(card: input.name, model: graph.inputs.map(\.name))
        }
        let inputType = DataType(rawValue: input.dtype)!  // checked by validateFields
        guard modelInput.dataType == inputType else {
            throw .dtypeMismatch(tensor: input.name, card: input.dtype, model: modelInput.dataType)
        }
        if modelInput.shapeKnown {
            let fits = modelInput.shape.count == input.shape.count && zip(input.shape, modelInput.shape).allSatisfy { card, model in
                // -1 (any) needs a symbolic model dimension; a fixed card dimension fits a symbolic one.
                card == -1 ? model == nil : (model == nil || model == card)
            }
            guard fits else { throw .shapeMismatch(tensor: input.name, card: input.shape, model: modelInput.shape) }
        }

        guard let modelOutput = graph.outputs.first(where: { $0.name == output.name }) else {
            throw .outputNotInModel(card: output.name, model: graph.outputs.map(\.name))
        }
        guard modelOutput.dataType == .float32 else {
            throw .dtypeMismatch(tensor: output.name, card: "float32", model: modelOutput.dataType)
        }
        let width = (modelOutput.shapeKnown ? modelOutput.shape.last ?? nil : nil) ?? tracedShapes[output.name]?.last
        if let width, width != output.labels.count {
            throw .labelCountMismatch(output: output.name, labels: output.labels.count, width: width)
        }
    }

    /// The checks that need no model: values in range, counts that agree within the card.
    public func validateFields() throws(ModelCardError) {
        guard let type = DataType(rawValue: input.dtype) else {
            throw .invalidField(field: "input.dtype", reason: "'\(input.dtype)' is not one of \(DataType.allCases.map(\.rawValue)); the engine computes in float32")
        }
        guard type == .float32 else {
            throw .invalidField(field: "input.dtype", reason: "image models take float32, not \(input.dtype)")
        }
        guard !input.shape.isEmpty, input.shape.allSatisfy({ $0 == -1 || $0 > 0 }) else {
            throw .invalidField(field: "input.shape", reason: "\(input.shape) needs positive dimensions, or -1 for a dynamic one")
        }
        guard input.layout.count == input.shape.count else {
            throw .invalidField(field: "input.layout", reason: "'\(input.layout)' names \(input.layout.count) dimensions, the shape has \(input.shape.count)")
        }
        guard input.valueRange.count == 2, input.valueRange[0] < input.valueRange[1] else {
            throw .invalidField(field: "input.value_range", reason: "\(input.valueRange) is not [low, high] with low < high")
        }
        if let n = input.normalization {
            let channels = channelCount
            guard n.mean.count == n.std.count, channels == nil || n.mean.count == channels || n.mean.count == 1 else {
                throw .invalidField(field: "input.normalization", reason: "\(n.mean.count) means and \(n.std.count) stds for \(channels.map(String.init) ?? "?") channels")
            }
            guard n.std.allSatisfy({ $0 > 0 }) else {
                throw .invalidField(field: "input.normalization.std", reason: "\(n.std) has a non-positive value; a std divides")
            }
        }
        guard !output.labels.isEmpty else {
            throw .invalidField(field: "output.labels", reason: "empty; list one name per output column")
        }
        if let taxonomy {
            let expected = output.level == .fine ? taxonomy.fineLabels : taxonomy.coarseLabels
            guard output.labels == expected else {
                throw .labelsDisagreeWithTaxonomy(level: output.level, labels: output.labels, taxonomy: expected)
            }
        }
    }

    /// Channels of the input (the `C` of its layout), when the card says.
    public var channelCount: Int? {
        guard let i = Array(input.layout).firstIndex(of: "C"), i < input.shape.count, input.shape[i] > 0 else { return nil }
        return input.shape[i]
    }

    /// One sample's shape, the input shape without its batch dimension (`[C, H, W]`).
    public var sampleShape: [Int] { Array(input.shape.dropFirst()) }
}
