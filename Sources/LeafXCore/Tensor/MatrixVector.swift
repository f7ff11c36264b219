/// Matrix-vector products of one decoder step (one query row), on the calling thread:
///
/// ```
/// multiply:            y_i  = α · Σ_j A[i, j] x_j  (+ y_i when accumulating)     A [m, n]
/// multiplyTransposed:  y_j  = Σ_i x_i A[i, j]                                     A [m, n]
/// ```
/// `A` is row-major with rows `rowStride` apart (≥ n), so a head's column block of a `[T, d]`
/// matrix is addressed in place.
///
/// Why not `cblas_sgemm`/`cblas_sgemv`: for one row sgemm first copies (packs) the whole
/// matrix, and OpenBLAS's sgemv hands these small products (a few hundred thousand
/// multiply-adds, called thousands of times per window) to its thread pool, whose wake-ups and
/// `sched_yield`s then cost more than the arithmetic. These loops stream `A` once, in 8-lane
/// SIMD (module LeafXKernels), compiled twice: for AVX2 when the CPU has it, else for
/// baseline x86-64; both give the same bits. The naive versions beside them are the
/// references of the kernel tests.
public enum MatrixVector {
  /// `y[0 ..< m] = α · A x (+ y)`.
  public static func multiply(
    _ a: UnsafePointer<Float>, rows m: Int, columns n: Int, rowStride: Int, alpha: Float = 1,
    _ x: UnsafePointer<Float>, accumulate: Bool = false, into y: UnsafeMutablePointer<Float>,
    kernels: KernelBuild = .preferred
  ) {
    kernels.multiplyRows(
      a, rows: 0..<m, columns: n, rowStride: rowStride, alpha: alpha, vectors: x, vectorStride: n, count: 1,
      accumulate: accumulate, into: y, outputStride: m)
  }

  /// `Y[b, i] = α · Σ_j A[i, j] X[b, j] (+ Y[b, i])` for `count` vectors at once: vector b
  /// starts at `x + b·vectorStride`, its result at `y + b·outputStride`. Each row of A is loaded
  /// once and used for every vector, and row b of Y equals `multiply` of vector b bit for bit
  /// (same dot, same α, same accumulation), so batched beams decode exactly as single ones.
  /// With `threaded`, the rows of A are split over `ComputeThreads` (each output element is
  /// still one `dot`, so the result does not depend on the thread count).
  public static func multiply(
    _ a: UnsafePointer<Float>, rows m: Int, columns n: Int, rowStride: Int, alpha: Float = 1,
    vectors x: UnsafePointer<Float>, vectorStride: Int, count: Int, accumulate: Bool = false,
    into y: UnsafeMutablePointer<Float>, outputStride: Int, threaded: Bool = false, kernels: KernelBuild = .preferred
  ) {
    let rows = { (range: Range<Int>) in
      kernels.multiplyRows(
        a, rows: range, columns: n, rowStride: rowStride, alpha: alpha, vectors: x, vectorStride: vectorStride,
        count: count, accumulate: accumulate, into: y, outputStride: outputStride)
    }
    if threaded {
      // ~64k multiply-adds per chunk at least: below that a pool wake-up costs more than it saves.
      ComputeThreads.split(m, minimumPerChunk: max(1, 65_536 / max(n * count, 1)), rows)
    } else {
      rows(0..<m)
    }
  }

  /// `Y[b, 0 ..< n] = X[b]ᵀ A` for `count` vectors (`X[b]` of `m` values at `x + b·vectorStride`,
  /// `Y[b]` at `y + b·outputStride`, overwritten). A is read in blocks of rows that stay in the
  /// L1 cache while every vector uses them; each output element is the same sequential sum over
  /// rows as `multiplyTransposed` of that vector alone, bit for bit.
  public static func multiplyTransposed(
    _ a: UnsafePointer<Float>, rows m: Int, columns n: Int, rowStride: Int,
    vectors x: UnsafePointer<Float>, vectorStride: Int, count: Int,
    into y: UnsafeMutablePointer<Float>, outputStride: Int, kernels: KernelBuild = .preferred
  ) {
    if count == 1 {
      multiplyTransposed(a, rows: m, columns: n, rowStride: rowStride, x, into: y, kernels: kernels)
      return
    }
    for b in 0..<count { (y + b * outputStride).update(repeating: 0, count: n) }
    let block = 64
    var start = 0
    while start < m {
      let end = min(m, start + block)
      for b in 0..<count {
        kernels.addTransposed(
          a, rows: start..<end, columns: n, rowStride: rowStride, x + b * vectorStride, into: y + b * outputStride)
      }
      start = end
    }
  }

  /// `y[0 ..< n] = xᵀ A`, i.e. `Σ_i x_i · row_i(A)` (y is overwritten).
  public static func multiplyTransposed(
    _ a: UnsafePointer<Float>, rows m: Int, columns n: Int, rowStride: Int,
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, kernels: KernelBuild = .preferred
  ) {
    y.update(repeating: 0, count: n)
    kernels.addTransposed(a, rows: 0..<m, columns: n, rowStride: rowStride, x, into: y)
  }

  /// Reference of `multiply` by loops in Double (tests only).
  static func multiplyNaive(
    _ a: [Float], rows m: Int, columns n: Int, rowStride: Int, alpha: Float = 1, _ x: [Float]
  ) -> [Float] {
    (0..<m).map { i in
      var s = 0.0
      for j in 0..<n { s += Double(a[i * rowStride + j]) * Double(x[j]) }
      return Float(Double(alpha) * s)
    }
  }

  /// Reference of `multiplyTransposed` by loops in Double (tests only).
  static func multiplyTransposedNaive(_ a: [Float], rows m: Int, columns n: Int, rowStride: Int, _ x: [Float])
    -> [Float]
  {
    (0..<n).map { j in
      var s = 0.0
      for i in 0..<m { s += Double(x[i]) * Double(a[i * rowStride + j]) }
      return Float(s)
    }
  }
}
