/// A dense, row-major (C order) tensor.
///
/// Storage is a Swift array, so a `Tensor` is a value with copy-on-write: operators can take their
/// inputs by value and hand back new outputs without aliasing surprises. Kernels reach the
/// elements through `withUnsafe...` accessors.
public struct Tensor: Sendable, Equatable {
    /// The elements, by type.
    public enum Storage: Sendable, Equatable {
        case float32([Float])
        case int64([Int64])
    }

    public private(set) var shape: [Int]
    public private(set) var storage: Storage

    /// A float tensor; `values.count` must equal the product of `shape`.
    public init(shape: [Int], floats values: [Float]) {
        precondition(values.count == Shape.count(shape), "tensor of shape \(shape) given \(values.count) values")
        self.shape = shape
        self.storage = .float32(values)
    }

    /// An int64 tensor; `values.count` must equal the product of `shape`.
    public init(shape: [Int], int64s values: [Int64]) {
        precondition(values.count == Shape.count(shape), "tensor of shape \(shape) given \(values.count) values")
        self.shape = shape
        self.storage = .int64(values)
    }

    /// A float tensor of zeros. The shape must already be validated (see `Shape.validatedCount`).
    public init(zeros shape: [Int]) {
        self.init(shape: shape, floats: [Float](repeating: 0, count: Shape.count(shape)))
    }

    /// A scalar float.
    public init(scalar: Float) { self.init(shape: [], floats: [scalar]) }

    public var dataType: DataType {
        switch storage {
        case .float32: .float32
        case .int64: .int64
        }
    }

    public var rank: Int { shape.count }
    public var count: Int { Shape.count(shape) }

    /// The float elements; traps on an int64 tensor (operators check types at load or call `floats(of:)`).
    public var floats: [Float] {
        guard case .float32(let v) = storage else { preconditionFailure("expected a float32 tensor, got \(dataType)") }
        return v
    }

    /// The int64 elements; traps on a float tensor.
    public var int64s: [Int64] {
        guard case .int64(let v) = storage else { preconditionFailure("expected an int64 tensor, got \(dataType)") }
        return v
    }

    /// The same elements under a new shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(Shape.count(newShape) == count, "cannot reshape \(shape) to \(newShape)")
        var t = self
        t.shape = newShape
        return t
    }

    /// Reads the float elements in place.
    @inlinable
    public func withFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        guard case .float32(let v) = storage else { preconditionFailure("expected a float32 tensor, got \(dataType)") }
        return try v.withUnsafeBufferPointer(body)
    }

    /// The elements as `Int`, for shape-like int64 inputs (`Reshape`'s shape, `Slice`'s starts...).
    public var integers: [Int] {
        switch storage {
        case .int64(let v): v.map { Int(truncatingIfNeeded: $0) }
        case .float32(let v): v.map { Int($0) }
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor<\(dataType)>\(shape)" }
}
