import CBLAS

/// Rows per sgemm call when `gemm` splits rows (a divisor of Whisper's 1500 audio positions
/// and of the encoder's 3000 input frames).
let gemmRowBlock = 125

/// Columns per sgemm call when `gemm` splits columns: a multiple of the kernels' register
/// tiles that divides every Whisper width (384, 512, 768, 1024, 1280 and their multiples), so
/// a 384-wide product is 6 blocks, which 2 or 3 threads share evenly.
let gemmColumnBlock = 64

/// `C = α · op(A) · op(B) + β · C`, row-major; `op(A)` is `[m, k]`, `op(B)` `[k, n]`, `C`
/// `[m, n]`. An empty `C` (m or n = 0) is left untouched, as the backward passes slice rows
/// that may be empty.
///
/// The product is cut into blocks of `gemmRowBlock` rows of C (or, when C has fewer than two
/// such blocks, of `gemmColumnBlock` columns), each a single-threaded `cblas_sgemm` on one of
/// the compute threads (`ComputeThreads`). The blocks depend on the shape only, not on the
/// thread count, so neither does the result.
func gemm(
  _ transposeA: Bool, _ transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
  _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
  guard m > 0, n > 0 else { return }
  // About a million multiply-adds per chunk at least: below that a pool wake-up costs more
  // than the chunk.
  let minimumWork = 1 << 20
  let work = m * n * max(k, 1)
  if m >= 2 * gemmRowBlock {
    // Rows go in blocks of a fixed size, each its own sgemm, and threads take whole blocks:
    // a BLAS kernel need not give a row the same bits at another position in a call
    // (OpenBLAS's Zen kernels do not), so blocks that do not move with the thread count keep
    // results independent of it. `gemmRowBlock` divides n_audio_ctx (1500), so encoder
    // inputs stacked into one product are blocked exactly as each alone.
    forEachBlock(of: m, size: gemmRowBlock, workPerItem: n * max(k, 1), minimumWork: minimumWork) { first, count in
      let aBlock = transposeA ? a + first : a + first * lda
      gemmOnThisThread(
        transposeA, transposeB, m: count, n: n, k: k, alpha: alpha, aBlock, lda: lda, b, ldb: ldb,
        beta: beta, c + first * ldc, ldc: ldc)
    }
  } else if work >= 2 * minimumWork && n >= 2 * gemmColumnBlock {
    // Few rows (decoder passes over a few tokens): fixed blocks of columns, for the same
    // reason, so that a prompt decodes to the same bits on any number of threads.
    forEachBlock(of: n, size: gemmColumnBlock, workPerItem: m * max(k, 1), minimumWork: minimumWork) { first, count in
      let bBlock = transposeB ? b + first * ldb : b + first
      gemmOnThisThread(
        transposeA, transposeB, m: m, n: count, k: k, alpha: alpha, a, lda: lda, bBlock, ldb: ldb,
        beta: beta, c + first, ldc: ldc)
    }
  } else {
    gemmOnThisThread(
      transposeA, transposeB, m: m, n: n, k: k, alpha: alpha, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
  }
}

/// Calls `body(first, count)` for each block of `size` items of `0 ..< total` (the last may be
/// shorter), the blocks shared out whole over `ComputeThreads`, with at least `minimumWork`
/// multiply-adds per chunk. The blocks depend on `total` and `size` only.
private func forEachBlock(
  of total: Int, size: Int, workPerItem: Int, minimumWork: Int, _ body: (_ first: Int, _ count: Int) -> Void
) {
  let blocks = (total + size - 1) / size
  ComputeThreads.split(blocks, minimumPerChunk: max(1, minimumWork / (workPerItem * size))) { blockRange in
    for block in blockRange {
      let first = block * size
      body(first, min(size, total - first))
    }
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
