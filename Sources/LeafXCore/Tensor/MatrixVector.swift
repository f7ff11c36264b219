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
/// SIMD. The naive versions beside them are the references of the kernel tests.
public enum MatrixVector {
  typealias Lanes = SIMD8<Float>

  /// `y[0 ..< m] = α · A x (+ y)`.
  public static func multiply(
    _ a: UnsafePointer<Float>, rows m: Int, columns n: Int, rowStride: Int, alpha: Float = 1,
    _ x: UnsafePointer<Float>, accumulate: Bool = false, into y: UnsafeMutablePointer<Float>
  ) {
    for i in 0..<m {
      let value = alpha * dot(a + i * rowStride, x, n)
      y[i] = accumulate ? y[i] + value : value
    }
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
    into y: UnsafeMutablePointer<Float>, outputStride: Int, threaded: Bool = false
  ) {
    let rows = { (range: Range<Int>) in
      for i in range {
        let row = a + i * rowStride
        for b in 0..<count {
          let value = alpha * dot(row, x + b * vectorStride, n)
          let out = y + b * outputStride + i
          out.pointee = accumulate ? out.pointee + value : value
        }
      }
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
    into y: UnsafeMutablePointer<Float>, outputStride: Int
  ) {
    if count == 1 {
      multiplyTransposed(a, rows: m, columns: n, rowStride: rowStride, x, into: y)
      return
    }
    for b in 0..<count { (y + b * outputStride).update(repeating: 0, count: n) }
    let block = 64
    var start = 0
    while start < m {
      let end = min(m, start + block)
      for b in 0..<count {
        addTransposed(a, rows: start..<end, columns: n, rowStride: rowStride, x + b * vectorStride, into: y + b * outputStride)
      }
      start = end
    }
  }

  /// `y[0 ..< n] = xᵀ A`, i.e. `Σ_i x_i · row_i(A)` (y is overwritten).
  public static func multiplyTransposed(
    _ a: UnsafePointer<Float>, rows m: Int, columns n: Int, rowStride: Int,
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    y.update(repeating: 0, count: n)
    addTransposed(a, rows: 0..<m, columns: n, rowStride: rowStride, x, into: y)
  }

  /// `y[0 ..< n] += Σ_{i ∈ rows} x_i · row_i(A)`, summed row after row onto y's value, so a
  /// split of the rows into consecutive ranges gives the same bits as one range.
  @inline(__always)
  static func addTransposed(
    _ a: UnsafePointer<Float>, rows: Range<Int>, columns n: Int, rowStride: Int,
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    let full = n / Lanes.scalarCount * Lanes.scalarCount
    let out = UnsafeMutableRawPointer(y)
    // Column blocks of 32 kept in registers across all rows.
    var c = 0
    while c + 32 <= full {
      var s0 = out.loadUnaligned(fromByteOffset: c * 4, as: Lanes.self)
      var s1 = out.loadUnaligned(fromByteOffset: c * 4 + 32, as: Lanes.self)
      var s2 = out.loadUnaligned(fromByteOffset: c * 4 + 64, as: Lanes.self)
      var s3 = out.loadUnaligned(fromByteOffset: c * 4 + 96, as: Lanes.self)
      for i in rows {
        let row = UnsafeRawPointer(a + i * rowStride + c)
        let w = Lanes(repeating: x[i])
        s0 += w * row.loadUnaligned(fromByteOffset: 0, as: Lanes.self)
        s1 += w * row.loadUnaligned(fromByteOffset: 32, as: Lanes.self)
        s2 += w * row.loadUnaligned(fromByteOffset: 64, as: Lanes.self)
        s3 += w * row.loadUnaligned(fromByteOffset: 96, as: Lanes.self)
      }
      out.storeBytes(of: s0, toByteOffset: c * 4, as: Lanes.self)
      out.storeBytes(of: s1, toByteOffset: c * 4 + 32, as: Lanes.self)
      out.storeBytes(of: s2, toByteOffset: c * 4 + 64, as: Lanes.self)
      out.storeBytes(of: s3, toByteOffset: c * 4 + 96, as: Lanes.self)
      c += 32
    }
    while c < full {
      var s = out.loadUnaligned(fromByteOffset: c * 4, as: Lanes.self)
      for i in rows {
        s += Lanes(repeating: x[i]) * UnsafeRawPointer(a + i * rowStride + c).loadUnaligned(as: Lanes.self)
      }
      out.storeBytes(of: s, toByteOffset: c * 4, as: Lanes.self)
      c += Lanes.scalarCount
    }
    for j in full..<n {
      var s = y[j]
      for i in rows { s += x[i] * a[i * rowStride + j] }
      y[j] = s
    }
  }

  /// `Σ_j a_j b_j` over `n` values, in two 8-lane accumulators.
  @inline(__always)
  static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    var s0 = Lanes()
    var s1 = Lanes()
    var j = 0
    while j + 16 <= n {
      s0 += ra.loadUnaligned(fromByteOffset: j * 4, as: Lanes.self) * rb.loadUnaligned(fromByteOffset: j * 4, as: Lanes.self)
      s1 += ra.loadUnaligned(fromByteOffset: j * 4 + 32, as: Lanes.self)
        * rb.loadUnaligned(fromByteOffset: j * 4 + 32, as: Lanes.self)
      j += 16
    }
    var sum = (s0 + s1).sum()
    while j < n {
      sum += a[j] * b[j]
      j += 1
    }
    return sum
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
