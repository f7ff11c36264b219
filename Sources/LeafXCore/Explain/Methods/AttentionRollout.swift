/// Attention rollout (Abnar & Zuidema 2020, with Chefer's encoder-decoder rule 10; docs/methods.md,
/// "Baselines"): the mean-head self- and cross-attention of each layer rolled out through depth.
/// The same rules as LEAF-X without its entropy weighting or gradients.
enum AttentionRollout {
  static func attributions(_ trace: AttentionTrace, rows: [Int], layers: Range<Int>) -> [[Float]] {
    let t = trace.count
    let f = trace.frames
    let selfMaps = layers.map { EntropyWeighting.mean(trace.selfAttention[$0], count: t * t) }
    let crossMaps = layers.map { EntropyWeighting.mean(trace.cross[$0], count: t * f) }
    guard let final = Rollout.run(selfMaps: selfMaps, crossMaps: crossMaps, count: t, frames: f).last else {
      return rows.map { _ in [Float](repeating: 0, count: f) }
    }
    return rows.map { Array(final[($0 * f)..<(($0 + 1) * f)]) }
  }
}
