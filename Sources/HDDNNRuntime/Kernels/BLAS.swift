#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// The one door to the platform BLAS: OpenBLAS on Linux, Accelerate on Apple platforms.
///
/// Only single-precision GEMM is used: convolutions lower to it (im2col or direct for 1x1), and so
/// do `Gemm` and `MatMul`. Row-major throughout, as the tensors are.
public enum BLAS {
    /// `C = alpha * op(A) * op(B) + beta * C` with row-major `A` (m x k), `B` (k x n), `C` (m x n).
    @inlinable
    public static func sgemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // BLAS leaves C untouched when k = 0 only if beta = 1; make the result explicit.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    .init(m), .init(n), .init(k), alpha, a, .init(lda), b, .init(ldb), beta, c, .init(ldc))
    }

    /// Sets how many threads BLAS itself uses. Process-wide by BLAS's design, so only the CLI or a
    /// node's start-up calls it, once.
    public static func setThreads(_ threads: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(max(1, threads)))
        #endif
    }

    /// The BLAS build and the kernel it picked for this CPU (for benchmark reports).
    public static var configuration: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        let config = openblas_get_config().map { String(cString: $0) } ?? "OpenBLAS"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "?"
        return "\(config.trimmingCharacters(in: " ")) core=\(core)"
        #endif
    }
}

extension String {
    fileprivate func trimmingCharacters(in c: Character) -> String {
        var s = Substring(self)
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}
