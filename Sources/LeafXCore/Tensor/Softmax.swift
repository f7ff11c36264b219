#if canImport(Glibc)
  import Glibc
#endif
import LeafXKernels

/// Numerically stable softmax over rows: `p_j = exp(x_j − max x) / Σ_k exp(x_k − max x)`.
///
/// `forward` computes `exp` with `fastExp` (a vectorisable polynomial) and sums in 8 lanes
/// (Sources/LeafXKernels/SoftmaxKernels.swift);
/// `forwardNaive` is the scalar reference with libm's `expf` and one accumulator that the
/// kernel tests compare it against (agreement to a few float32 ulps).
public enum Softmax {
  /// In place over `rows` rows of `width`; in row r only the first `valid(r)` entries take part
  /// (the rest are set to 0): this is how causal masks are applied without −∞ arithmetic.
  public static func forward(
    _ values: UnsafeMutablePointer<Float>, rows: Int, width: Int, valid: (Int) -> Int = { _ in Int.max }
  ) {
    for r in 0..<rows {
      let row = values + r * width
      let n = min(width, valid(r))
      forwardRow(row, count: n)
      for j in n..<width { row[j] = 0 }
    }
  }

  /// One row in place: `SoftmaxKernels.forwardRow` (three passes, 8 lanes, AVX2 when the CPU
  /// has it; KernelBuild).
  static func forwardRow(_ row: UnsafeMutablePointer<Float>, count n: Int, kernels: KernelBuild = .preferred) {
    kernels.softmaxRow(row, count: n)
  }

  /// `SoftmaxKernels.fastExp`, lane by lane equal to the scalar one.
  static func fastExp(_ value: SIMD8<Float>) -> SIMD8<Float> { SoftmaxKernels.fastExp(value) }

  /// `exp(x)` within 2 ulp of libm's `expf` on [−87.3, 88.7] (`SoftmaxKernels.fastExp`).
  static func fastExp(_ x: Float) -> Float { SoftmaxKernels.fastExp(x) }

  /// Scalar reference of `forward` (libm `expf`, one accumulator), for the kernel tests.
  static func forwardNaive(
    _ values: UnsafeMutablePointer<Float>, rows: Int, width: Int, valid: (Int) -> Int = { _ in Int.max }
  ) {
    for r in 0..<rows {
      let row = values + r * width
      let n = min(width, valid(r))
      var peak = -Float.infinity
      for j in 0..<n { peak = max(peak, row[j]) }
      var sum: Float = 0
      for j in 0..<n {
        let e = expf(row[j] - peak)
        row[j] = e
        sum += e
      }
      let scale = 1 / sum
      for j in 0..<n { row[j] *= scale }
      for j in n..<width { row[j] = 0 }
    }
  }

  /// Backward of `forward` (the Jacobian of softmax applied to a row gradient):
  ///
  /// ```
  /// ∂L/∂x_j = p_j · (∂L/∂p_j − Σ_k p_k ∂L/∂p_k)      (j, k < valid(r))
  /// ```
  /// Masked entries (`j ≥ valid(r)`) are constants of the forward and get no gradient.
  /// - Parameters:
  ///   - probabilities: the forward's output, `rows` rows of `width` values, `stride` apart.
  ///   - outputGradient: `∂L/∂p`, same layout.
  ///   - inputGradient: receives `∂L/∂x`, same layout, added to what it holds (caller-zeroed).
  ///   - stride: distance between rows of all three buffers; `width` when nil.
  public static func backward(
    probabilities: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, rows: Int, width: Int,
    stride: Int? = nil, valid: (Int) -> Int = { _ in Int.max }, into inputGradient: UnsafeMutablePointer<Float>
  ) {
    let stride = stride ?? width
    for r in 0..<rows {
      let p = probabilities + r * stride
      let dp = outputGradient + r * stride
      let dx = inputGradient + r * stride
      let n = min(width, valid(r))
      var dot = 0.0
      for j in 0..<n { dot += Double(p[j]) * Double(dp[j]) }
      let centre = Float(dot)
      for j in 0..<n { dx[j] += p[j] * (dp[j] - centre) }
    }
  }

  /// `max x` over `count` values (−∞ when empty).
  public static func maximum(_ row: UnsafePointer<Float>, count: Int) -> Float {
    var peak = -Float.infinity
    for j in 0..<count { peak = max(peak, row[j]) }
    return peak
  }

  /// `Σ exp(x_j − shift)` in Double (libm `expf` per term, as `logSumExp`); 0 when `shift` is −∞
  /// (every term is then −∞ too: an all-masked part).
  public static func sumOfExp(_ row: UnsafePointer<Float>, count: Int, shift: Float) -> Double {
    if shift == -.infinity { return 0 }
    var sum: Double = 0
    for j in 0..<count { sum += Double(expf(row[j] - shift)) }
    return sum
  }

  /// `log(e^a · sa + e^b · sb)`: the log-sum-exp of two parts given as (peak, Σ exp(x − peak)),
  /// e.g. the text and timestamp parts of a vocabulary.
  public static func logAddExp(_ a: Float, _ sa: Double, _ b: Float, _ sb: Double) -> Float {
    let peak = max(a, b)
    if peak == -.infinity { return peak }
    let sum = (a == -.infinity ? 0 : sa * exp(Double(a - peak))) + (b == -.infinity ? 0 : sb * exp(Double(b - peak)))
    return peak + Float(log(sum))
  }

  /// `log Σ exp(x)` of one row, stable.
  public static func logSumExp(_ row: UnsafePointer<Float>, count: Int) -> Float {
    var peak = -Float.infinity
    for j in 0..<count { peak = max(peak, row[j]) }
    if peak == -.infinity { return peak }
    var sum: Double = 0
    for j in 0..<count { sum += Double(expf(row[j] - peak)) }
    return peak + Float(log(sum))
  }
}
