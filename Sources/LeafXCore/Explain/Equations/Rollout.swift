/// Attention rollout through decoder depth with Chefer et al.'s encoder-decoder rules
/// (ICCV 2021, eqs. 8–11), in the causal orientation of docs/methods.md,
/// "Rollout through the decoder":
///
/// ```
/// R_ss = I (T×T),  R_si = 0 (T×F)                       (R_ii = I: encoder not rolled out)
/// per layer l:  R_ss += S̄_l · R_ss
///               R_si += S̄_l · R_si
///               R_si += R̄_ss · Ā_l · R̄_ii,   R̄ = rownorm(R − I) + I   (zero rows of R − I stay 0)
/// ```
/// Row t of R_si only depends on rows ≤ t of the maps (S̄ is lower-triangular), so token t's
/// attribution ignores every later token. Returns R_si after each layer.
///
/// Priorities: exactness of the rules (they are what the reference implementation checks),
/// then speed (each step is one or two sgemm calls).
public enum Rollout {
  /// - Parameters:
  ///   - selfMaps: per layer `[T, T]` (row-stochastic or any non-negative map).
  ///   - crossMaps: per layer `[T, F]`.
  /// - Returns: per layer, R_si `[T, F]` after that layer.
  public static func run(selfMaps: [[Float]], crossMaps: [[Float]], count t: Int, frames f: Int) -> [[Float]] {
    var rss = [Float](repeating: 0, count: t * t)
    for i in 0..<t { rss[i * t + i] = 1 }
    var rsi = [Float](repeating: 0, count: t * f)
    var perLayer: [[Float]] = []
    var scratchSS = [Float](repeating: 0, count: t * t)
    var scratchSI = [Float](repeating: 0, count: t * f)
    var normalised = [Float](repeating: 0, count: t * t)
    for (s, a) in zip(selfMaps, crossMaps) {
      // R_ss += S̄ · R_ss ;  R_si += S̄ · R_si
      multiply(s, rss, into: &scratchSS, m: t, n: t, k: t)
      add(&rss, scratchSS)
      multiply(s, rsi, into: &scratchSI, m: t, n: f, k: t)
      add(&rsi, scratchSI)
      // R̄_ss = rownorm(R_ss − I) + I
      for i in 0..<t {
        var sum: Float = 0
        for j in 0..<t { sum += rss[i * t + j] - (i == j ? 1 : 0) }
        let scale: Float = sum != 0 ? 1 / sum : 0
        for j in 0..<t { normalised[i * t + j] = (rss[i * t + j] - (i == j ? 1 : 0)) * scale + (i == j ? 1 : 0) }
      }
      // R_si += R̄_ss · Ā
      multiply(normalised, a, into: &scratchSI, m: t, n: f, k: t)
      add(&rsi, scratchSI)
      perLayer.append(rsi)
    }
    return perLayer
  }

  /// `out[m, n] = a[m, k] · b[k, n]`.
  static func multiply(_ a: [Float], _ b: [Float], into out: inout [Float], m: Int, n: Int, k: Int) {
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        out.withUnsafeMutableBufferPointer { o in
          gemm(false, false, m: m, n: n, k: k, a.baseAddress!, lda: k, b.baseAddress!, ldb: n, o.baseAddress!, ldc: n)
        }
      }
    }
  }

  static func add(_ a: inout [Float], _ b: [Float]) {
    a.withUnsafeMutableBufferPointer { x in
      b.withUnsafeBufferPointer { y in
        for i in 0..<x.count { x[i] += y[i] }
      }
    }
  }
}
