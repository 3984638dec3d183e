/// Element types the engine computes with.
///
/// The CNN classifiers the project serves compute in `float32`; `int64` carries shapes, indices and
/// axes (ONNX `Shape`, `Gather`, `Reshape`, `Slice`). Anything else is refused when a model loads.
public enum DataType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case float32
    case int64

    /// Bytes one element takes in memory and in ONNX `raw_data`.
    public var byteSize: Int {
        switch self {
        case .float32: 4
        case .int64: 8
        }
    }

    public var description: String { rawValue }
}
