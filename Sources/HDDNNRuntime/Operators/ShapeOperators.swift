/// Operators that change only a tensor's shape: `Reshape`, `Flatten`, `Squeeze`, `Unsqueeze`,
/// and `Shape`, which reads it.

/// ONNX `Reshape` (opset 5, 13, 14, 19, 21): `0` copies a dimension (unless `allowzero`), `-1` is inferred.
struct ReshapeOperator: Operator {
    let allowZero: Bool

    init(_ ctx: NodeContext) throws(EngineError) {
        allowZero = try ctx.int("allowzero", default: 0) != 0
    }

    static func resolve(_ requested: [Int], input: [Int], allowZero: Bool) throws(EngineError) -> [Int] {
        var shape = requested
        var inferred: Int? = nil
        for (i, d) in requested.enumerated() {
            if d == 0 && !allowZero {
                guard i < input.count else { throw .shapeMismatch(op: "Reshape", reason: "0 at position \(i) has no input dimension to copy") }
                shape[i] = input[i]
            } else if d == -1 {
                guard inferred == nil else { throw .shapeMismatch(op: "Reshape", reason: "more than one -1 in \(requested)") }
                inferred = i
            } else if d < 0 {
                throw .shapeMismatch(op: "Reshape", reason: "invalid dimension \(d) in \(requested)")
            }
        }
        let total = Shape.count(input)
        if let i = inferred {
            let known = shape.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            guard known > 0, total % known == 0 else {
                throw .shapeMismatch(op: "Reshape", reason: "cannot reshape \(input) to \(requested)")
            }
            shape[i] = total / known
        }
        guard Shape.count(shape) == total else {
            throw .shapeMismatch(op: "Reshape", reason: "cannot reshape \(input) (\(total) elements) to \(requested)")
        }
        return shape
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, "Reshape")
        let requested = try inputs.required(1, "Reshape").integers
        return [x.reshaped(try Self.resolve(requested, input: x.shape, allowZero: allowZero))]
    }
}

/// ONNX `Flatten` (opset 1, 9, 11, 13, 21): to 2-D at `axis`.
struct FlattenOperator: Operator {
    let axis: Int
    init(_ ctx: NodeContext) throws(EngineError) { axis = try ctx.int("axis", default: 1) }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, "Flatten")
        let a = axis < 0 ? axis + x.rank : axis
        guard a >= 0, a <= x.rank else { throw EngineError.invalidAttribute(op: "Flatten", name: "axis", reason: "\(axis) is out of range for rank \(x.rank)") }
        return [x.reshaped([Shape.count(Array(x.shape[..<a])), Shape.count(Array(x.shape[a...]))])]
    }
}

/// ONNX `Squeeze` and `Unsqueeze`: axes as an attribute before opset 13, as an input from 13.
struct SqueezeOperator: Operator {
    let squeeze: Bool
    let axesAttribute: [Int]?

    init(_ ctx: NodeContext, squeeze: Bool) throws(EngineError) {
        self.squeeze = squeeze
        axesAttribute = try ctx.ints("axes")
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let op = squeeze ? "Squeeze" : "Unsqueeze"
        let x = try inputs.required(0, op)
        let axes = inputs.optional(1)?.integers ?? axesAttribute
        if squeeze {
            guard let axes else { return [x.reshaped(x.shape.filter { $0 != 1 })] }
            let normal = try Set(axes.map { a throws(EngineError) in try Shape.axis(a, rank: x.rank, op: op) })
            for a in normal where x.shape[a] != 1 {
                throw EngineError.shapeMismatch(op: op, reason: "cannot squeeze axis \(a) of size \(x.shape[a]) in \(x.shape)")
            }
            return [x.reshaped(x.shape.enumerated().filter { !normal.contains($0.offset) }.map(\.element))]
        }
        guard let axes else { throw EngineError.missingOperand(op: op, index: 1) }
        let rank = x.rank + axes.count
        let normal = try Set(axes.map { a throws(EngineError) in try Shape.axis(a, rank: rank, op: op) })
        guard normal.count == axes.count else { throw EngineError.invalidAttribute(op: op, name: "axes", reason: "repeated axis in \(axes)") }
        var shape = [Int](), rest = x.shape.makeIterator()
        for i in 0..<rank { shape.append(normal.contains(i) ? 1 : rest.next()!) }
        return [x.reshaped(shape)]
    }
}

/// ONNX `Shape` (opset 1, 13, 15 with `start`/`end`, 19, 21).
struct ShapeOperator: Operator {
    let start: Int, end: Int?
    init(_ ctx: NodeContext) throws(EngineError) {
        start = try ctx.int("start", default: 0)
        end = try ctx.int("end")
    }

    func run(_ inputs: [Tensor?], context: ExecutionContext) throws -> [Tensor] {
        let x = try inputs.required(0, "Shape")
        let r = x.rank
        func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + r : v, 0), r) }
        let s = clamp(start), e = clamp(end ?? r)
        let dims = s < e ? Array(x.shape[s..<e]) : []
        return [Tensor(shape: [dims.count], int64s: dims.map { Int64($0) })]
    }
}
