import CBLAS

/// Rows per sgemm call when `gemm` splits rows (a divisor of Whisper's 1500 audio positions
/// and of the encoder's 3000 input frames).
let gemmRowBlock = 125

/// `C = α · op(A) · op(B) + β · C`, row-major; `op(A)` is `[m, k]`, `op(B)` `[k, n]`, `C`
/// `[m, n]`. An empty `C` (m or n = 0) is left untouched, as the backward passes slice rows
/// that may be empty.
///
/// The product is cut into blocks of `gemmRowBlock` rows of C (or, when C has fewer than two
/// such blocks, into one block of columns per compute thread), each a single-threaded
/// `cblas_sgemm` on one of the compute threads (`ComputeThreads`). Row blocks do not depend
/// on the thread count, so neither does the result.
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
  if m >= 2 * gemmRowBlock {
    // Rows go in blocks of a fixed size, each its own sgemm, and threads take whole blocks:
    // a BLAS kernel need not give a row the same bits at another position in a call
    // (OpenBLAS's Zen kernels do not), so blocks that do not move with the thread count keep
    // results independent of it. `gemmRowBlock` divides n_audio_ctx (1500), so encoder
    // inputs stacked into one product are blocked exactly as each alone.
    let perRow = n * max(k, 1)
    let blocks = (m + gemmRowBlock - 1) / gemmRowBlock
    ComputeThreads.split(blocks, minimumPerChunk: max(1, minimumWork / (perRow * gemmRowBlock))) { blockRange in
      for block in blockRange {
        let first = block * gemmRowBlock
        let count = min(gemmRowBlock, m - first)
        let aBlock = transposeA ? a + first : a + first * lda
        gemmOnThisThread(
          transposeA, transposeB, m: count, n: n, k: k, alpha: alpha, aBlock, lda: lda, b, ldb: ldb,
          beta: beta, c + first * ldc, ldc: ldc)
      }
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
