/// Gradient-weighted rollout, Chefer et al. ICCV 2021's generic rules (docs/methods.md,
/// "Baselines"; the paper's "SaCo" row): per layer, `Ā = mean_h (∂logit(y_t)/∂A ⊙ A)⁺` for cross-
/// and self-attention, rolled out with the same rules as LEAF-X; one rollout per token, with that
/// token's gradients. Unlike LEAF-X's modulation, the maps are not renormalised, so the
/// gradient magnitudes weigh the layers, and the
/// attention is the model's raw probability (not renormalised over the audio frames).
enum GradientRollout {
  static func attribution(_ trace: AttentionTrace, row: Int, gradients: CroppedGradients, layers: Range<Int>) -> [Float] {
    let t = trace.count
    let f = trace.frames
    var selfMaps: [[Float]] = []
    var crossMaps: [[Float]] = []
    for l in layers {
      let s = zip(trace.selfAttention[l], gradients.selfAttention[l]).map {
        GradientModulation.positivePart($0, $1, rows: t, width: t, normalise: false)
      }
      // The model's own (uncropped) probabilities: rows are not renormalised over the audio.
      let c = trace.cross[l].indices.map { h in
        GradientModulation.positivePart(
          trace.rawCross(layer: l, head: h), gradients.cross[l][h], rows: t, width: f, normalise: false)
      }
      selfMaps.append(EntropyWeighting.mean(s, count: t * t))
      crossMaps.append(EntropyWeighting.mean(c, count: t * f))
    }
    guard let final = Rollout.run(selfMaps: selfMaps, crossMaps: crossMaps, count: t, frames: f).last else {
      return [Float](repeating: 0, count: f)
    }
    return Array(final[(row * f)..<((row + 1) * f)])
  }
}
