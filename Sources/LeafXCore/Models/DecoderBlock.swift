// The decoder's forward code, written once: the embedding and one block. Every pass runs it:
// `WhisperDecoder.hidden` (a sequence after a cached prefix), `WhisperDecoder.step` (one row per
// beam hypothesis, each against its own BeamCache slot) and `DecoderTape.record` (a
// teacher-forced sequence, recorded for the backward of Gradients/DecoderBackward.swift). The
// callers differ only in where self-attention keys come from and how attention is computed
// (the closures), which kernels the projections run (`DecoderKernels`) and whether the block's
// activations are recorded; so the tape's logits are the engine's by construction
// (docs/design.md, "Attention trace"; docs/methods.md, "Gradient modulation").

/// The kernels of a decoder pass's projections.
enum DecoderKernels: Sendable {
  /// The rows are positions of one sequence: `Linear.forward` (one sgemm over all rows; the
  /// matrix-vector product for a single row).
  case sequence
  /// The rows are independent decoder steps (beam hypotheses): `Linear.forwardSteps` streams
  /// each weight matrix once for all rows, and row r is bit for bit `forward` of row r alone.
  case steps
}

extension WhisperDecoder {
  /// `x[i] = token_embedding[tokens[i]] + positional[position + i · positionStride]`, `[n, d]`:
  /// stride 1 for a sequence, 0 for beam rows that all sit at the same position.
  func embed(_ tokens: [Int], position: Int, positionStride: Int) -> [Float] {
    let d = dimensions.nTextState
    var x = [Float](repeating: 0, count: tokens.count * d)
    x.withUnsafeMutableBufferPointer { out in
      tokenEmbedding.withUnsafeBufferPointer { emb in
        positional.withUnsafeBufferPointer { pos in
          for (i, token) in tokens.enumerated() {
            let p = (position + i * positionStride) * d
            for c in 0..<d { out[i * d + c] = emb[token * d + c] + pos[p + c] }
          }
        }
      }
    }
    return x
  }

  /// Decoder block `layer` over the `n` rows of the residual stream `x`, in place:
  ///
  /// ```
  /// x += W_o selfAttention(Q, K, V)       Q, K, V = projections of ln(x)
  /// x += W'_o crossAttention(Q')          Q' = projection of ln(x)   (skipped when not kept)
  /// x += W₂ gelu(W₁ ln(x) + b₁) + b₂
  /// ```
  /// - Parameters:
  ///   - kernels: the projections' kernels.
  ///   - keepsCrossOutput: false zeroes the cross-attention output while keeping the residual
  ///     path (docs/methods.md, "Causal layer reweighting").
  ///   - recording: return what the backward needs (`DecoderTape.LayerRecord`); otherwise nil
  ///     and no activation is copied.
  ///   - selfAttention: `(Q, K, V) → O` `[n, d]`; it owns the keys (a cache, beam slots or
  ///     just K).
  ///   - crossAttention: `Q' → O'` `[n, d]` over the window's audio keys and values.
  @discardableResult
  func block(
    _ layer: Int, _ x: inout [Float], rows n: Int, kernels: DecoderKernels, keepsCrossOutput: Bool = true,
    recording: Bool = false,
    selfAttention: (_ q: [Float], _ k: [Float], _ v: [Float]) -> [Float],
    crossAttention: (_ query: [Float]) -> [Float]
  ) -> DecoderTape.LayerRecord? {
    let block = blocks[layer]
    func project(_ linear: Linear, _ input: [Float]) -> [Float] {
      kernels == .steps ? linear.forwardSteps(input, rows: n) : linear.forward(input, rows: n)
    }
    // Recorded inputs are copies taken only when recording (copy on write at the next `+=`).
    let selfInput = recording ? x : []
    let normed = block.selfNorm.forward(x, rows: n)
    let q = project(block.selfAttention.query, normed)
    let k = project(block.selfAttention.key, normed)
    let v = project(block.selfAttention.value, normed)
    addInPlace(&x, project(block.selfAttention.out, selfAttention(q, k, v)))

    let crossInput = recording ? x : []
    let crossQuery = project(block.crossAttention.query, block.crossNorm.forward(x, rows: n))
    let crossMixed = crossAttention(crossQuery)
    if keepsCrossOutput {
      addInPlace(&x, project(block.crossAttention.out, crossMixed))
    }

    let mlpInput = recording ? x : []
    var hidden = project(block.mlp.fc1, block.mlpNorm.forward(x, rows: n))
    let preActivation = recording ? hidden : []
    hidden.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    addInPlace(&x, project(block.mlp.fc2, hidden))
    guard recording else { return nil }
    return DecoderTape.LayerRecord(
      selfInput: selfInput, query: q, key: k, value: v, crossInput: crossInput, mlpInput: mlpInput,
      mlpHidden: preActivation, crossQuery: crossQuery)
  }

  /// Cross-attention of `rows` independent single queries over layer `layer`'s audio keys and
  /// values (`Attention.forwardSteps`: heads split over the compute threads), `[rows, d]`.
  func crossAttentionSteps(_ query: [Float], rows: Int, layer: Int, audio: AudioContext) -> [Float] {
    let d = dimensions.nTextState
    var out = [Float](repeating: 0, count: rows * d)
    query.withUnsafeBufferPointer { q in
      audio.keys[layer].withUnsafeBufferPointer { k in
        audio.values[layer].withUnsafeBufferPointer { v in
          out.withUnsafeMutableBufferPointer { o in
            Attention.forwardSteps(
              q: q.baseAddress!, count: rows, k: k.baseAddress!, v: v.baseAddress!, tk: audio.frames, width: d,
              heads: dimensions.nTextHead, into: o.baseAddress!)
          }
        }
      }
    }
    return out
  }
}
