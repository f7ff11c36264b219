// Transformer Attribution (docs/methods.md, "Baselines", `ta`): Chefer, Gur, Wolf, "Transformer
// Interpretability Beyond Attention Visualization", CVPR 2021, eqs. 13–14 (per layer
// `Ā = E_h[(∇A ⊙ R_A)⁺]`, then rollout), adapted to Whisper's decoder. AN ADAPTATION, not the
// paper's full LRP:
//
// What the paper does: R_A is the LRP relevance of each attention map, obtained by one
// relevance pass from the output down through every layer (LRP-αβ with α = 1, β = 0 on linear
// layers, the identity through layer norm, GELU and softmax, proportional splits at residual
// additions, and, at the product `O = A V`, LRP-0 with both A and V as inputs, each getting
// half of the relevance). ∇A is the gradient of the class logit.
//
// What leafx does, per explained token t, layer l and head h (cross- and self-attention alike):
// ```
// ∇A_h = ∂ logit(y_t) / ∂A_h                     (the exact decoder backward, as grad-rollout)
// R_O  = O ⊙ ∂ logit(y_t) / ∂O                    (gradient × input at the head outputs
//                                                   O = [A_1 V_1 … A_H V_H], before W_o)
// R_A[i, j] = Σ_c A_ij V⁺_jc / Z⁺_ic · R_O[i, c],  Z⁺_ic = Σ_j' A_ij' V⁺_j'c
//                                                  (the z⁺ rule, i.e. LRP-αβ with α = 1, β = 0,
//                                                   for the value product, V as the weights)
// Ā_l = mean_h (∇A_h ⊙ R_A,h)⁺,   then Rollout.run with the same rules as grad-rollout
// ```
// Departures from the paper, and why:
// 1. R_O is gradient × input rather than relevance propagated by LRP rules through the layers
//    above. Through the linear and residual paths LRP-0 and gradient × input coincide (Ancona
//    et al., ICLR 2018); they differ at layer norms, GELUs and the softmaxes of the layers
//    above, which the paper's implementation passes relevance through unchanged. A full LRP
//    pass through Whisper's decoder (pre-LN residual blocks, cross-attention, tied output
//    projection) is a separate engine; this keeps the two-ingredient structure (gradient ×
//    relevance of the map) at the cost of one backward pass per token.
// 2. At `O = A V` the value vectors are treated as the weights of a linear layer whose input is
//    A, with the z⁺ rule the paper applies to linear layers. With R_O = O ⊙ ∂O, the paper's
//    LRP-0 split would give `R_A = ½ A ⊙ ∇A` exactly, and `Ā = ½ mean_h A ⊙ (∇A)²` would be
//    non-negative everywhere (the positive-part filter would filter nothing); the z⁺ rule
//    credits only frames whose values push the output's channels up, so ∇A ⊙ R_A keeps a sign.
//    No halving: a per-layer constant that only rescales the rollout.
// 3. Maps are cropped to the audio frames after the products (as grad-rollout: the model's raw
//    probabilities, rows not renormalised).
//
// Priorities: a documented, deterministic adaptation first; then speed (one decoder backward
// per token, as grad-rollout; head outputs and V⁺ are computed once per window).

enum TransformerAttribution {
  /// Per-window values shared by every token: per layer the head outputs `O` `[T, d]` and the
  /// positive parts of the values `V⁺`, for cross-attention (`[F_total, d]`) and self-attention
  /// (`[T, d]`).
  struct Shared {
    var crossOutput: [[Float]]
    var crossPositiveValues: [[Float]]
    var selfOutput: [[Float]]
    var selfPositiveValues: [[Float]]

    init(tape: DecoderTape, audio: WhisperDecoder.AudioContext) {
      let t = tape.count
      let total = tape.frames
      crossPositiveValues = audio.values.map { $0.map { max($0, 0) } }
      selfPositiveValues = tape.records.map { $0.value.map { max($0, 0) } }
      crossOutput = (0..<tape.layers).map { l in
        headProducts(tape.crossAttention[l], audio.values[l], rows: t, keys: total, width: tape.width)
      }
      selfOutput = (0..<tape.layers).map { l in
        headProducts(tape.selfAttention[l], tape.records[l].value, rows: t, keys: t, width: tape.width)
      }
    }
  }

  /// Unnormalised attributions of every explained token of `window`.
  static func attributions(_ window: EngineWindow, frames f: Int, layers: Range<Int>) -> [[Float]] {
    attributions(
      decoder: window.model.decoder, tape: window.tape, audio: window.audio, rows: window.rows, targets: window.targets,
      frames: f, layers: layers)
  }

