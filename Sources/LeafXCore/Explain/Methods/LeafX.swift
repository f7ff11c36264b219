#if canImport(Glibc)
  import Glibc
#endif

/// The product's LEAF-X: the paper's four ideas, each changed where it broke on real
/// Whisper (evidence and ablations in docs/leafx.md; `leafx diagnose` shows it per token).
///
/// For explained row t and each decoder layer l of the depth (default: the last third,
/// ⌈L/3⌉ layers: where the cross-attention follows the current word):
///
/// 1. Entropy-guided, padding- and sink-aware head weighting (docs/methods.md, "Entropy weighting",
///    plus two factors): `w_h ∝ (1 − pad_h[t]) · (1 − sink_h[t]) · exp(−H_h[t] / τ)`,
///    `Ā_l[t] = Σ_h w_h A_h[t]`, with H the entropy of the head's row over the audio frames, pad_h[t] the share
///    of its raw row on padding, and `sink_h[t] = Σ_f min_{explained rows r ≤ t} A_h[r, f]` the
///    part of the row the head has given every token so far (0 for the first token). A head that
///    looks at padding, or at the same frames whatever the word (an attention sink: base's
///    layer-5 head 2 has sink mass 0.64 and the lowest entropy, so plain entropy weighting
///    gives it 43 % of the layer), is not looking at this word, however focused.
/// 2. (`-grad`) Gradient modulation that keeps magnitudes: the head weights are also
///    multiplied by the head's positive relevance `ρ_h = Σ_f (∂log p(y_t)/∂A_h ⊙ A_h)⁺[t, f]`,
///    so heads whose attention helps the prediction count more; the paper's row
///    renormalisation of `(G ⊙ A)⁺` discarded exactly this magnitude.
/// 3. Rollout across depth without doubling: each layer's term is renormalised before the
///    terms are combined, `a_t = Σ_l α_l(t) · rownorm(Ā_l)[t]`. The paper's rollout adds
///    `S̄ R_si` to itself at every layer, so layer 0 (which looks at padding and a sink)
///    enters with weight 2^(L−1); and rule 10's cross-token paths import the prompt's and
///    other words' cross-attention into the token (measured: both cost localisation). The
///    self-attention paths are therefore the residual ones (identity).
/// 4. (`-causal`) Causal layer reweighting by mean ablation: `α_l(t) ∝ max(Δ_l(t), 0)` with
///    Δ_l(t) the increase of token t's NLL when, per head, row t of layer l's cross-attention
///    is replaced by the mean of rows 0…t (LayerAblation.mean): what the
///    token loses when the layer no longer knows *where* to look, instead of the paper's
///    zeroing, which measures that the model breaks without the layer. Uniform otherwise.
/// 5. Encoder positions on the audio's time axis: the combined map, over encoder positions,
///    is spread over the 20 ms frames each position hears (EncoderFootprint: the conv
///    stem's and the STFT window's receptive field), instead of reading position j as frame
///    j, which is half a frame late and one frame wide.
enum LeafX {
  /// Which of the parts run (the ablation rows of docs/leafx.md switch them off one by one).
  struct Recipe: Sendable, Equatable {
    var entropyHeads = true
    var gradient = false
    var causal = false
    /// Encoder positions spread over the frames they hear (EncoderFootprint), not read as frames.
    var footprint = true
  }

  /// Attributions of every explained row over the trace's audio frames.
  /// - Parameters:
  ///   - gradients: ∂log p(y_k)/∂A of explained token k, cropped like the trace (called only
  ///     when `recipe.gradient`).
  ///   - deltas: mean-ablation Δ_l(k), `[layer][k]` (needed when `recipe.causal`).
  static func attributions(
    _ trace: AttentionTrace, rows: [Int], layers: Range<Int>, recipe: Recipe, options: ExplainOptions,
    gradients: (Int) throws -> CroppedGradients?, deltas: [[Float]]?
  ) rethrows -> [[Float]] {
    let sinks = layers.map { sinkMass(trace, layer: $0, rows: rows) }
    return try rows.indices.map { k in
      try attribution(
        trace, row: rows[k], layers: layers, recipe: recipe, options: options,
        gradients: recipe.gradient ? gradients(k) : nil, deltas: deltas.map { d in d.map { $0[k] } },
        sinkMass: sinks.map { perHead in perHead.map { $0[k] } })
    }
  }

