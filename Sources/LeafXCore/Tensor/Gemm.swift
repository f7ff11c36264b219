import CBLAS

/// `C = α · op(A) · op(B) + β · C`, row-major, on `cblas_sgemm`; `op(A)` is `[m, k]`,
/// `op(B)` `[k, n]`, `C` `[m, n]`. An empty `C` (m or n = 0) is left untouched, as the
/// backward passes slice rows that may be empty.
@inline(__always)
func gemm(
  _ transposeA: Bool, _ transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
  _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
  guard m > 0, n > 0 else { return }
  cblas_sgemm(
    CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
