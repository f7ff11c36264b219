/// The encoder's layers, written once (docs/design.md, "The Whisper engine"): one window
/// (`encode`), several stacked windows (`encode(batch:)`) and the recorded pass of
/// Gradients/EncoderTape.swift (differentiated by Gradients/EncoderBackward.swift) are all
/// `stem`, `embed`, then `block` per layer and the final norm.
extension WhisperEncoder {
  /// The conv stem `gelu(conv2(gelu(conv1(mel))))`, `[d, n_audio_ctx]`, and, when `slopes` is
  /// set, `gelu′` of both convolutions' pre-activations (`[d, 2n]` and `[d, n]`) for the backward.
  func stem(_ mel: [Float], slopes: Bool = false) -> (h: [Float], conv1Slope: [Float], conv2Slope: [Float]) {
    var h = conv1.forward(mel, length: inputFrames)
    let conv1Slope = slopes ? GELU.derivatives(h) : []
    h.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    h = conv2.forward(h, length: inputFrames)
    let conv2Slope = slopes ? GELU.derivatives(h) : []
    h.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    return (h, conv1Slope, conv2Slope)
  }

  /// Writes window `window`'s rows of `x`: the stem output transposed, plus the positions,
  /// `x[window·n + t, c] = h[c, t] + P[t, c]`.
  func embed(_ h: [Float], window: Int, into x: inout [Float]) {
    let d = dimensions.nAudioState
    let n = dimensions.nAudioCtx
    x.withUnsafeMutableBufferPointer { out in
      h.withUnsafeBufferPointer { src in
        positional.withUnsafeBufferPointer { pos in
          let base = out.baseAddress! + window * n * d
          for t in 0..<n {
            for c in 0..<d { base[t * d + c] = src[c * n + t] + pos[t * d + c] }
          }
        }
      }
    }
  }

  /// One encoder block on `windows` stacked windows' residual stream `x`
  /// (`[windows·n, d]`), in place:
  ///
  /// ```
  /// x += W_o attend(W_q ln(x), W_k ln(x), W_v ln(x))     (within each window's rows)
  /// x += W₂ gelu(W₁ ln(x) + b₁) + b₂
  /// ```
  /// Projections and the MLP run over all stacked rows at once (one sgemm with M = windows·n),
  /// attention per window. With `record` (one window only) it returns what the backward needs,
  /// keeping the attention probabilities when `keepProbabilities` is set.
  func block(
    _ index: Int, _ x: inout [Float], windows: Int, record: Bool = false, keepProbabilities: Bool = false
  ) -> EncoderTape.BlockRecord? {
    precondition(!record || windows == 1, "a recorded encoder pass holds one window")
    let n = dimensions.nAudioCtx
    let rows = windows * n
    let heads = dimensions.nAudioHead
    let weights = blocks[index]
    let w = weights.attention
    let width = w.out.inFeatures
    let attentionInput = record ? x : []
    let normed = weights.attentionNorm.forward(x, rows: rows)
    let q = w.query.forward(normed, rows: rows)
    let k = w.key.forward(normed, rows: rows)
    let v = w.value.forward(normed, rows: rows)
    var mixed = [Float](repeating: 0, count: rows * width)
    var maps = [Float](repeating: 0, count: keepProbabilities ? heads * n * n : 0)
    q.withUnsafeBufferPointer { q in
      k.withUnsafeBufferPointer { k in
        v.withUnsafeBufferPointer { v in
          mixed.withUnsafeMutableBufferPointer { o in
            maps.withUnsafeMutableBufferPointer { maps in
              for window in 0..<windows {
                let offset = window * n * width
                Attention.forward(
                  q: q.baseAddress! + offset, k: k.baseAddress! + offset, v: v.baseAddress! + offset, tq: n, tk: n,
                  width: width, heads: heads, causalOffset: nil, into: o.baseAddress! + offset,
                  record: keepProbabilities ? Attention.Recording(probabilities: maps.baseAddress!) : nil)
              }
            }
          }
        }
      }
    }
    addInPlace(&x, w.out.forward(mixed, rows: rows))
    let mlpInput = record ? x : []
    var hidden = weights.mlp.fc1.forward(weights.mlpNorm.forward(x, rows: rows), rows: rows)
    let mlpSlope = record ? GELU.derivatives(hidden) : []
    hidden.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    addInPlace(&x, weights.mlp.fc2.forward(hidden, rows: rows))
    guard record else { return nil }
    let size = n * n
    return EncoderTape.BlockRecord(
      attentionInput: attentionInput, query: q, key: k, value: v,
      probabilities: keepProbabilities ? (0..<heads).map { Array(maps[($0 * size)..<(($0 + 1) * size)]) } : [],
      mlpInput: mlpInput, mlpSlope: mlpSlope)
  }
}
