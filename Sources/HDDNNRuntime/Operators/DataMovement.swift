/// Operators that move elements without arithmetic: `Transpose`, `Concat`, `Slice`, `Gather`,
/// `Pad`. Each computes an index map and lets `Tensor.selecting` copy.

/// ONNX `Transpose` (opset 1, 13, 21); `perm` defaults to reversing the axes.
struct TransposeOperator: Operator {
    let perm: [Int]?
    init(_ ctx: NodeContext) throws(EngineError) { perm = try ctx.ints("perm") }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, "Transpose")
        let p = perm ?? Array((0..<x.rank).reversed())
        guard p.sorted() == Array(0..<x.rank) else {
            throw EngineError.invalidAttribute(op: "Transpose", name: "perm", reason: "\(p) is not a permutation of the \(x.rank) axes")
        }
        let shape = p.map { x.shape[$0] }
        let inStrides = Shape.strides(x.shape)
        let permuted = p.map { inStrides[$0] }
        var sources = [Int]()
        sources.reserveCapacity(x.count)
        forEachIndex(shape) { idx in
            var s = 0
            for d in 0..<idx.count { s += idx[d] * permuted[d] }
            sources.append(s)
        }
        return [x.selecting(shape: shape, sources: sources)]
    }
}

/// ONNX `Concat` (opset 4, 11, 13).
struct ConcatOperator: Operator {
    let axis: Int
    init(_ ctx: NodeContext) throws(EngineError) {
        guard let a = try ctx.int("axis") else { throw .invalidAttribute(op: "Concat", name: "axis", reason: "is required") }
        axis = a
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let parts = inputs.compactMap { $0 }
        guard let first = parts.first else { throw EngineError.missingOperand(op: "Concat", index: 0) }
        let a = try Shape.axis(axis, rank: first.rank, op: "Concat")
        var shape = first.shape
        shape[a] = 0
        for p in parts {
            guard p.dataType == first.dataType, p.rank == first.rank,
                  p.shape.enumerated().allSatisfy({ $0.offset == a || $0.element == first.shape[$0.offset] }) else {
                throw EngineError.shapeMismatch(op: "Concat", reason: "cannot concatenate \(first.shape) and \(p.shape) along axis \(a)")
            }
            shape[a] += p.shape[a]
        }
        return [Tensor.concatenating(parts, axis: a, shape: shape)]
    }
}

/// ONNX `Slice`: attributes before opset 10, inputs `starts, ends, axes, steps` from 10.
struct SliceOperator: Operator {
    let attributes: (starts: [Int], ends: [Int], axes: [Int]?)?

    init(_ ctx: NodeContext) throws(EngineError) {
        if ctx.opset < 10 {
            guard let s = try ctx.ints("starts"), let e = try ctx.ints("ends") else {
                throw .invalidAttribute(op: "Slice", name: "starts", reason: "starts and ends are required before opset 10")
            }
            attributes = (s, e, try ctx.ints("axes"))
        } else {
            attributes = nil
        }
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, "Slice")
        let starts: [Int], ends: [Int], axesIn: [Int]?, stepsIn: [Int]?
        if let attributes {
            (starts, ends, axesIn, stepsIn) = (attributes.starts, attributes.ends, attributes.axes, nil)
        } else {
            starts = try inputs.required(1, "Slice").integers
            ends = try inputs.required(2, "Slice").integers
            axesIn = inputs.optional(3)?.integers
            stepsIn = inputs.optional(4)?.integers
        }
        let axes = axesIn ?? Array(0..<starts.count)
        let steps = stepsIn ?? Array(repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
            throw EngineError.shapeMismatch(op: "Slice", reason: "starts, ends, axes and steps differ in length")
        }
        var begin = [Int](repeating: 0, count: x.rank)
        var step = [Int](repeating: 1, count: x.rank)
        var shape = x.shape
        for i in 0..<axes.count {
            let a = try Shape.axis(axes[i], rank: x.rank, op: "Slice")
            let dim = x.shape[a], s = steps[i]
            guard s != 0 else { throw EngineError.invalidAttribute(op: "Slice", name: "steps", reason: "a step cannot be 0") }
            var st = starts[i] < 0 ? starts[i] + dim : starts[i]
            var en = ends[i] < 0 ? ends[i] + dim : ends[i]
            if s > 0 {
                st = min(max(st, 0), dim); en = min(max(en, 0), dim)
            } else {
                st = min(max(st, 0), dim - 1); en = min(max(en, -1), dim - 1)
            }
            begin[a] = st; step[a] = s
            shape[a] = s > 0 ? max(0, (en - st + s - 1) / s) : max(0, (st - en + (-s) - 1) / (-s))
        }
        let strides = Shape.strides(x.shape)
        var sources = [Int]()
        sources.reserveCapacity(Shape.count(shape))
        forEachIndex(shape) { idx in
            var src = 0
            for d in 0..<idx.count { src += (begin[d] + idx[d] * step[d]) * strides[d] }
            sources.append(src)
        }
        return [x.selecting(shape: shape, sources: sources)]
    }
}

