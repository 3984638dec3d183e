import Foundation
import HDDNNRuntime

/// A tensor as it travels: OIP datatype, shape and the raw little-endian elements.
///
/// Raw images travel as UINT8 (one byte per pixel, as a camera gives them) and the receiving node
/// scales them by its model card's value range; feature maps from a split travel as FP32. So the
/// bytes a report counts are the bytes a real deployment would send (eq. 19: B_data is dtype
/// bytes x batch x W x H x channels).
public struct WireTensor: Sendable, Equatable {
    public enum Payload: Sendable, Equatable {
        case fp32([Float])
        case uint8([UInt8])
        case int64([Int64])
    }

    public var name: String
    public var shape: [Int]
    public var payload: Payload

    public init(name: String, shape: [Int], payload: Payload) {
        self.name = name
        self.shape = shape
        self.payload = payload
    }

    public init(name: String, tensor: Tensor) {
        self.name = name
        self.shape = tensor.shape
        switch tensor.storage {
        case .float32(let v): payload = .fp32(v)
        case .int64(let v): payload = .int64(v)
        }
    }

    public var datatype: String {
        switch payload {
        case .fp32: "FP32"
        case .uint8: "UINT8"
        case .int64: "INT64"
        }
    }

    public var elementCount: Int {
        switch payload {
        case .fp32(let v): v.count
        case .uint8(let v): v.count
        case .int64(let v): v.count
        }
    }

    public static func elementSize(_ datatype: String) -> Int? {
        switch datatype {
        case "FP32": 4
        case "UINT8": 1
        case "INT64": 8
        default: nil
        }
    }

    public var byteCount: Int { elementCount * WireTensor.elementSize(datatype)! }

    /// The engine tensor. UINT8 pixels become floats in `valueRange` (bytes / 255 scaled into it).
    public func tensor(valueRange: ClosedRange<Float> = 0...1) -> Tensor {
        switch payload {
        case .fp32(let v): return Tensor(shape: shape, floats: v)
        case .int64(let v): return Tensor(shape: shape, int64s: v)
        case .uint8(let v):
            let scale = (valueRange.upperBound - valueRange.lowerBound) / 255
            return Tensor(shape: shape, floats: v.map { Float($0) * scale + valueRange.lowerBound })
        }
    }

    /// Rows of a 2-D FP32 tensor (logits): the argmax of each.
    public func argmaxRows() -> [Int]? {
        guard case .fp32(let v) = payload, shape.count == 2, shape[1] > 0 else { return nil }
        let width = shape[1]
        return (0..<shape[0]).map { r in
            var best = 0
            for c in 1..<width where v[r * width + c] > v[r * width + best] { best = c }
            return best
        }
    }

    /// Per row of a [batch, classes] FP32 tensor, the normalized entropy of its class
    /// distribution, η = -Σ p log p / log |C|, in [0, 1]: 0 when one class takes all the
    /// probability, 1 when every class is equally likely (DDNN's early-exit criterion).
    /// `logits`: the rows are logits (softmax first); otherwise they are probabilities.
    public func normalizedEntropyRows(logits: Bool = true) -> [Double]? {
        guard case .fp32(let v) = payload, shape.count == 2, shape[1] > 1 else { return nil }
        let width = shape[1]
        let logClasses = log(Double(width))
        return (0..<shape[0]).map { r in
            let row = v[r * width ..< (r + 1) * width].map(Double.init)
            let p: [Double]
            if logits {
                let top = row.max() ?? 0
                let e = row.map { exp($0 - top) }
                let sum = e.reduce(0, +)
                p = e.map { $0 / sum }
            } else {
                let sum = row.reduce(0, +)
                p = row.map { sum > 0 ? $0 / sum : 0 }
            }
            let h = p.reduce(0) { $1 > 0 ? $0 - $1 * log($1) : $0 }
            return min(1, max(0, h / logClasses))
        }
    }
}