  /// Unnormalised attributions `[k][f]` (the first `f` audio frames) of `targets[k]`, predicted
  /// by `rows[k]` of the recorded `tape`.
  static func attributions(
    decoder: WhisperDecoder, tape: DecoderTape, audio: WhisperDecoder.AudioContext, rows: [Int], targets: [Int],
    frames f: Int, layers: Range<Int>
  ) -> [[Float]] {
    let shared = Shared(tape: tape, audio: audio)
    let t = tape.count
    let total = tape.frames
    return zip(rows, targets).map { row, token in
      let backward = tape.gradientsOfLogit(
        row: row, token: token, decoder: decoder, audio: audio, outputs: .attentionOutputs)
      var selfMaps: [[Float]] = []
      var crossMaps: [[Float]] = []
      for l in layers {
        let crossRelevance = relevance(
          maps: tape.crossAttention[l], positiveValues: shared.crossPositiveValues[l], outputs: shared.crossOutput[l],
          outputGradient: backward.crossOutput![l], rows: row + 1, keys: total, width: tape.width)
        let selfRelevance = relevance(
          maps: tape.selfAttention[l], positiveValues: shared.selfPositiveValues[l], outputs: shared.selfOutput[l],
          outputGradient: backward.selfOutput![l], rows: row + 1, keys: t, width: tape.width)
        crossMaps.append(headMean(backward.crossAttention[l], crossRelevance, rows: t, stride: total, columns: f))
        selfMaps.append(headMean(backward.selfAttention[l], selfRelevance, rows: t, stride: t, columns: t))
      }
      guard let final = Rollout.run(selfMaps: selfMaps, crossMaps: crossMaps, count: t, frames: f).last else {
        return [Float](repeating: 0, count: f)
      }
      return Array(final[(row * f)..<((row + 1) * f)])
    }
  }

  /// `R_A,h` `[T, keys]` per head (rows ≥ `rows` stay 0) by the z⁺ rule at `O_h = A_h V_h`:
  ///
  /// ```
  /// Z⁺ = A_h V⁺_h,   S = (O_h ⊙ ∂O_h) / Z⁺  (0 where Z⁺ = 0),   R_A,h = A_h ⊙ (S V⁺_hᵀ)
  /// ```
  static func relevance(
    maps: [[Float]], positiveValues: [Float], outputs: [Float], outputGradient: [Float], rows: Int, keys: Int,
    width: Int
  ) -> [[Float]] {
    let heads = maps.count
    let dHead = width / heads
    var z = [Float](repeating: 0, count: rows * dHead)
    var s = [Float](repeating: 0, count: rows * dHead)
    return maps.enumerated().map { h, a in
      var r = [Float](repeating: 0, count: a.count)
      a.withUnsafeBufferPointer { a in
        positiveValues.withUnsafeBufferPointer { v in
          z.withUnsafeMutableBufferPointer { z in
            s.withUnsafeMutableBufferPointer { s in
              r.withUnsafeMutableBufferPointer { r in
                let vh = v.baseAddress! + h * dHead
                gemm(false, false, m: rows, n: dHead, k: keys, a.baseAddress!, lda: keys, vh, ldb: width, z.baseAddress!, ldc: dHead)
                for i in 0..<rows {
                  for c in 0..<dHead {
                    let index = i * width + h * dHead + c
                    let denominator = z[i * dHead + c]
                    s[i * dHead + c] = denominator > 0 ? outputs[index] * outputGradient[index] / denominator : 0
                  }
                }
                gemm(false, true, m: rows, n: keys, k: dHead, s.baseAddress!, lda: dHead, vh, ldb: width, r.baseAddress!, ldc: keys)
                for index in 0..<(rows * keys) { r[index] *= a[index] }
              }
            }
          }
        }
      }
      return r
    }
  }

  /// `mean_h (∇A_h ⊙ R_A,h)⁺` on the first `columns` of rows `stride` apart → `[T, columns]`.
  static func headMean(_ gradients: [[Float]], _ relevance: [[Float]], rows: Int, stride: Int, columns: Int) -> [Float] {
    var out = [Float](repeating: 0, count: rows * columns)
    let scale = 1 / Float(max(gradients.count, 1))
    for (g, r) in zip(gradients, relevance) {
      for i in 0..<rows {
        for j in 0..<columns { out[i * columns + j] += max(g[i * stride + j] * r[i * stride + j], 0) * scale }
      }
    }
    return out
  }

  /// `O = [A_1 V_1 … A_H V_H]` `[rows, width]` from per-head maps `[rows, keys]` and `V` `[keys, width]`.
  static func headProducts(_ maps: [[Float]], _ values: [Float], rows: Int, keys: Int, width: Int) -> [Float] {
    let dHead = width / maps.count
    var out = [Float](repeating: 0, count: rows * width)
    values.withUnsafeBufferPointer { v in
      out.withUnsafeMutableBufferPointer { o in
        for (h, a) in maps.enumerated() {
          a.withUnsafeBufferPointer { a in
            gemm(
              false, false, m: rows, n: dHead, k: keys, a.baseAddress!, lda: keys, v.baseAddress! + h * dHead, ldb: width,
              o.baseAddress! + h * dHead, ldc: width)
          }
        }
      }
    }
    return out
  }
}
