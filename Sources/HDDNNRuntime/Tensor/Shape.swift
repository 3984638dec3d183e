#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shape arithmetic shared by the importer and the operators.
public enum Shape {
    /// Product of the dimensions. Callers that read untrusted shapes use `validatedCount` first.
    @inlinable
    public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major strides of `shape`.
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc *= shape[i]
        }
        return strides
    }

    /// The element count of a shape read from a file or a request, checked so that a hostile or
    /// corrupt shape cannot overflow `Int` or ask for more memory than the machine has.
    public static func validatedCount(_ shape: [Int], elementSize: Int = 4, context: @autoclosure () -> String) throws(ShapeError) -> Int {
        var total = 1
        for d in shape {
            guard d >= 0 else { throw .negativeDimension(shape: shape, context: context()) }
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow else { throw .overflow(shape: shape, context: context()) }
            total = p
        }
        let (bytes, overflow) = total.multipliedReportingOverflow(by: elementSize)
        guard !overflow, bytes <= memoryLimitBytes else {
            throw .tooLarge(shape: shape, bytes: overflow ? Int.max : bytes, limit: memoryLimitBytes, context: context())
        }
        return total
    }

    /// The most bytes one tensor may take: the machine's physical memory.
    public static let memoryLimitBytes: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return 1 << 34 }
        return pages * pageSize
    }()

    /// Normalises a possibly negative axis into `0..<rank`.
    public static func axis(_ axis: Int, rank: Int, op: String) throws(EngineError) -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < max(rank, 1) else { throw .invalidAttribute(op: op, name: "axis", reason: "axis \(axis) is out of range for rank \(rank)") }
        return a
    }

    /// Numpy-style broadcast of two shapes (ONNX multidirectional broadcasting).
    public static func broadcast(_ a: [Int], _ b: [Int], op: String) throws(EngineError) -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
                throw .shapeMismatch(op: op, reason: "shapes \(a) and \(b) do not broadcast")
            }
        }
        return out
    }
}

/// Why a shape read from outside cannot be allocated.
public enum ShapeError: Error, Sendable, Equatable, CustomStringConvertible {
    case negativeDimension(shape: [Int], context: String)
    case overflow(shape: [Int], context: String)
    case tooLarge(shape: [Int], bytes: Int, limit: Int, context: String)

    public var description: String {
        switch self {
        case let .negativeDimension(shape, context):
            "\(context): shape \(shape) has a negative dimension"
        case let .overflow(shape, context):
            "\(context): the dimensions of \(shape) multiply past 2^63; the file is corrupt"
        case let .tooLarge(shape, bytes, limit, context):
            "\(context): shape \(shape) needs \(bytes) bytes, more than this machine's \(limit) bytes of memory"
        }
    }
}
