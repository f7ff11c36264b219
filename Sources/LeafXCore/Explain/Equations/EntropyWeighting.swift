#if canImport(Glibc)
  import Glibc
#endif

/// Entropy-guided head weighting, LEAF-X step 1 (docs/methods.md, "Entropy weighting"), per row and
/// layer:
///
/// ```
/// H_h = −Σ_f A_h[f] · log(A_h[f] + ε)
/// w_h = exp(−H_h / τ) / Σ_h' exp(−H_h' / τ)
/// Ā   = Σ_h w_h A_h
/// ```
/// Focused (low-entropy) heads get more weight. A head whose row is all zero (possible after
/// gradient modulation) gets weight 0; if every head's row is zero, the row of Ā is zero.
public enum EntropyWeighting {
  /// Weighted combination of `maps` (H maps of `[rows, width]`).
  /// - Returns: `(combined [rows, width], weights [rows, H])`.
  public static func combine(
    _ maps: [[Float]], rows: Int, width: Int, tau: Float, epsilon: Float
  ) -> (map: [Float], weights: [Float]) {
    let heads = maps.count
    var combined = [Float](repeating: 0, count: rows * width)
    var weights = [Float](repeating: 0, count: rows * heads)
    var entropy = [Float](repeating: 0, count: heads)
    var alive = [Bool](repeating: false, count: heads)
    for row in 0..<rows {
      for h in 0..<heads {
        let (rowEntropy, mass) = maps[h].withUnsafeBufferPointer { m in
          Self.entropy(UnsafeBufferPointer(rebasing: m[(row * width)..<((row + 1) * width)]), epsilon: epsilon)
        }
        entropy[h] = rowEntropy
        alive[h] = mass > 0
      }
      // Softmax of −H/τ over the live heads, stabilised by the smallest entropy.
      guard let minEntropy = (0..<heads).filter({ alive[$0] }).map({ entropy[$0] }).min() else { continue }
      var total: Float = 0
      for h in 0..<heads where alive[h] {
        let w = expf(-(entropy[h] - minEntropy) / tau)
        weights[row * heads + h] = w
        total += w
      }
      for h in 0..<heads { weights[row * heads + h] /= total }
      combined.withUnsafeMutableBufferPointer { out in
        for h in 0..<heads where alive[h] {
          let w = weights[row * heads + h]
          maps[h].withUnsafeBufferPointer { m in
            let base = row * width
            for f in 0..<width { out[base + f] += w * m[base + f] }
          }
        }
      }
    }
    return (combined, weights)
  }

  /// `H = −Σ_f a_f · log(a_f + ε)` over the positive entries of one row, and the row's mass
  /// `Σ_f a_f`: the entropy every head weighting (the paper's and the product's) starts from.
  @inline(__always)
  static func entropy(_ row: UnsafeBufferPointer<Float>, epsilon: Float) -> (entropy: Float, mass: Float) {
    var entropy: Float = 0
    var mass: Float = 0
    for a in row {
      mass += a
      if a > 0 { entropy -= a * logf(a + epsilon) }
    }
    return (entropy, mass)
  }

  /// The plain mean over heads (the baselines' reduction).
  public static func mean(_ maps: [[Float]], count: Int) -> [Float] {
    var out = [Float](repeating: 0, count: count)
    let scale = 1 / Float(max(maps.count, 1))
    out.withUnsafeMutableBufferPointer { o in
      for map in maps {
        map.withUnsafeBufferPointer { m in
          for i in 0..<count { o[i] += m[i] * scale }
        }
      }
    }
    return out
  }
}
