/// Scaled dot-product attention over `heads` heads, with Whisper's scaling (openai-whisper
/// scales q and k by d_head^-¼ each, i.e. the scores by d_head^-½):
///
/// ```
/// P_h = softmax(Q_h K_hᵀ / √d_head)      (query i sees keys j ≤ causalOffset + i if causal)
/// O_h = P_h V_h,   O = [O_1 … O_H]
/// ```
/// `q` is `[tq, d]`, `k` and `v` are `[tk, d]` (heads are column blocks of width d / heads),
/// the result is `[tq, d]`. `observe`, when given, receives each head's probabilities
/// `[tq, tk]` (row-major) before they are used: the attention trace hooks in here.
public enum Attention {
  public static func forward(
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    tq: Int, tk: Int, width: Int, heads: Int, causalOffset: Int?,
    into output: UnsafeMutablePointer<Float>,
    observe: ((_ head: Int, _ probabilities: UnsafeBufferPointer<Float>) -> Void)? = nil
  ) {
    if tq > 1 && observe == nil {
      forwardInQueryBlocks(
        q: q, k: k, v: v, tq: tq, tk: tk, width: width, heads: heads, causalOffset: causalOffset, into: output)
      return
    }
    let dHead = width / heads
    let scale = 1 / Float(dHead).squareRoot()
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: max(tq * tk, 1))
    defer { scores.deallocate() }
    for h in 0..<heads {
      // scores[tq, tk] = scale · Q_h · K_hᵀ
      if tq == 1 {
        // One query (a decoder step): scores = scale · K_h q_h, without sgemm's packing.
        MatrixVector.multiply(
          k + h * dHead, rows: tk, columns: dHead, rowStride: width, alpha: scale, q + h * dHead, into: scores)
      } else {
        gemm(
          false, true, m: tq, n: tk, k: dHead, alpha: scale, q + h * dHead, lda: width, k + h * dHead, ldb: width,
          scores, ldc: tk)
      }
      // Rows are independent: split them over the compute threads (the encoder's 1500 × 1500
      // per head is the largest element-wise pass of a window).
      ComputeThreads.split(tq, minimumPerChunk: max(1, 32_768 / max(tk, 1))) { range in
        let first = range.lowerBound
        if let causalOffset {
          Softmax.forward(scores + first * tk, rows: range.count, width: tk, valid: { causalOffset + first + $0 + 1 })
        } else {
          Softmax.forward(scores + first * tk, rows: range.count, width: tk)
        }
      }
      observe?(h, UnsafeBufferPointer(start: scores, count: tq * tk))
      // O_h[tq, dHead] = P · V_h, written into the head's column block of the output.
      if tq == 1 {
        // o_h = V_hᵀ p
        MatrixVector.multiplyTransposed(
          v + h * dHead, rows: tk, columns: dHead, rowStride: width, scores, into: output + h * dHead)
      } else {
        gemm(false, false, m: tq, n: dHead, k: tk, scores, lda: tk, v + h * dHead, ldb: width, output + h * dHead, ldc: width)
      }
    }
  }
}

extension Attention {
  /// Queries per block of `forwardInQueryBlocks`: a block's scores (64 × 1500 floats for the
  /// encoder, 384 KB) stay in a core's L2 cache from the product that writes them, through the
  /// softmax, to the product that reads them.
  static let queryBlock = 64

  /// `forward` without an observer, block by block of queries: the blocks are split over the
  /// compute threads, and each block runs, per head, scores → softmax → values on one thread
  /// while its scores are in cache, instead of writing and re-reading a `[tq, tk]` matrix per
  /// head (9 MB for the encoder) three times. Each output element is the same sums as in
  /// `forward`'s whole-matrix path.
  static func forwardInQueryBlocks(
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    tq: Int, tk: Int, width: Int, heads: Int, causalOffset: Int?, into output: UnsafeMutablePointer<Float>
  ) {
    let dHead = width / heads
    let scale = 1 / Float(dHead).squareRoot()
    // About a million multiply-adds per chunk at least (2·tk·width per query).
    let minimumQueries = max(queryBlock, (1 << 20) / max(2 * tk * width, 1))
    // Threads take whole blocks, counted from the first query, so that every block is the
    // same pair of sgemm calls whatever the thread count: a BLAS kernel need not give a row
    // the same bits at another position in a call (OpenBLAS's Zen kernels do not).
    let blocks = (tq + queryBlock - 1) / queryBlock
    ComputeThreads.split(blocks, minimumPerChunk: max(1, minimumQueries / queryBlock)) { blockRange in
      let queries = blockRange.lowerBound * queryBlock..<min(tq, blockRange.upperBound * queryBlock)
      let scores = UnsafeMutablePointer<Float>.allocate(capacity: max(min(queryBlock, queries.count) * tk, 1))
      defer { scores.deallocate() }
      for h in 0..<heads {
        for first in stride(from: queries.lowerBound, to: queries.upperBound, by: queryBlock) {
          let rows = min(queryBlock, queries.upperBound - first)
          gemmOnThisThread(
            false, true, m: rows, n: tk, k: dHead, alpha: scale, q + first * width + h * dHead, lda: width,
            k + h * dHead, ldb: width, scores, ldc: tk)
          if let causalOffset {
            Softmax.forward(scores, rows: rows, width: tk, valid: { causalOffset + first + $0 + 1 })
          } else {
            Softmax.forward(scores, rows: rows, width: tk)
          }
          gemmOnThisThread(
            false, false, m: rows, n: dHead, k: tk, scores, lda: tk, v + h * dHead, ldb: width,
            output + first * width + h * dHead, ldc: width)
        }
      }
    }
  }

  /// `forward` for `count` independent single queries against the same keys and values (the
  /// hypotheses of a beam over one window's audio): query b is `[width]` at `q + b·width`, its
  /// output `[width]` at `output + b·width`. Per head, K_h and V_h are read once for all
  /// queries (`MatrixVector`'s batched forms), and heads are split over `ComputeThreads`;
  /// output b equals `forward` with `tq = 1` on query b alone, bit for bit.
  public static func forwardSteps(
    q: UnsafePointer<Float>, count: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    tk: Int, width: Int, heads: Int, into output: UnsafeMutablePointer<Float>
  ) {
    guard count > 0 else { return }
    let dHead = width / heads
    let scale = 1 / Float(dHead).squareRoot()
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: max(heads * count * tk, 1))
    defer { scores.deallocate() }
    // One head is 2·tk·dHead multiply-adds per query.
    let perHead = 2 * tk * dHead * count
    ComputeThreads.split(heads, minimumPerChunk: max(1, 65_536 / max(perHead, 1))) { range in
      for h in range {
        let p = scores + h * count * tk
        MatrixVector.multiply(
          k + h * dHead, rows: tk, columns: dHead, rowStride: width, alpha: scale,
          vectors: q + h * dHead, vectorStride: width, count: count, into: p, outputStride: tk)
        Softmax.forward(p, rows: count, width: tk)
        MatrixVector.multiplyTransposed(
          v + h * dHead, rows: tk, columns: dHead, rowStride: width, vectors: p, vectorStride: tk,
          count: count, into: output + h * dHead, outputStride: width)
      }
    }
  }
}
