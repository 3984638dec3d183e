/// Numpy-style broadcasting of a binary function (ONNX multidirectional broadcasting).
///
/// Fast paths for equal shapes and for a scalar operand cover almost every call in a CNN
/// (residual adds, scaling); the general path walks the output with an odometer over the outer
/// dimensions and a tight loop over the innermost one.
@inlinable
func broadcastBinary<T>(_ a: [T], _ aShape: [Int], _ b: [T], _ bShape: [Int], outShape: [Int],
                        _ f: (T, T) -> T) -> [T] {
    let count = Shape.count(outShape)
    if aShape == bShape {
        return [T](unsafeUninitializedCapacity: count) { out, n in
            for i in 0..<count { out[i] = f(a[i], b[i]) }
            n = count
        }
    }
    if b.count == 1, a.count == count {
        let s = b[0]
        return a.map { f($0, s) }
    }
    if a.count == 1, b.count == count {
        let s = a[0]
        return b.map { f(s, $0) }
    }
    let rank = outShape.count
    func broadcastStrides(_ shape: [Int]) -> [Int] {
        let padded = Array(repeating: 1, count: rank - shape.count) + shape
        var strides = Shape.strides(padded)
        for i in 0..<rank where padded[i] == 1 { strides[i] = 0 }
        return strides
    }
    let sa = broadcastStrides(aShape), sb = broadcastStrides(bShape)
    let inner = rank == 0 ? 1 : outShape[rank - 1]
    let ia = rank == 0 ? 0 : sa[rank - 1], ib = rank == 0 ? 0 : sb[rank - 1]
    let outer = inner == 0 ? 0 : count / inner
    return [T](unsafeUninitializedCapacity: count) { out, n in
        var index = [Int](repeating: 0, count: max(rank - 1, 0))
        var offA = 0, offB = 0
        for o in 0..<outer {
            let base = o * inner
            for j in 0..<inner { out[base + j] = f(a[offA + j * ia], b[offB + j * ib]) }
            // Advance the odometer over dimensions 0..<rank-1.
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                offA += sa[d]; offB += sb[d]
                if index[d] < outShape[d] { break }
                offA -= sa[d] * index[d]; offB -= sb[d] * index[d]
                index[d] = 0
                d -= 1
            }
        }
        n = count
    }
}
