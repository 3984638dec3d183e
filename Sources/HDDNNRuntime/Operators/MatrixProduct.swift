/// ONNX `Gemm` (opset 7, 9, 11, 13): `Y = alpha * A' * B' + beta * C`, with `C` broadcast to M x N.
struct GemmOperator: Operator {
    let alpha: Float, beta: Float
    let transA: Bool, transB: Bool

    init(_ ctx: NodeContext) throws(EngineError) {
        alpha = try ctx.float("alpha", default: 1)
        beta = try ctx.float("beta", default: 1)
        transA = try ctx.int("transA", default: 0) != 0
        transB = try ctx.int("transB", default: 0) != 0
    }

    func dimensions(_ a: [Int], _ b: [Int]) throws(EngineError) -> (m: Int, n: Int, k: Int) {
        guard a.count == 2, b.count == 2 else { throw .shapeMismatch(op: "Gemm", reason: "A \(a) and B \(b) must be matrices") }
        let (m, k) = transA ? (a[1], a[0]) : (a[0], a[1])
        let (kb, n) = transB ? (b[1], b[0]) : (b[0], b[1])
        guard k == kb else { throw .shapeMismatch(op: "Gemm", reason: "inner dimensions differ: A' is \(m)x\(k), B' is \(kb)x\(n)") }
        return (m, n, k)
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let a = try inputs.required(0, "Gemm").requireFloat("Gemm")
        let b = try inputs.required(1, "Gemm").requireFloat("Gemm")
        let (m, n, k) = try dimensions(a.shape, b.shape)
        var out = [Float](repeating: 0, count: m * n)
        var accumulate: Float = 0
        if let c = try inputs.optional(2)?.requireFloat("Gemm"), beta != 0 {
            guard c.rank <= 2, (try? Shape.broadcast(c.shape, [m, n], op: "Gemm")) == [m, n] else {
                throw EngineError.shapeMismatch(op: "Gemm", reason: "C of shape \(c.shape) does not broadcast to [\(m), \(n)]")
            }
            out = broadcastBinary(c.floats, c.shape, out, [m, n], outShape: [m, n]) { c, _ in c }
            accumulate = beta
        }
        a.withFloats { ap in
            b.withFloats { bp in
                out.withUnsafeMutableBufferPointer { op in
                    BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                               a: ap.baseAddress!, lda: a.shape[1], b: bp.baseAddress!, ldb: b.shape[1],
                               beta: accumulate, c: op.baseAddress!, ldc: n)
                }
            }
        }
        return [Tensor(shape: [m, n], floats: out)]
    }

    func macs(inputShapes: [[Int]?], outputShapes: [[Int]]) -> Int {
        guard let a = inputShapes[0], let b = inputShapes[1], let d = try? dimensions(a, b) else { return 0 }
        return d.m * d.n * d.k
    }
}

/// ONNX `MatMul` (opset 1, 9, 13): numpy `matmul`, with 1-D promotion and broadcast batch dims.
struct MatMulOperator: Operator {
    /// Batch shape, and the matrix sizes, of `a @ b`.
    static func plan(_ a: [Int], _ b: [Int]) throws(EngineError) -> (batch: [Int], m: Int, n: Int, k: Int, outShape: [Int]) {
        guard !a.isEmpty, !b.isEmpty else { throw .shapeMismatch(op: "MatMul", reason: "operands must have rank >= 1, got \(a) and \(b)") }
        let a2 = a.count == 1 ? [1, a[0]] : a
        let b2 = b.count == 1 ? [b[0], 1] : b
        let m = a2[a2.count - 2], k = a2[a2.count - 1], kb = b2[b2.count - 2], n = b2[b2.count - 1]
        guard k == kb else { throw .shapeMismatch(op: "MatMul", reason: "inner dimensions differ: \(a) @ \(b)") }
        let batch = try Shape.broadcast(Array(a2.dropLast(2)), Array(b2.dropLast(2)), op: "MatMul")
        var out = batch
        if a.count > 1 { out.append(m) }
        if b.count > 1 { out.append(n) }
        return (batch, m, n, k, out)
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let a = try inputs.required(0, "MatMul").requireFloat("MatMul")
        let b = try inputs.required(1, "MatMul").requireFloat("MatMul")
        let p = try Self.plan(a.shape, b.shape)
        let batches = Shape.count(p.batch)
        var out = [Float](repeating: 0, count: batches * p.m * p.n)
        // Offsets of each batch's matrices, found by broadcasting batch indices.
        let aBatch = a.rank > 2 ? Array(a.shape.dropLast(2)) : []
        let bBatch = b.rank > 2 ? Array(b.shape.dropLast(2)) : []
        let aIndex = broadcastBinary((0..<Shape.count(aBatch)).map { $0 }, aBatch, [0], [], outShape: aBatch) { x, _ in x }
        let bIndex = broadcastBinary((0..<Shape.count(bBatch)).map { $0 }, bBatch, [0], [], outShape: bBatch) { x, _ in x }
        let aOffsets = broadcastBinary(aIndex, aBatch, [Int](repeating: 0, count: batches), p.batch, outShape: p.batch) { x, _ in x }
        let bOffsets = broadcastBinary(bIndex, bBatch, [Int](repeating: 0, count: batches), p.batch, outShape: p.batch) { x, _ in x }
        a.withFloats { ap in
            b.withFloats { bp in
                out.withUnsafeMutableBufferPointer { op in
                    for i in 0..<batches {
                        BLAS.sgemm(m: p.m, n: p.n, k: p.k,
                                   a: ap.baseAddress! + aOffsets[i] * p.m * p.k, lda: p.k,
                                   b: bp.baseAddress! + bOffsets[i] * p.k * p.n, ldb: p.n,
                                   c: op.baseAddress! + i * p.m * p.n, ldc: p.n)
                    }
                }
            }
        }
        return [Tensor(shape: p.outShape, floats: out)]
    }

    func macs(inputShapes: [[Int]?], outputShapes: [[Int]]) -> Int {
        guard let a = inputShapes[0], let b = inputShapes[1], let p = try? Self.plan(a, b) else { return 0 }
        return Shape.count(p.batch) * p.m * p.n * p.k
    }
}
