/// Scaled dot-product attention over `heads` heads, with Whisper's scaling (openai-whisper
/// scales q and k by d_head^-¼ each, i.e. the scores by d_head^-½):
///
/// ```
/// P_h = softmax(Q_h K_hᵀ / √d_head)      (query i sees keys j ≤ causalOffset + i if causal)
/// O_h = P_h V_h,   O = [O_1 … O_H]
/// ```
/// `q` is `[tq, d]`, `k` and `v` are `[tk, d]` (heads are column blocks of width d / heads),
/// the result is `[tq, d]`.
///
/// A recorded pass (the explanations' trace, the gradient tapes) passes `record`: every head's
/// probabilities are kept there and may be edited before they weight the values. It runs the
/// same kernel calls on the same blocks of queries as the unrecorded pass, so both give the
/// same bits (checked in DecoderBackwardTests and EncoderBackwardTests).
public enum Attention {
  /// Where a recorded attention keeps its probabilities.
  public struct Recording {
    /// `[heads, tq, tk]`, written by the pass.
    public let probabilities: UnsafeMutablePointer<Float>
    /// Called per head, on the calling thread, with that head's `[tq, tk]` probabilities right
    /// after softmax; what it leaves there is what the values are weighted with (finite
    /// differences and the causal ablations edit maps this way).
    public let edit: ((_ head: Int, _ probabilities: UnsafeMutableBufferPointer<Float>) -> Void)?

    public init(
      probabilities: UnsafeMutablePointer<Float>,
      edit: ((_ head: Int, _ probabilities: UnsafeMutableBufferPointer<Float>) -> Void)? = nil
    ) {
      self.probabilities = probabilities
      self.edit = edit
    }
  }

  public static func forward(
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    tq: Int, tk: Int, width: Int, heads: Int, causalOffset: Int?,
    into output: UnsafeMutablePointer<Float>, record: Recording? = nil
  ) {
    guard tq > 0 else { return }
    if tq == 1 {
      forwardOneQuery(
        q: q, k: k, v: v, tk: tk, width: width, heads: heads, causalOffset: causalOffset, into: output, record: record)
    } else {
      forwardInQueryBlocks(
        q: q, k: k, v: v, tq: tq, tk: tk, width: width, heads: heads, causalOffset: causalOffset, into: output,
        record: record)
    }
  }

  /// One query (a decoder step): per head, scores = scale · K_h q_h and o_h = V_hᵀ p as
  /// matrix-vector products, without sgemm's packing.
  private static func forwardOneQuery(
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    tk: Int, width: Int, heads: Int, causalOffset: Int?,
    into output: UnsafeMutablePointer<Float>, record: Recording?
  ) {
    let dHead = width / heads
    let scale = 1 / Float(dHead).squareRoot()
    let scratch = record == nil ? UnsafeMutablePointer<Float>.allocate(capacity: max(tk, 1)) : nil
    defer { scratch?.deallocate() }
    for h in 0..<heads {
      let scores = record.map { $0.probabilities + h * tk } ?? scratch!
      MatrixVector.multiply(
        k + h * dHead, rows: tk, columns: dHead, rowStride: width, alpha: scale, q + h * dHead, into: scores)
      if let causalOffset {
        Softmax.forward(scores, rows: 1, width: tk, valid: { causalOffset + $0 + 1 })
      } else {
        Softmax.forward(scores, rows: 1, width: tk)
      }
      record?.edit?(h, UnsafeMutableBufferPointer(start: scores, count: tk))
      MatrixVector.multiplyTransposed(
        v + h * dHead, rows: tk, columns: dHead, rowStride: width, scores, into: output + h * dHead)
    }
  }
}

extension Attention {
  /// Queries per block of `forwardInQueryBlocks`: a block's scores (64 × 1500 floats for the
  /// encoder, 384 KB) stay in a core's L2 cache from the product that writes them, through the
  /// softmax, to the product that reads them.
  static let queryBlock = 64