  /// `sink_h[k] = Σ_f min_{k' ≤ k} A_h[rows[k'], f]` for one layer, `[head][k]`; 0 for k = 0.
  static func sinkMass(_ trace: AttentionTrace, layer l: Int, rows: [Int]) -> [[Float]] {
    let f = trace.frames
    return trace.cross[l].map { map in
      var runningMin = [Float](repeating: 0, count: f)
      var out = [Float](repeating: 0, count: rows.count)
      map.withUnsafeBufferPointer { a in
        for (k, row) in rows.enumerated() {
          var total: Float = 0
          for j in 0..<f {
            let value = a[row * f + j]
            runningMin[j] = k == 0 ? value : min(runningMin[j], value)
            total += runningMin[j]
          }
          out[k] = k == 0 ? 0 : total
        }
      }
      return out
    }
  }

  /// Attribution of one explained row over the trace's audio frames.
  /// - Parameters:
  ///   - gradients: ∂log p(y_k)/∂A cropped like the trace (needed when `recipe.gradient`).
  ///   - deltas: mean-ablation Δ_l(k) per decoder layer (needed when `recipe.causal`).
  ///   - sinkMass: per layer of `layers`, per head, the row's sink mass (`sinkMass(_:layer:rows:)`).
  static func attribution(
    _ trace: AttentionTrace, row: Int, layers: Range<Int>, recipe: Recipe, options: ExplainOptions,
    gradients: CroppedGradients?, deltas: [Float]?, sinkMass: [[Float]]? = nil
  ) -> [Float] {
    let f = trace.frames
    var out = [Float](repeating: 0, count: f)
    guard !layers.isEmpty else { return out }
    let alpha = CausalReweighting.weights(layers.map { deltas?[$0] ?? 0 }, use: recipe.causal && deltas != nil)
    for (index, l) in layers.enumerated() {
      let weights = headWeights(
        trace, layer: l, row: row, recipe: recipe, options: options, gradients: gradients, sinkMass: sinkMass?[index])
      var term = [Float](repeating: 0, count: f)
      for (h, w) in weights.enumerated() where w > 0 {
        trace.cross[l][h].withUnsafeBufferPointer { a in
          for j in 0..<f { term[j] += w * a[row * f + j] }
        }
      }
      let total = term.reduce(0, +)
      guard total > 0 else { continue }
      let scale = alpha[index] / total
      for j in 0..<f { out[j] += scale * term[j] }
    }
    return recipe.footprint ? EncoderFootprint.project(out) : out
  }

  /// Head weights of one row and layer, summing to 1 (all 0 when no head has audio mass).
  static func headWeights(
    _ trace: AttentionTrace, layer l: Int, row: Int, recipe: Recipe, options: ExplainOptions, gradients: CroppedGradients?,
    sinkMass: [Float]? = nil
  ) -> [Float] {
    let f = trace.frames
    let heads = trace.heads
    var scores = [Float](repeating: 0, count: heads)
    var entropies = [Float](repeating: 0, count: heads)
    for h in 0..<heads {
      let (entropy, mass) = trace.cross[l][h].withUnsafeBufferPointer { a in
        EntropyWeighting.entropy(UnsafeBufferPointer(rebasing: a[(row * f)..<((row + 1) * f)]), epsilon: options.epsilon)
      }
      entropies[h] = entropy
      scores[h] = mass > 0 ? (1 - trace.crossPadding[l][h][row]) * max(0, 1 - (sinkMass?[h] ?? 0)) : 0
    }
    if recipe.entropyHeads {
      // exp(−H/τ) relative to the smallest entropy, for range.
      let smallest = entropies.min() ?? 0
      for h in 0..<heads { scores[h] *= expf(-(entropies[h] - smallest) / options.tau) }
    }
    if recipe.gradient, let gradients {
      for h in 0..<heads {
        var relevance: Float = 0
        trace.cross[l][h].withUnsafeBufferPointer { a in
          gradients.cross[l][h].withUnsafeBufferPointer { g in
            for j in 0..<f { relevance += max(a[row * f + j] * g[row * f + j], 0) }
          }
        }
        scores[h] *= relevance
      }
    }
    let total = scores.reduce(0, +)
    guard total > 0 else {
      // No head helps (e.g. every relevance is 0): fall back to the unmodulated weights.
      if recipe.gradient {
        var plain = recipe
        plain.gradient = false
        return headWeights(trace, layer: l, row: row, recipe: plain, options: options, gradients: nil, sinkMass: sinkMass)
      }
      return scores
    }
    return scores.map { $0 / total }
  }
}
