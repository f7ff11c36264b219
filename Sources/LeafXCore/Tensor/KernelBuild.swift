import CCPUFeatures
import LeafXKernels
import LeafXKernelsAVX2

/// Which compiled copy of the SIMD kernels runs (Sources/LeafXKernels): the one built for
/// baseline x86-64 or the one built for AVX2. Both give the same bits; `MatrixVector` and
/// `Softmax` run `preferred` unless a test passes one explicitly.
public enum KernelBuild: Sendable, CaseIterable {
  case baseline, avx2

  /// AVX2 when the CPU and OS support it.
  public static let preferred: KernelBuild = leafx_cpu_supports_avx2() == 1 ? .avx2 : .baseline
  /// The kernels this CPU can run (tests compare them).
  public static var available: [KernelBuild] { preferred == .avx2 ? [.baseline, .avx2] : [.baseline] }

  func multiplyRows(
    _ a: UnsafePointer<Float>, rows: Range<Int>, columns n: Int, rowStride: Int, alpha: Float,
    vectors x: UnsafePointer<Float>, vectorStride: Int, count: Int, accumulate: Bool,
    into y: UnsafeMutablePointer<Float>, outputStride: Int
  ) {
    switch self {
    case .baseline:
      BaselineKernels.multiplyRows(
        a, rows: rows, columns: n, rowStride: rowStride, alpha: alpha, vectors: x, vectorStride: vectorStride,
        count: count, accumulate: accumulate, into: y, outputStride: outputStride)
    case .avx2:
      AVX2Kernels.multiplyRows(
        a, rows: rows, columns: n, rowStride: rowStride, alpha: alpha, vectors: x, vectorStride: vectorStride,
        count: count, accumulate: accumulate, into: y, outputStride: outputStride)
    }
  }

  func addTransposed(
    _ a: UnsafePointer<Float>, rows: Range<Int>, columns n: Int, rowStride: Int,
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    switch self {
    case .baseline: BaselineKernels.addTransposed(a, rows: rows, columns: n, rowStride: rowStride, x, into: y)
    case .avx2: AVX2Kernels.addTransposed(a, rows: rows, columns: n, rowStride: rowStride, x, into: y)
    }
  }

  func softmaxRow(_ row: UnsafeMutablePointer<Float>, count n: Int) {
    switch self {
    case .baseline: BaselineKernels.softmaxRow(row, count: n)
    case .avx2: AVX2Kernels.softmaxRow(row, count: n)
    }
  }
}
