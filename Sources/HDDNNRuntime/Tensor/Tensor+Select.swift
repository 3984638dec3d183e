extension Tensor {
    /// A new tensor whose element `i` is this tensor's flat element `sources[i]`, or `fill` where
    /// `sources[i]` is negative.
    ///
    /// The single mechanism behind the data-movement operators (`Transpose`, `Slice`, `Gather`,
    /// `Pad`): each computes only the index map, so element types are handled in one place.
    func selecting(shape: [Int], sources: [Int], fill: Float = 0) -> Tensor {
        switch storage {
        case .float32(let v):
            return Tensor(shape: shape, floats: sources.map { $0 >= 0 ? v[$0] : fill })
        case .int64(let v):
            let f = Int64(fill)
            return Tensor(shape: shape, int64s: sources.map { $0 >= 0 ? v[$0] : f })
        }
    }

    /// Rows `range` of dimension 0 (a batch's samples), copied.
    func rows(_ range: Range<Int>) -> Tensor {
        let inner = Shape.count(Array(shape.dropFirst()))
        let elements = (range.lowerBound * inner)..<(range.upperBound * inner)
        let shape = [range.count] + shape.dropFirst()
        switch storage {
        case .float32(let v): return Tensor(shape: shape, floats: Array(v[elements]))
        case .int64(let v): return Tensor(shape: shape, int64s: Array(v[elements]))
        }
    }

    /// Concatenates same-typed tensors along `axis` (shapes already checked).
    static func concatenating(_ parts: [Tensor], axis: Int, shape: [Int]) -> Tensor {
        let outer = Shape.count(Array(shape[..<axis]))
        let inner = Shape.count(Array(shape[(axis + 1)...]))
        func join<T>(_ arrays: [[T]]) -> [T] {
            var out = [T]()
            out.reserveCapacity(Shape.count(shape))
            for o in 0..<outer {
                for (p, a) in zip(parts, arrays) {
                    let block = p.shape[axis] * inner
                    out.append(contentsOf: a[(o * block)..<((o + 1) * block)])
                }
            }
            return out
        }
        switch parts[0].storage {
        case .float32: return Tensor(shape: shape, floats: join(parts.map(\.floats)))
        case .int64: return Tensor(shape: shape, int64s: join(parts.map(\.int64s)))
        }
    }
}

/// Iterates the multi-indices of `shape` in row-major order.
func forEachIndex(_ shape: [Int], _ body: ([Int]) -> Void) {
    let count = Shape.count(shape)
    guard count > 0 else { return }
    var index = [Int](repeating: 0, count: shape.count)
    for _ in 0..<count {
        body(index)
        var d = shape.count - 1
        while d >= 0 {
            index[d] += 1
            if index[d] < shape[d] { break }
            index[d] = 0
            d -= 1
        }
    }
}
