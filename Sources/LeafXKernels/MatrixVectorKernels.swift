/// The bodies of the decoder-step matrix-vector kernels (LeafXCore's `MatrixVector`), as
/// `@inlinable` functions so that each kernel module instantiates them for its own target
/// CPU: `BaselineKernels` below for the package's default x86-64 (SSE2), `AVX2Kernels`
/// (module LeafXKernelsAVX2) for Haswell and later. The source and the order of every
/// floating-point operation are the same in both, and no multiply-add is fused, so the two
/// give the same bits; AVX2 does each 8-lane operation in one instruction instead of two.
public enum MatrixVectorKernels {
  public typealias Lanes = SIMD8<Float>

  /// `Σ_j a_j b_j` over `n` values, in two 8-lane accumulators.
  @inlinable @inline(__always)
  public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
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

  /// `Y[b, i] = α · dot(A[i], X[b]) (+ Y[b, i])` for the rows `i ∈ rows` and `count` vectors.
  @inlinable @inline(__always)
  public static func multiplyRows(
    _ a: UnsafePointer<Float>, rows: Range<Int>, columns n: Int, rowStride: Int, alpha: Float,
    vectors x: UnsafePointer<Float>, vectorStride: Int, count: Int, accumulate: Bool,
    into y: UnsafeMutablePointer<Float>, outputStride: Int
  ) {
    for i in rows {
      let row = a + i * rowStride
      for b in 0..<count {
        let value = alpha * dot(row, x + b * vectorStride, n)
        let out = y + b * outputStride + i
        out.pointee = accumulate ? out.pointee + value : value
      }
    }
  }

  /// `y[0 ..< n] += Σ_{i ∈ rows} x_i · row_i(A)`, summed row after row onto y's value, so a
  /// split of the rows into consecutive ranges gives the same bits as one range.
  @inlinable @inline(__always)
  public static func addTransposed(
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
}

/// The kernels compiled for the package's default target CPU: what runs when the CPU has
/// no AVX2.
public enum BaselineKernels {
  @inline(never)
  public static func multiplyRows(
    _ a: UnsafePointer<Float>, rows: Range<Int>, columns n: Int, rowStride: Int, alpha: Float,
    vectors x: UnsafePointer<Float>, vectorStride: Int, count: Int, accumulate: Bool,
    into y: UnsafeMutablePointer<Float>, outputStride: Int
  ) {
    MatrixVectorKernels.multiplyRows(
      a, rows: rows, columns: n, rowStride: rowStride, alpha: alpha, vectors: x, vectorStride: vectorStride,
      count: count, accumulate: accumulate, into: y, outputStride: outputStride)
  }

  @inline(never)
  public static func addTransposed(
    _ a: UnsafePointer<Float>, rows: Range<Int>, columns n: Int, rowStride: Int,
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    MatrixVectorKernels.addTransposed(a, rows: rows, columns: n, rowStride: rowStride, x, into: y)
  }

  @inline(never)
  public static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count n: Int) {
    SoftmaxKernels.forwardRow(row, count: n)
  }
}
