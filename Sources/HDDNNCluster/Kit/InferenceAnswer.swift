/// What a node's inference produced, whichever kind of node: the output tensors and the
/// parameters to answer with (the task's metadata among them).
public struct InferenceAnswer: Sendable {
    public var outputs: [WireTensor]
    public var parameters: Parameters

    public init(outputs: [WireTensor], parameters: Parameters) {
        self.outputs = outputs
        self.parameters = parameters
    }
}
