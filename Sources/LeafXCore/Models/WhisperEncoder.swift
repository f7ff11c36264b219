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
    var x = [Float](repeating: 0, count: dimensions.nAudioCtx * dimensions.nAudioState)
    embed(stem(mel).h, window: 0, into: &x)
    for index in blocks.indices {
      if let shouldStop, shouldStop() { break }
      _ = block(index, &x, windows: 1)
    }
    return finalNorm.forward(x, rows: dimensions.nAudioCtx)
  }

  /// Several windows through the encoder at once (the perturbation baselines score hundreds
  /// of masked copies of one window, docs/methods.md, "Baselines"; docs/design.md,
  /// "Performance"): the B windows' rows are stacked, `[B·n_audio_ctx, d]`, so every linear
  /// layer and MLP is one sgemm with M = B·n_audio_ctx (the weights are packed once per batch
  /// instead of once per window); attention, which mixes rows, runs per window on its block of
  /// rows. Each window's output equals `encode(_:)`'s up to float rounding (the same products
  /// in a different blocking). `mels` are each `[n_mels, 2·n_audio_ctx]`; returns each
  /// `[n_audio_ctx, d]`.
  public func encode(batch mels: [[Float]]) -> [[Float]] {
    let b = mels.count
    guard b > 1 else { return mels.map { encode($0) } }
    let d = dimensions.nAudioState
    let n = dimensions.nAudioCtx
    var x = [Float](repeating: 0, count: b * n * d)
    for (window, mel) in mels.enumerated() { embed(stem(mel).h, window: window, into: &x) }
    for index in blocks.indices { _ = block(index, &x, windows: b) }
    let out = finalNorm.forward(x, rows: b * n)
    return (0..<b).map { w in Array(out[(w * n * d)..<((w + 1) * n * d)]) }
  }
}