/// ONNX `Gather` (opset 1, 11, 13): negative indices count from the end.
struct GatherOperator: Operator {
    let axis: Int
    init(_ ctx: NodeContext) throws(EngineError) { axis = try ctx.int("axis", default: 0) }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let data = try inputs.required(0, "Gather")
        let indicesTensor = try inputs.required(1, "Gather")
        guard indicesTensor.dataType == .int64 else {
            throw EngineError.typeMismatch(op: "Gather", expected: "int64 indices", got: indicesTensor.dataType)
        }
        let a = try Shape.axis(axis, rank: data.rank, op: "Gather")
        let dim = data.shape[a]
        let indices = try indicesTensor.integers.map { i throws(EngineError) -> Int in
            let j = i < 0 ? i + dim : i
            guard j >= 0, j < dim else { throw .shapeMismatch(op: "Gather", reason: "index \(i) is out of range for axis of size \(dim)") }
            return j
        }
        let outer = Shape.count(Array(data.shape[..<a]))
        let inner = Shape.count(Array(data.shape[(a + 1)...]))
        let shape = Array(data.shape[..<a]) + indicesTensor.shape + Array(data.shape[(a + 1)...])
        var sources = [Int]()
        sources.reserveCapacity(Shape.count(shape))
        for o in 0..<outer {
            for j in indices {
                let base = (o * dim + j) * inner
                for i in 0..<inner { sources.append(base + i) }
            }
        }
        return [data.selecting(shape: shape, sources: sources)]
    }
}

/// ONNX `Pad`: attributes before opset 11; `pads`, `constant_value` (and `axes` from 18) inputs after.
/// Modes `constant`, `reflect`, `edge`, and `wrap` (opset 19). Negative pads crop.
struct PadOperator: Operator {
    let mode: String
    let attributePads: [Int]?
    let attributeValue: Float

    init(_ ctx: NodeContext) throws(EngineError) {
        mode = try ctx.string("mode", default: "constant")
        try ctx.require(["constant", "reflect", "edge", "wrap"].contains(mode), "mode", "unknown mode '\(mode)'")
        if ctx.opset < 11 {
            let pads = try ctx.ints("pads")
            attributePads = pads != nil ? pads : try ctx.ints("paddings")
            guard attributePads != nil else { throw .invalidAttribute(op: "Pad", name: "pads", reason: "is required before opset 11") }
        } else {
            attributePads = nil
        }
        attributeValue = try ctx.float("value", default: 0)
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, "Pad")
        let given = try attributePads ?? inputs.required(1, "Pad").integers
        let fill: Float
        if let v = inputs.optional(2), attributePads == nil {
            fill = v.dataType == .float32 ? v.floats.first ?? 0 : Float(v.int64s.first ?? 0)
        } else { fill = attributeValue }
        let axes = try (inputs.optional(3)?.integers ?? Array(0..<x.rank)).map { a throws(EngineError) in try Shape.axis(a, rank: x.rank, op: "Pad") }
        guard given.count == 2 * axes.count else {
            throw EngineError.shapeMismatch(op: "Pad", reason: "pads has \(given.count) values for \(axes.count) axes")
        }
        var before = [Int](repeating: 0, count: x.rank), after = before
        for (i, a) in axes.enumerated() { before[a] = given[i]; after[a] = given[i + axes.count] }
        let shape = (0..<x.rank).map { x.shape[$0] + before[$0] + after[$0] }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw EngineError.shapeMismatch(op: "Pad", reason: "pads \(given) crop \(x.shape) below zero") }
        for d in 0..<x.rank where x.shape[d] == 0 && shape[d] > 0 && mode != "constant" {
            throw EngineError.shapeMismatch(op: "Pad", reason: "\(mode) padding of an empty axis \(d)")
        }
        let strides = Shape.strides(x.shape)
        var sources = [Int]()
        sources.reserveCapacity(Shape.count(shape))
        forEachIndex(shape) { idx in
            var src = 0
            for d in 0..<idx.count {
                let n = x.shape[d]
                var i = idx[d] - before[d]
                if i < 0 || i >= n {
                    switch mode {
                    case "edge": i = min(max(i, 0), n - 1)
                    case "wrap": i = ((i % n) + n) % n
                    case "reflect":
                        if n == 1 { i = 0 } else {
                            let period = 2 * (n - 1)
                            i = ((i % period) + period) % period
                            if i >= n { i = period - i }
                        }
                    default: src = -1
                    }
                }
                if src < 0 { break }
                src += i * strides[d]
            }
            sources.append(src)
        }
        return [x.selecting(shape: shape, sources: sources, fill: fill)]
    }
}
