/// Several windows through the encoder at once (the perturbation baselines score hundreds
/// of masked copies of one window, docs/methods.md, "Baselines"; docs/design.md, "Performance"):
/// the B windows' rows are stacked, `[B·n_audio_ctx, d]`, so every linear layer and MLP is one
/// sgemm with M = B·n_audio_ctx (the weights are packed once per batch instead of once per window);
/// attention, which mixes rows, runs per window on its block of rows. Each window's output equals
/// `encode(_:)`'s up to float rounding (the same products in a different blocking).
extension WhisperEncoder {
  /// Encodes `mels.count` windows, each `[n_mels, 2·n_audio_ctx]`; returns each `[n_audio_ctx, d]`.
  public func encode(batch mels: [[Float]]) -> [[Float]] {
    let b = mels.count
    guard b > 1 else { return mels.map { encode($0) } }
    let d = dimensions.nAudioState
    let n = dimensions.nAudioCtx
    let rows = b * n
    var x = [Float](repeating: 0, count: rows * d)
    x.withUnsafeMutableBufferPointer { out in
      for (w, mel) in mels.enumerated() {
        let h = stem(mel)
        h.withUnsafeBufferPointer { src in
          positional.withUnsafeBufferPointer { pos in
            let base = w * n * d
            for t in 0..<n {
              for c in 0..<d { out[base + t * d + c] = src[c * n + t] + pos[t * d + c] }
            }
          }
        }
      }
    }
    for block in blocks {
      let normed = block.attentionNorm.forward(x, rows: rows)
      addInPlace(&x, batchedSelfAttention(block.attention, normed, windows: b))
      addInPlace(&x, block.mlp.forward(block.mlpNorm.forward(x, rows: rows), rows: rows))
    }
    let out = finalNorm.forward(x, rows: rows)
    return (0..<b).map { w in Array(out[(w * n * d)..<((w + 1) * n * d)]) }
  }

  /// The conv stem `gelu(conv2(gelu(conv1(mel))))`, `[d, n_audio_ctx]`.
  func stem(_ mel: [Float]) -> [Float] {
    var h = conv1.forward(mel, length: inputFrames)
    h.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    h = conv2.forward(h, length: inputFrames)
    h.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    return h
  }

  /// Projections over all stacked rows, attention within each window's rows.
  private func batchedSelfAttention(_ w: AttentionWeights, _ x: [Float], windows: Int) -> [Float] {
    let n = dimensions.nAudioCtx
    let rows = windows * n
    let width = w.out.inFeatures
    let q = w.query.forward(x, rows: rows)
    let k = w.key.forward(x, rows: rows)
    let v = w.value.forward(x, rows: rows)
    var mixed = [Float](repeating: 0, count: rows * width)
    q.withUnsafeBufferPointer { q in
      k.withUnsafeBufferPointer { k in
        v.withUnsafeBufferPointer { v in
          mixed.withUnsafeMutableBufferPointer { o in
            for window in 0..<windows {
              let offset = window * n * width
              Attention.forward(
                q: q.baseAddress! + offset, k: k.baseAddress! + offset, v: v.baseAddress! + offset, tq: n, tk: n,
                width: width, heads: dimensions.nAudioHead, causalOffset: nil, into: o.baseAddress! + offset)
            }
          }
        }
      }
    }
    return w.out.forward(mixed, rows: rows)
  }
}
