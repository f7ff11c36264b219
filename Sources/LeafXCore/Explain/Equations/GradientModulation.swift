/// Gradients of one explained token with respect to the attention probabilities, cropped to
/// the trace's audio frames: `[layer][head]` → `[T, F]` (cross) and `[T, T]` (self).
public struct CroppedGradients: Sendable {
  public var cross: [[[Float]]]
  public var selfAttention: [[[Float]]]
}

/// Gradient × attention, positive part (Chefer et al. 2021; LEAF-X step 2):
///
/// ```
/// M = (G ⊙ A)⁺                         grad-rollout (then averaged over heads)
/// M = rownorm((G ⊙ A)⁺)                leafx-paper-grad (then entropy-weighted)
/// ```
/// A zero row stays zero (no NaN).
enum GradientModulation {
  static func positivePart(_ a: [Float], _ g: [Float], rows: Int, width: Int, normalise: Bool) -> [Float] {
    var out = [Float](repeating: 0, count: rows * width)
    a.withUnsafeBufferPointer { a in
      g.withUnsafeBufferPointer { g in
        out.withUnsafeMutableBufferPointer { o in
          for r in 0..<rows {
            var sum: Float = 0
            for j in 0..<width {
              let v = max(a[r * width + j] * g[r * width + j], 0)
              o[r * width + j] = v
              sum += v
            }
            if normalise && sum > 0 {
              let scale = 1 / sum
              for j in 0..<width { o[r * width + j] *= scale }
            }
          }
        }
      }
    }
    return out
  }
}
