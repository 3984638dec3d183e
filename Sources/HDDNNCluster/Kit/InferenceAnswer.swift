/// What a node's inference produced, whichever kind of node: the output tensors and the
/// parameters to answer with (the task's metadata among them).
public struct InferenceAnswer: Sendable {
    public var outputs: [WireTensor]
    public var parameters: Parameters
    /// The model version that answered (`model_version`); "1" when the node has one version.
    public var version: String

    public init(outputs: [WireTensor], parameters: Parameters, version: String = "1") {
        self.outputs = outputs
        self.parameters = parameters
        self.version = version
    }
}
