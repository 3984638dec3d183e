import HDDNNRuntime

/// One batch of a labelled image data set, ready for a model.
public struct LabeledBatch: Sendable {
    /// Float32 NCHW `[B, C, H, W]`, pixel bytes divided by 255, so in [0, 1].
    public var images: Tensor
    /// Fine label of each image (index into the taxonomy's fine labels).
    public var fine: [Int]
    /// Coarse label of each image, as the taxonomy maps the fine one.
    public var coarse: [Int]

    public var count: Int { fine.count }

    public init(images: Tensor, fine: [Int], coarse: [Int]) {
        self.images = images
        self.fine = fine
        self.coarse = coarse
    }
}

/// Converts pixel bytes to floats in [0, 1], as the models' cards ask (`value_range` [0, 1]).
/// `byte / 255` by division, bit for bit what training/fashion_mnist.py `prepare` feeds (a
/// multiplication by 1/255 differs in the last bit for some bytes), looked up in a table.
func normalizedPixels<C: Collection>(_ bytes: C) -> [Float] where C.Element == UInt8 {
    bytes.map { pixelValues[Int($0)] }
}

let pixelValues: [Float] = (0..<256).map { Float($0) / 255 }
