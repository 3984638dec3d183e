import HDDNNRuntime

/// Turns a data set's images into the tensor a model's card asks for.
///
/// Data sets give `[B, C, H, W]` floats in [0, 1]. A card may ask for more channels (the paper's
/// 3-channel architectures trained on grey Fashion-MNIST: the channel is copied), a larger image
/// (28x28 zero-padded to 32x32, `extra / 2` pixels before and the rest after, as
/// training/fashion_mnist.py `prepare` does), another value range (`low + x * (high - low)`) and
/// a per-channel normalization `(x - mean) / std`. Anything else (fewer channels, a smaller image)
/// is refused: it would need resampling the model was not trained with.
public struct InputAdapter: Sendable {
    public let source: [Int]
    public let target: [Int]
    let scale: Float, offset: Float
    let mean: [Float], std: [Float]

    /// `source` and `target` are one sample's `[C, H, W]`.
    public init(source: [Int], card: ModelCard) throws(EvaluationError) {
        let target = card.sampleShape
        guard source.count == 3, target.count == 3, card.input.layout == "NCHW" else {
            throw .incompatibleInput(model: card.name, reason: "the model takes \(card.input.layout) \(card.input.shape), the data set gives [N, \(source.map(String.init).joined(separator: ", "))]; only NCHW images are supported")
        }
        let channelsFit = target[0] == source[0] || source[0] == 1
        guard channelsFit, target[1] >= source[1], target[2] >= source[2] else {
            throw .incompatibleInput(model: card.name, reason: "the model takes samples of \(target), the data set's are \(source); a model for this data set takes \(source) (or more channels or pixels, which are copied or zero-padded)")
        }
        self.source = source
        self.target = target
        let range = card.input.valueRange
        scale = Float(range[1] - range[0])
        offset = Float(range[0])
        let n = card.input.normalization
        let c = target[0]
        mean = (n?.mean.count == 1 ? Array(repeating: n!.mean[0], count: c) : n?.mean ?? Array(repeating: 0, count: c)).map(Float.init)
        std = (n?.std.count == 1 ? Array(repeating: n!.std[0], count: c) : n?.std ?? Array(repeating: 1, count: c)).map(Float.init)
    }

    /// Whether `apply` returns its input unchanged.
    public var isIdentity: Bool {
        source == target && scale == 1 && offset == 0 && mean.allSatisfy { $0 == 0 } && std.allSatisfy { $0 == 1 }
    }

    /// The batch as the model takes it.
    public func apply(_ images: Tensor) -> Tensor {
        if isIdentity { return images }
        let b = images.shape[0]
        let (sc, sh, sw) = (source[0], source[1], source[2])
        let (tc, th, tw) = (target[0], target[1], target[2])
        let top = (th - sh) / 2, left = (tw - sw) / 2
        var out = [Float](repeating: 0, count: b * tc * th * tw)
        images.withFloats { x in
            for n in 0..<b {
                for c in 0..<tc {
                    let from = sc == 1 ? 0 : c
                    // Padding is zero in the [0, 1] pixel scale, as in training, then goes through
                    // the same value mapping as the pixels.
                    let pad = (offset - mean[c]) / std[c]
                    let plane = (n * tc + c) * th * tw
                    if pad != 0 { for i in 0..<(th * tw) { out[plane + i] = pad } }
                    for y in 0..<sh {
                        let src = ((n * sc + from) * sh + y) * sw
                        let dst = plane + (y + top) * tw + left
                        for x0 in 0..<sw { out[dst + x0] = ((offset + x[src + x0] * scale) - mean[c]) / std[c] }
                    }
                }
            }
        }
        return Tensor(shape: [b, tc, th, tw], floats: out)
    }
}
