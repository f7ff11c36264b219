import CBLAS

/// `C = α · op(A) · op(B) + β · C`, row-major; `op(A)` is `[m, k]`, `op(B)` `[k, n]`, `C`
/// `[m, n]`. An empty `C` (m or n = 0) is left untouched, as the backward passes slice rows
/// that may be empty.
///
/// The product is cut into blocks of rows of C (or of columns when C has few rows), one per
/// compute thread (`ComputeThreads`), each a single-threaded `cblas_sgemm`. Every element of C
/// is still the same sequence of multiply-adds over k, so the result does not depend on the
/// thread count.
func gemm(
  _ transposeA: Bool, _ transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
  _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
  guard m > 0, n > 0 else { return }
  // About a million multiply-adds per block at least: below that a pool wake-up costs more
  // than the block.
  let minimumWork = 1 << 20
  // Blocks narrower than this waste the kernel's register tiles on edges.
  let minimumBlock = 16
  let work = m * n * max(k, 1)
  if m >= 2 * minimumBlock {
    let perRow = n * max(k, 1)
    ComputeThreads.split(m, minimumPerChunk: max(minimumBlock, minimumWork / perRow)) { rows in
      let aBlock = transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda
      gemmOnThisThread(
        transposeA, transposeB, m: rows.count, n: n, k: k, alpha: alpha, aBlock, lda: lda, b, ldb: ldb,
        beta: beta, c + rows.lowerBound * ldc, ldc: ldc)
    }
  } else if work >= 2 * minimumWork {
    let perColumn = m * max(k, 1)
    ComputeThreads.split(n, minimumPerChunk: max(minimumBlock, minimumWork / perColumn)) { columns in
      let bBlock = transposeB ? b + columns.lowerBound * ldb : b + columns.lowerBound
      gemmOnThisThread(
        transposeA, transposeB, m: m, n: columns.count, k: k, alpha: alpha, a, lda: lda, bBlock, ldb: ldb,
        beta: beta, c + columns.lowerBound, ldc: ldc)
    }
  } else {
    gemmOnThisThread(
      transposeA, transposeB, m: m, n: n, k: k, alpha: alpha, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
  }
}

/// `gemm` as one `cblas_sgemm` on the calling thread (OpenBLAS runs single-threaded, see
/// `ComputeThreads`): for callers that are already one chunk of a split.
@inline(__always)
func gemmOnThisThread(
  _ transposeA: Bool, _ transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
  _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
  guard m > 0, n > 0 else { return }
  cblas_sgemm(
    CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
