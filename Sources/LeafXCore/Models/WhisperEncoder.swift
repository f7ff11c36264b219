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
    let n = dimensions.nAudioCtx
    var x = [Float](repeating: 0, count: n * dimensions.nAudioState)
    embed(stem(mel).h, into: &x, window: 0)
    for index in blocks.indices {
      if let shouldStop, shouldStop() { break }
      block(index, &x, windows: 1)
    }
    return finalNorm.forward(x, rows: n)
  }

  /// Several windows through the encoder at once (the perturbation baselines score hundreds
  /// of masked copies of one window, docs/methods.md, "Baselines"; docs/design.md,
  /// "Performance"): the B windows' rows are stacked, `[B·n_audio_ctx, d]`, so every linear
  /// layer and MLP is one sgemm with M = B·n_audio_ctx (the weights are packed once per batch
  /// instead of once per window); attention, which mixes rows, runs per window on its block of
  /// rows. Each window's output equals `encode(_:)`'s up to float rounding (the same products
  /// in a different blocking). Returns each `[n_audio_ctx, d]`.
  public func encode(batch mels: [[Float]]) -> [[Float]] {
    let b = mels.count
    guard b > 1 else { return mels.map { encode($0) } }
    let d = dimensions.nAudioState
    let n = dimensions.nAudioCtx
    var x = [Float](repeating: 0, count: b * n * d)
    for (w, mel) in mels.enumerated() { embed(stem(mel).h, into: &x, window: w) }
    for index in blocks.indices { block(index, &x, windows: b) }
    let out = finalNorm.forward(x, rows: b * n)
    return (0..<b).map { w in Array(out[(w * n * d)..<((w + 1) * n * d)]) }
  }

  // MARK: - The forward code, written once

  // `encode`, `encode(batch:)` and `EncoderTape.record` (Gradients/EncoderTape.swift, whose
  // backward is Gradients/EncoderBackward.swift) all run the stem, `embed` and `block` below;
  // they differ only in how many windows are stacked and whether activations are recorded, so
  // the tape's output is `encode`'s by construction.

  /// The conv stem `gelu(conv2(gelu(conv1(mel))))`, `[d, n_audio_ctx]`; when `recording`, also
  /// the GELU slopes `gelu′(u₁)` `[d, 2n]` and `gelu′(u₂)` `[d, n]` of the two pre-activations
  /// (empty otherwise).
  func stem(_ mel: [Float], recording: Bool = false) -> (h: [Float], conv1Slope: [Float], conv2Slope: [Float]) {
    var h = conv1.forward(mel, length: inputFrames)
    let conv1Slope = recording ? GELU.derivatives(h) : []
    h.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    h = conv2.forward(h, length: inputFrames)
    let conv2Slope = recording ? GELU.derivatives(h) : []
    h.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    return (h, conv1Slope, conv2Slope)
  }

  /// Window `window` of the stacked residual stream: `x[t] = stem[·, t] + positional[t]`
  /// (`[d, n]` → `[n, d]` plus positions).
  func embed(_ stem: [Float], into x: inout [Float], window: Int) {
    let d = dimensions.nAudioState
    let n = dimensions.nAudioCtx
    x.withUnsafeMutableBufferPointer { out in
      stem.withUnsafeBufferPointer { src in
        positional.withUnsafeBufferPointer { pos in
          let base = window * n * d
          for t in 0..<n {
            for c in 0..<d { out[base + t * d + c] = src[c * n + t] + pos[t * d + c] }
          }
        }
      }
    }
  }

  /// Encoder block `index` over `windows` stacked windows of the residual stream, in place:
  /// `x += W_o attn(ln(x));  x += W₂ gelu(W₁ ln(x) + b₁) + b₂`. Projections run over all rows,
  /// attention within each window's rows. `observe` receives each head's probabilities (it
  /// switches `Attention.forward` to its whole-matrix path, with the same bits). When
  /// `recording`, returns what the backward needs; otherwise nil and nothing is copied.
  @discardableResult
  func block(
    _ index: Int, _ x: inout [Float], windows: Int, recording: Bool = false,
    observe: ((_ head: Int, _ probabilities: UnsafeBufferPointer<Float>) -> Void)? = nil
  ) -> EncoderTape.BlockRecord? {
    let n = dimensions.nAudioCtx
    let rows = windows * n
    let block = blocks[index]
    let w = block.attention
    let width = w.out.inFeatures
    let attentionInput = recording ? x : []
    let normed = block.attentionNorm.forward(x, rows: rows)
    let q = w.query.forward(normed, rows: rows)
    let k = w.key.forward(normed, rows: rows)
    let v = w.value.forward(normed, rows: rows)
    var mixed = [Float](repeating: 0, count: rows * width)
    q.withUnsafeBufferPointer { q in
      k.withUnsafeBufferPointer { k in
        v.withUnsafeBufferPointer { v in
          mixed.withUnsafeMutableBufferPointer { o in
            for window in 0..<windows {
              let offset = window * n * width
              Attention.forward(
                q: q.baseAddress! + offset, k: k.baseAddress! + offset, v: v.baseAddress! + offset, tq: n, tk: n,
                width: width, heads: dimensions.nAudioHead, causalOffset: nil, into: o.baseAddress! + offset,
                observe: observe)
            }
          }
        }
      }
    }
    addInPlace(&x, w.out.forward(mixed, rows: rows))

    let mlpInput = recording ? x : []
    var hidden = block.mlp.fc1.forward(block.mlpNorm.forward(x, rows: rows), rows: rows)
    let mlpSlope = recording ? GELU.derivatives(hidden) : []
    hidden.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    addInPlace(&x, block.mlp.fc2.forward(hidden, rows: rows))
    guard recording else { return nil }
    return EncoderTape.BlockRecord(
      attentionInput: attentionInput, query: q, key: k, value: v, mlpInput: mlpInput, mlpSlope: mlpSlope)
  }
}
