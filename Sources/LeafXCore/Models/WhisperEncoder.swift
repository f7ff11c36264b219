/// Whisper's audio encoder (docs/design.md, "The Whisper engine"):
///
/// ```
/// x = gelu(conv1(mel));  x = gelu(conv2(x))          (stride 2: 3000 → 1500 frames)
/// x = xᵀ + positional                                  [n_audio_ctx, d]
/// per block: x += attn(ln(x));  x += mlp(ln(x))        (pre-LN)
/// out = ln_post(x)
/// ```
public struct WhisperEncoder: Sendable {
  public struct Block: Sendable {
    let attentionNorm: LayerNorm
    let attention: AttentionWeights
    let mlpNorm: LayerNorm
    let mlp: MLPWeights
  }

  public let dimensions: WhisperDimensions
  let conv1: Conv1D
  let conv2: Conv1D
  /// `[n_audio_ctx, d]`.
  let positional: [Float]
  let blocks: [Block]
  let finalNorm: LayerNorm

  init(_ checkpoint: WhisperCheckpoint) throws {
    let t = checkpoint.tensors
    dimensions = checkpoint.dimensions
    conv1 = Conv1D(weight: try tensor(t, "encoder.conv1.weight"), bias: try tensor(t, "encoder.conv1.bias"), stride: 1)
    conv2 = Conv1D(weight: try tensor(t, "encoder.conv2.weight"), bias: try tensor(t, "encoder.conv2.bias"), stride: 2)
    positional = try tensor(t, "encoder.positional_embedding").values
    blocks = try (0..<dimensions.nAudioLayer).map { i in
      let p = "encoder.blocks.\(i)"
      return Block(
        attentionNorm: try layerNorm(t, "\(p).attn_ln"), attention: try AttentionWeights(t, prefix: "\(p).attn"),
        mlpNorm: try layerNorm(t, "\(p).mlp_ln"), mlp: try MLPWeights(t, prefix: p))
    }
    finalNorm = try layerNorm(t, "encoder.ln_post")
  }

  /// Number of mel frames one window holds (3000 for every released Whisper).
  public var inputFrames: Int { dimensions.nAudioCtx * 2 }

  /// Encodes one window: `mel` is `[n_mels, 2·n_audio_ctx]` row-major; returns
  /// `[n_audio_ctx, d]`. `shouldStop` is polled before each block (a quarter of the pass on
  /// tiny); once it returns true the rest is skipped and the output is meaningless: the
  /// caller must discard it.
  public func encode(_ mel: [Float], shouldStop: (() -> Bool)? = nil) -> [Float] {
    let d = dimensions.nAudioState
    let frames = inputFrames
    var h = conv1.forward(mel, length: frames)
    h.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    h = conv2.forward(h, length: frames)
    h.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    let n = dimensions.nAudioCtx
    // [d, n] → [n, d] plus positions.
    var x = [Float](repeating: 0, count: n * d)
    x.withUnsafeMutableBufferPointer { out in
      h.withUnsafeBufferPointer { src in
        positional.withUnsafeBufferPointer { pos in
          for t in 0..<n {
            for c in 0..<d { out[t * d + c] = src[c * n + t] + pos[t * d + c] }
          }
        }
      }
    }
    for block in blocks {
      if let shouldStop, shouldStop() { break }
      let normed = block.attentionNorm.forward(x, rows: n)
      addInPlace(&x, selfAttention(block.attention, normed, rows: n, heads: dimensions.nAudioHead))
      addInPlace(&x, block.mlp.forward(block.mlpNorm.forward(x, rows: n), rows: n))
    }
    return finalNorm.forward(x, rows: n)
  }

  private func selfAttention(_ w: AttentionWeights, _ x: [Float], rows: Int, heads: Int) -> [Float] {
    let q = w.query.forward(x, rows: rows)
    let k = w.key.forward(x, rows: rows)
    let v = w.value.forward(x, rows: rows)
    var mixed = [Float](repeating: 0, count: rows * w.out.inFeatures)
    q.withUnsafeBufferPointer { q in
      k.withUnsafeBufferPointer { k in
        v.withUnsafeBufferPointer { v in
          mixed.withUnsafeMutableBufferPointer { o in
            Attention.forward(
              q: q.baseAddress!, k: k.baseAddress!, v: v.baseAddress!, tq: rows, tk: rows,
              width: w.out.inFeatures, heads: heads, causalOffset: nil, into: o.baseAddress!)
          }
        }
      }
    }
    return w.out.forward(mixed, rows: rows)
  }
}