  /// `forward` for `tq > 1`, block by block of queries. Unrecorded, the blocks are split over
  /// the compute threads and each block runs, per head, scores → softmax → values on one thread
  /// while its scores are in cache (a scratch block), instead of writing and re-reading a
  /// `[tq, tk]` matrix per head (9 MB for the encoder) three times.
  ///
  /// Recorded, each block's scores are written into the record (same leading dimension `tk`)
  /// instead of the scratch block, and all blocks' scores are computed before any is applied
  /// to the values, because an edit may read a whole map (the running mean of the causal
  /// ablation does). Either way every block is the same two sgemm calls on the same operands,
  /// so the output is the same bits.
  static func forwardInQueryBlocks(
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    tq: Int, tk: Int, width: Int, heads: Int, causalOffset: Int?, into output: UnsafeMutablePointer<Float>,
    record: Recording? = nil
  ) {
    let dHead = width / heads
    // About a million multiply-adds per chunk at least (2·tk·width per query).
    let minimumQueries = max(queryBlock, (1 << 20) / max(2 * tk * width, 1))
    // Threads take whole blocks, counted from the first query, so that every block is the
    // same pair of sgemm calls whatever the thread count: a BLAS kernel need not give a row
    // the same bits at another position in a call (OpenBLAS's Zen kernels do not).
    let blocks = (tq + queryBlock - 1) / queryBlock
    func probabilities(head h: Int, first: Int, rows: Int, into scores: UnsafeMutablePointer<Float>) {
      blockProbabilities(
        q: q, k: k, tk: tk, width: width, heads: heads, head: h, first: first, rows: rows,
        causalOffset: causalOffset, into: scores)
    }
    // O_h = P V_h for the block's rows, into the head's column block of the output.
    func values(head h: Int, first: Int, rows: Int, from scores: UnsafePointer<Float>) {
      gemmOnThisThread(
        false, false, m: rows, n: dHead, k: tk, scores, lda: tk, v + h * dHead, ldb: width,
        output + first * width + h * dHead, ldc: width)
    }

    guard let record else {
      ComputeThreads.split(blocks, minimumPerChunk: max(1, minimumQueries / queryBlock)) { blockRange in
        let queries = blockRange.lowerBound * queryBlock..<min(tq, blockRange.upperBound * queryBlock)
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: max(min(queryBlock, queries.count) * tk, 1))
        defer { scores.deallocate() }
        for h in 0..<heads {
          for first in stride(from: queries.lowerBound, to: queries.upperBound, by: queryBlock) {
            let rows = min(queryBlock, queries.upperBound - first)
            probabilities(head: h, first: first, rows: rows, into: scores)
            values(head: h, first: first, rows: rows, from: scores)
          }
        }
      }
      return
    }
    // Recorded, the (head, block) pairs are shared out over the threads, not the blocks: a
    // teacher-forced pass has one or two blocks of queries, which would leave a core idle.
    // Each pair is the same calls on whichever thread runs it.
    let map = { (h: Int) in record.probabilities + h * tq * tk }
    func forEachHeadAndBlock(_ body: (_ head: Int, _ first: Int, _ rows: Int) -> Void) {
      let perPair = max(1, 2 * min(queryBlock, tq) * tk * dHead)
      ComputeThreads.split(heads * blocks, minimumPerChunk: max(1, (1 << 20) / perPair)) { pairs in
        for pair in pairs {
          let first = (pair % blocks) * queryBlock
          body(pair / blocks, first, min(queryBlock, tq - first))
        }
      }
    }
    forEachHeadAndBlock { h, first, rows in probabilities(head: h, first: first, rows: rows, into: map(h) + first * tk) }
    if let edit = record.edit {
      for h in 0..<heads { edit(h, UnsafeMutableBufferPointer(start: map(h), count: tq * tk)) }
    }
    forEachHeadAndBlock { h, first, rows in values(head: h, first: first, rows: rows, from: map(h) + first * tk) }
  }

  /// One head's probabilities `P_h = softmax(scale · Q_h K_hᵀ)` `[tq, tk]`, as a recorded
  /// `forward` keeps them, bit for bit (the encoder's backward recomputes them this way when
  /// the tape did not keep them).
  static func probabilities(
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, tq: Int, tk: Int, width: Int, heads: Int, head: Int,
    causalOffset: Int?, into p: UnsafeMutablePointer<Float>
  ) {
    let blocks = (tq + queryBlock - 1) / queryBlock
    ComputeThreads.split(blocks, minimumPerChunk: max(1, (1 << 20) / max(queryBlock * tk * width / heads, 1))) {
      blockRange in
      for block in blockRange {
        let first = block * queryBlock
        blockProbabilities(
          q: q, k: k, tk: tk, width: width, heads: heads, head: head, first: first,
          rows: min(queryBlock, tq - first), causalOffset: causalOffset, into: p + first * tk)
      }
    }
  }

  /// `P = softmax(scale · Q_h K_hᵀ)` for the `rows` queries from `first`, into `scores`
  /// (`[rows, tk]`, leading dimension tk): one sgemm on this thread and the row softmax.
  private static func blockProbabilities(
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, tk: Int, width: Int, heads: Int, head h: Int,
    first: Int, rows: Int, causalOffset: Int?, into scores: UnsafeMutablePointer<Float>
  ) {
    let dHead = width / heads
    gemmOnThisThread(
      false, true, m: rows, n: tk, k: dHead, alpha: 1 / Float(dHead).squareRoot(), q + first * width + h * dHead,
      lda: width, k + h * dHead, ldb: width, scores, ldc: tk)
    if let causalOffset {
      Softmax.forward(scores, rows: rows, width: tk, valid: { causalOffset + first + $0 + 1 })
    } else {
      Softmax.forward(scores, rows: rows, width: tk)
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
