/// Raw attention baselines (docs/methods.md, "Baselines"): `raa` is the last decoder layer's
/// cross-attention averaged over heads; `raa-mean` averages every layer and head. No rollout, no
/// gradient.
enum RawAttention {
  /// Row `row` of the mean over the given layers' heads of the raw (uncropped) probabilities,
  /// restricted to the audio frames, `[F]` (renormalised later): heads that put mass on
  /// padding count for less, as in the raw average.
  static func attribution(_ trace: AttentionTrace, row: Int, layers: Range<Int>) -> [Float] {
    let f = trace.frames
    var out = [Float](repeating: 0, count: f)
    out.withUnsafeMutableBufferPointer { o in
      for l in layers {
        for (map, padding) in zip(trace.cross[l], trace.crossPadding[l]) {
          let inside = 1 - padding[row]
          map.withUnsafeBufferPointer { m in
            for j in 0..<f { o[j] += m[row * f + j] * inside }
          }
        }
      }
    }
    return out
  }
}
