import CCPUFeatures
import LeafXKernels
import LeafXKernelsAVX2

#if canImport(Glibc)
  import Glibc
#endif

/// Which compiled copy of the SIMD kernels runs (Sources/LeafXKernels): the one built for
/// baseline x86-64 or the one built for AVX2. Both give the same bits; `MatrixVector` and
/// `Softmax` run `preferred` unless a test passes one explicitly.
public enum KernelBuild: String, Sendable, CaseIterable {
  case baseline, avx2

  /// Whether this CPU and OS can run the AVX2 copy.
  public static let cpuSupportsAVX2 = leafx_cpu_supports_avx2() == 1

  /// The copy this process runs, chosen once: AVX2 when the CPU supports it, unless the
  /// environment variable `LEAFX_KERNELS` is `baseline` (to run the baseline path end to end
  /// on an AVX2 machine, as the tests do, or to rule the kernels out when debugging).
  public static let preferred = choose(cpuSupportsAVX2: cpuSupportsAVX2, setting: getenv("LEAFX_KERNELS").map { String(cString: $0) })

  /// The kernels this CPU can run (tests compare them).
  public static var available: [KernelBuild] { cpuSupportsAVX2 ? [.baseline, .avx2] : [.baseline] }

  /// `LEAFX_KERNELS` = `baseline` forces the baseline copy; `avx2` or unset (or empty) picks
  /// AVX2 when the CPU has it. Any other value is not a choice, so it changes nothing
  /// (`leafx info` shows the copy in use).
  static func choose(cpuSupportsAVX2: Bool, setting: String?) -> KernelBuild {
    setting == KernelBuild.baseline.rawValue || !cpuSupportsAVX2 ? .baseline : .avx2
  }

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
