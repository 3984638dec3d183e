import HDDNNKernels

/// Which instruction set the engine's own kernels use, chosen once from the CPU's features.
///
/// `.detected` is the best the CPU supports; `.reference` forces the portable C kernels (what
/// `--kernels reference` selects, and what the fast kernels are tested against).
public struct KernelTable: Sendable, Equatable, CustomStringConvertible {
    public let isa: hddnn_isa

    public static let detected = KernelTable(isa: hddnn_cpu_isa())
    public static let reference = KernelTable(isa: HDDNN_ISA_GENERIC)

    public init(isa: hddnn_isa) { self.isa = isa }

    public var description: String {
        switch isa {
        case HDDNN_ISA_AVX512: "avx512"
        case HDDNN_ISA_AVX2: "avx2+fma"
        default: "generic"
        }
    }

    var mr: Int { Int(hddnn_gemm_mr(isa)) }
    var nr: Int { Int(hddnn_gemm_nr(isa)) }
}

/// A constant left operand (weights, M x K) packed for the GEMM micro-kernel: done once at load.
public struct PackedMatrix: Sendable {
    public let table: KernelTable
    public let rows: Int
    public let columns: Int
    let storage: [Float]

    /// Packs row-major `values` (rows x columns, row stride `stride`, starting at `offset`).
    public init(table: KernelTable, rows: Int, columns: Int, values: UnsafePointer<Float>, stride: Int) {
        self.table = table
        self.rows = rows
        self.columns = columns
        let count = Int(hddnn_gemm_packed_a_count(table.isa, Int32(rows), Int32(columns)))
        storage = [Float](unsafeUninitializedCapacity: count) { buffer, n in
            hddnn_gemm_pack_a(table.isa, Int32(rows), Int32(columns), values, Int32(stride), buffer.baseAddress!)
            n = count
        }
    }

    private init(table: KernelTable, rows: Int, columns: Int, storage: [Float]) {
        self.table = table
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// The matrix back in row-major order (rows x columns), for kernels that pack it otherwise.
    public func unpacked() -> [Float] {
        let mr = table.mr
        return [Float](unsafeUninitializedCapacity: rows * columns) { out, n in
            for row in 0..<rows {
                for k in 0..<columns { out[row * columns + k] = storage[((row / mr) * columns + k) * mr + row % mr] }
            }
            n = rows * columns
        }
    }

    /// The same matrix restricted to the given columns (in order), repacked: used to drop the
    /// kernel taps of a convolution that only ever read padding.
    public func selectingColumns(_ keep: [Int]) -> PackedMatrix {
        let mr = table.mr
        let panels = (rows + mr - 1) / mr
        var out = [Float](repeating: 0, count: panels * mr * keep.count)
        storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<panels {
                    for (newK, oldK) in keep.enumerated() {
                        let from = src.baseAddress! + (p * columns + oldK) * mr
                        let to = dst.baseAddress! + (p * keep.count + newK) * mr
                        to.update(from: from, count: mr)
                    }
                }
            }
        }
        return PackedMatrix(table: table, rows: rows, columns: keep.count, storage: out)
    }

    /// `C = self x B` with the epilogue in `c`, spread over the context's threads: by column
    /// panels when B is wide, by row panels when it is narrow (late layers at batch 1).
    func multiply(n: Int, b: hddnn_gemm_b, c: hddnn_gemm_c, context: ExecutionContext) {
        guard rows > 0, n > 0 else { return }
        let isa = table.isa
        let nr = table.nr, mr = table.mr
        let columnPanels = (n + nr - 1) / nr, rowPanels = (rows + mr - 1) / mr
        // Waking a second thread costs microseconds: only products of a million or more
        // multiply-accumulates per worker are split (MobileNet's late layers at batch 1 are not).
        let work = rows * columns * n
        let workers = min(context.threads, max(columnPanels, rowPanels), max(1, work / 1_000_000))
        let splitColumns = columnPanels >= workers * 2 || columnPanels >= rowPanels
        let m = Int32(rows), k = Int32(columns), nn = Int32(n)
        let shared = UnsafeSendable((b, c))
        storage.withUnsafeBufferPointer { a in
            let aPointer = UnsafeSendable(a.baseAddress!)
            context.parallelFor(workers) { w in
                var (b, c) = shared.pointer
                let workspaceCount = Int(hddnn_gemm_workspace_count(isa))
                withUnsafeTemporaryAllocation(of: Float.self, capacity: workspaceCount) { ws in
                    if splitColumns {
                        let start = columnPanels * w / workers * nr, end = columnPanels * (w + 1) / workers * nr
                        hddnn_gemm(isa, m, nn, k, aPointer.pointer, &b, &c, 0, m, Int32(start), Int32(min(end, n)), ws.baseAddress!)
                    } else {
                        let start = rowPanels * w / workers * mr, end = rowPanels * (w + 1) / workers * mr
                        hddnn_gemm(isa, m, nn, k, aPointer.pointer, &b, &c, Int32(start), Int32(min(end, rows)), 0, nn, ws.baseAddress!)
                    }
                }
            }
        }
    }
}
