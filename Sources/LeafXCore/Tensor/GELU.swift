#if canImport(Glibc)
  import Glibc
#endif

/// The exact GELU of PyTorch's `nn.GELU()` (and CTranslate2's `Activation.GELU`), used by
/// Whisper's conv stem and MLPs: `gelu(x) = x · Φ(x) = ½ x (1 + erf(x / √2))`.
///
/// `forward` evaluates erf by a rational approximation in 8-lane SIMD (`erf`, below) instead of
/// libm's scalar `erff` (the encoder applies GELU to ~10⁷ values per window), split over
/// `ComputeThreads`; `forwardNaive` with libm's `erff` is the reference the kernel tests use.
public enum GELU {
  typealias Lanes = SIMD8<Float>

  /// In place over `count` values.
  public static func forward(_ values: UnsafeMutablePointer<Float>, count: Int) {
    ComputeThreads.split(count, minimumPerChunk: 1 << 15) { range in
      forwardSerial(values + range.lowerBound, count: range.count)
    }
  }

  static func forwardSerial(_ values: UnsafeMutablePointer<Float>, count: Int) {
    let raw = UnsafeMutableRawPointer(values)
    let full = count / Lanes.scalarCount * Lanes.scalarCount
    var i = 0
    while i < full {
      let x = raw.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
      raw.storeBytes(of: gelu(x), toByteOffset: i * 4, as: Lanes.self)
      i += Lanes.scalarCount
    }
    if i < count {
      // The tail through the same lanes (padded), so every value gets the same arithmetic.
      var x = Lanes()
      for j in i..<count { x[j - i] = values[j] }
      let y = gelu(x)
      for j in i..<count { values[j] = y[j - i] }
    }
  }

  @inline(__always)
  static func gelu(_ x: Lanes) -> Lanes {
    0.5 * x * (1 + erf(x * 0.707_106_781_186_547_52))
  }

  /// `erf(x)` as `x · P(x²) / Q(x²)` on x clamped to [−4, 4] (erf(±4) = ±1 to float precision), with
  /// the degree-6/4 minimax coefficients Eigen's `generic_fast_erf_float` uses; absolute error
  /// below 5e-7 against the exact erf (measured on [−6, 6]), so GELU's absolute error stays
  /// below 1e-6.
  @inline(__always)
  static func erf(_ value: Lanes) -> Lanes {
    // Clamped by compare-and-blend: `clamped(lowerBound:upperBound:)` is an out-of-line call.
    let lowest = Lanes(repeating: -4)
    let highest = Lanes(repeating: 4)
    var x = value.replacing(with: lowest, where: value .< lowest)
    x = x.replacing(with: highest, where: x .> highest)
    let x2 = x * x
    var p = Lanes(repeating: -2.726_142_258_013_06e-10)
    p = p * x2 + 2.770_681_424_959_02e-08
    p = p * x2 + -2.101_024_020_825_08e-06
    p = p * x2 + -5.692_506_394_623_46e-05
    p = p * x2 + -7.349_906_303_268_55e-04
    p = p * x2 + -2.954_599_808_540_25e-03
    p = p * x2 + -1.609_603_332_624_15e-02
    var q = Lanes(repeating: -1.456_607_184_649_96e-05)
    q = q * x2 + -2.133_740_552_789_05e-04
    q = q * x2 + -1.682_826_974_382_03e-03
    q = q * x2 + -7.373_329_167_204_68e-03
    q = q * x2 + -1.426_473_905_141_89e-02
    return x * p / q
  }

  /// Reference of `forward` with libm's `erff` (tests only).
  static func forwardNaive(_ values: UnsafeMutablePointer<Float>, count: Int) {
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

  /// `gelu′` of every value, for backward passes that reuse one forward's slopes.
  public static func derivatives(_ input: [Float]) -> [Float] {
    [Float](unsafeUninitializedCapacity: input.count) { out, initialized in
      input.withUnsafeBufferPointer { x in
        for i in 0..<x.count { out[i] = derivative(x[i]) }
      }
      initialized = input.count
    }
  }

  /// Derivative `Φ(x) + x φ(x)`, for the backward passes.
  public static func derivative(_ x: Float) -> Float {
    let invSqrt2: Float = 0.70710678118654752
    let invSqrt2Pi: Float = 0.39894228040143268
    return 0.5 * (1 + erff(x * invSqrt2)) + x * invSqrt2Pi * expf(-0.5 * x * x)
  }
}
