/// LEAF-X exactly as the paper writes it (docs/methods.md, "The paper's LEAF-X"):
///
/// 1. entropy weighting of the heads of every layer's cross- and self-attention, per row;
/// 2. (`-grad`) before that, gradient modulation `A ← rownorm((∂log p(y_t)/∂A ⊙ A)⁺)`,
///    with gradients of the explained token's log-probability, per token;
/// 3. rollout through the chosen depth (Rollout);
/// 4. (`-causal`) causal layer reweighting: `a_t = Σ_l α_l(t) · rownorm(R_si after l)[t]`,
///    `α_l(t) = max(Δ_l(t), 0) / (Σ_l' max(Δ_l'(t), 0) + ε)` (uniform when all Δ ≤ 0), Δ the
///    increase of token t's NLL when layer l's cross-attention output is zeroed.
///
/// Kept unchanged as `leafx-paper*` for comparison: on real Whisper it localises words worse
/// than raw attention (see docs/leafx.md).
enum LeafXPaper {
  /// Base variant: entropy-weighted maps, one rollout shared by every row.
  static func attributions(
    _ trace: AttentionTrace, rows: [Int], layers: Range<Int>, options: ExplainOptions
  ) -> [[Float]] {
    let t = trace.count
    let f = trace.frames
    let selfMaps = layers.map {
      EntropyWeighting.combine(trace.selfAttention[$0], rows: t, width: t, tau: options.tau, epsilon: options.epsilon).map
    }
    let crossMaps = layers.map {
      EntropyWeighting.combine(trace.cross[$0], rows: t, width: f, tau: options.tau, epsilon: options.epsilon).map
    }
    guard let final = Rollout.run(selfMaps: selfMaps, crossMaps: crossMaps, count: t, frames: f).last else {
      return rows.map { _ in [Float](repeating: 0, count: f) }
    }
    return rows.map { Array(final[($0 * f)..<(($0 + 1) * f)]) }
  }

  /// `-grad` and `-causal` for one row: the maps are modulated by that token's gradients.
  /// - Parameters:
  ///   - gradients: ∂log p(y_t)/∂A, cropped like the trace (`[layer][head]` → `[T, F]` / `[T, T]`).
  ///   - ablationDeltas: Δ_l(t) per layer of the whole decoder, or nil for `-grad`.
  static func attribution(
    _ trace: AttentionTrace, row: Int, gradients: CroppedGradients, layers: Range<Int>, options: ExplainOptions,
    ablationDeltas: [Float]?
  ) -> [Float] {
    let t = trace.count
    let f = trace.frames
    var selfMaps: [[Float]] = []
    var crossMaps: [[Float]] = []
    for l in layers {
      let modulatedSelf = zip(trace.selfAttention[l], gradients.selfAttention[l]).map {
        GradientModulation.positivePart($0, $1, rows: t, width: t, normalise: true)
      }
      let modulatedCross = zip(trace.cross[l], gradients.cross[l]).map {
        GradientModulation.positivePart($0, $1, rows: t, width: f, normalise: true)
      }
      selfMaps.append(EntropyWeighting.combine(modulatedSelf, rows: t, width: t, tau: options.tau, epsilon: options.epsilon).map)
      crossMaps.append(EntropyWeighting.combine(modulatedCross, rows: t, width: f, tau: options.tau, epsilon: options.epsilon).map)
    }
    let perLayer = Rollout.run(selfMaps: selfMaps, crossMaps: crossMaps, count: t, frames: f)
    guard let deltas = ablationDeltas else {
      return perLayer.last.map { Array($0[(row * f)..<((row + 1) * f)]) } ?? [Float](repeating: 0, count: f)
    }
    let alpha = CausalReweighting.paperWeights(layers.map { deltas[$0] }, epsilon: options.epsilon)
    var out = [Float](repeating: 0, count: f)
    for (k, r) in perLayer.enumerated() {
      let slice = Array(r[(row * f)..<((row + 1) * f)])
      let total = slice.reduce(0, +)
      guard total > 0 else { continue }
      for j in 0..<f { out[j] += alpha[k] * slice[j] / total }
    }
    return out
  }
}
