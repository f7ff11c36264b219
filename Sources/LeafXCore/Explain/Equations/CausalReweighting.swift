/// Causal layer reweighting, LEAF-X step 4 (docs/methods.md, "Causal layer reweighting"): each
/// decoder layer's share of a token's attribution is how much the token's NLL rises when the
/// layer's cross-attention is knocked out,
///
/// ```
/// Δ_l(t) = NLL_t(layer l ablated) − NLL_t(full),   α_l(t) ∝ max(Δ_l(t), 0)
/// ```
enum CausalReweighting {
  /// The paper's layer weights `α_l = max(Δ_l, 0) / (Σ max(Δ, 0) + ε)`, uniform when every
  /// Δ ≤ 0 (`leafx-paper-causal`, with zeroing ablations).
  static func paperWeights(_ deltas: [Float], epsilon: Float) -> [Float] {
    let positive = deltas.map { max($0, 0) }
    let total = positive.reduce(0, +)
    guard total > 0 else { return deltas.map { _ in 1 / Float(max(deltas.count, 1)) } }
    return positive.map { $0 / (total + epsilon) }
  }

  /// The product's layer weights `α_l = max(Δ_l, 0) / Σ max(Δ, 0)`, uniform when not used or
  /// when every Δ ≤ 0; a non-finite Δ counts as 0 (`leafx-causal`, with mean ablations).
  static func weights(_ deltas: [Float], use: Bool) -> [Float] {
    let uniform = [Float](repeating: 1 / Float(max(deltas.count, 1)), count: deltas.count)
    guard use else { return uniform }
    let positive = deltas.map { $0.isFinite ? max($0, 0) : 0 }
    let total = positive.reduce(0, +)
    return total > 0 ? positive.map { $0 / total } : uniform
  }
}

/// Ways of knocking out one decoder layer's cross-attention for the causal layer weights,
/// and the resulting `Δ_l(t) = NLL_t(ablated) − NLL_t(full)`: one teacher-forced pass per
/// layer, every explained token at once.
enum LayerAblation: Hashable, Sendable {
  /// The layer's cross-attention output is zeroed, the residual path kept (docs/methods.md,
  /// "Causal layer reweighting", the paper's check). Measures whether the model still works without
  /// the layer: layer 0 of tiny.en costs ~14 nats per token without localising anything
  /// (docs/leafx.md).
  case zero
  /// Every head of the layer attends uniformly to the window's audio frames (none to
  /// padding): the output keeps its scale but loses where it looked. Also breaks the
  /// attention sinks the model relies on.
  case flatten
  /// Mean ablation (Wang et al. 2022), causal: per head, row t's attention is replaced by the
  /// mean of rows 0…t (prompt included), so Δ_l(t) depends on no later token. What every
  /// position shares (sinks, the padding habit) stays; what is specific to the token (where
  /// it looked) goes. The product LEAF-X's check.
  case mean

  /// `[layer][k]` for the explained `rows` (predicting `targets`) of `input`.
  /// - Parameter reference: the unablated pass over `input`.
  func deltas(
    decoder: WhisperDecoder, input: [Int], audio: WhisperDecoder.AudioContext, audioFrames: Int, rows: [Int],
    targets: [Int], reference: DecoderTape, beforeEachLayer: () throws -> Void = {}
  ) rethrows -> [[Float]] {
    try (0..<decoder.dimensions.nTextLayer).map { layer in
      try beforeEachLayer()
      let ablated: DecoderTape
      switch self {
      case .zero:
        ablated = DecoderTape.record(decoder: decoder, tokens: input, audio: audio, ablatedCrossLayers: [layer])
      case .flatten, .mean:
        let kind = self
        ablated = DecoderTape.record(
          decoder: decoder, tokens: input, audio: audio,
          overrideAttention: { attention, l, _, p in
            guard attention == .crossAttention, l == layer else { return }
            kind.replace(p, width: audio.frames, audioFrames: audioFrames)
          })
      }
      return rows.indices.map { k in
        reference.logProb(row: rows[k], token: targets[k]) - ablated.logProb(row: rows[k], token: targets[k])
      }
    }
  }

  /// Rewrites one head's `[T, width]` probabilities in place.
  private func replace(_ p: UnsafeMutableBufferPointer<Float>, width: Int, audioFrames: Int) {
    switch self {
    case .zero:
      return
    case .flatten:
      let frames = min(audioFrames, width)
      let share = 1 / Float(frames)
      for row in 0..<(p.count / width) {
        for j in 0..<width { p[row * width + j] = j < frames ? share : 0 }
      }
    case .mean:
      // Running sums of rows 0…t, then each row becomes its running mean.
      var sum = [Float](repeating: 0, count: width)
      for row in 0..<(p.count / width) {
        let scale = 1 / Float(row + 1)
        for j in 0..<width {
          sum[j] += p[row * width + j]
          p[row * width + j] = sum[j] * scale
        }
      }
    }
  }
}
