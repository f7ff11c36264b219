#if canImport(Glibc)
  import Glibc
#endif

/// Numerically stable softmax over rows: `p_j = exp(x_j − max x) / Σ_k exp(x_k − max x)`.
public enum Softmax {
  /// In place over `rows` rows of `width`; in row r only the first `valid(r)` entries take part
  /// (the rest are set to 0): this is how causal masks are applied without −∞ arithmetic.
  public static func forward(
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
