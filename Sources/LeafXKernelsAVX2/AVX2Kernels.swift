import LeafXKernels

/// `MatrixVectorKernels` compiled for Haswell (`-target-cpu haswell` in Package.swift: AVX2,
/// 256-bit registers). Call only when `leafx_cpu_supports_avx2()` is 1; LeafXCore's
/// `KernelBuild` chooses once per process. Same bits as `BaselineKernels`.
public enum AVX2Kernels {
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
