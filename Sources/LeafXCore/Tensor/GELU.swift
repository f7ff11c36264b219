#if canImport(Glibc)
  import Glibc
#endif

/// The exact GELU of PyTorch's `nn.GELU()` (and CTranslate2's `Activation.GELU`), used by
/// Whisper's conv stem and MLPs: `gelu(x) = x · Φ(x) = ½ x (1 + erf(x / √2))`.
public enum GELU {
  /// In place over `count` values.
  public static func forward(_ values: UnsafeMutablePointer<Float>, count: Int) {
    let invSqrt2: Float = 0.70710678118654752
    for i in 0..<count {
      let x = values[i]
      values[i] = 0.5 * x * (1 + erff(x * invSqrt2))
    }
  }

  /// Backward of `forward`: `∂L/∂x_i += ∂L/∂y_i · gelu′(x_i)` with the exact
  /// `gelu′(x) = Φ(x) + x φ(x)`.
  /// - Parameters:
  ///   - input: the forward's input (pre-activation), `count` values.
  ///   - outputGradient: `∂L/∂y`, `count` values.
  ///   - inputGradient: receives `∂L/∂x`, added to what it holds (caller-zeroed).
  public static func backward(
    input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, count: Int,
    into inputGradient: UnsafeMutablePointer<Float>
  ) {
    for i in 0..<count { inputGradient[i] += outputGradient[i] * derivative(input[i]) }
  }

  /// Derivative `Φ(x) + x φ(x)`, for the backward passes.
  public static func derivative(_ x: Float) -> Float {
    let invSqrt2: Float = 0.70710678118654752
    let invSqrt2Pi: Float = 0.39894228040143268
    return 0.5 * (1 + erff(x * invSqrt2)) + x * invSqrt2Pi * expf(-0.5 * x * x)
  }
}
