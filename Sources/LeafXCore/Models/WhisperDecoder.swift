/// Whisper's text decoder (docs/design.md, "The Whisper engine"):
///
/// ```
/// x = token_embedding[tokens] + positional[offset ..< offset + n]
/// per block: x += self_attn(ln(x)) (causal, cached keys/values)
///            x += cross_attn(ln(x), audio)  (keys/values of the encoder output)
///            x += mlp(ln(x))
/// logits = ln(x) · token_embeddingᵀ          (tied output projection)
/// ```
public struct WhisperDecoder: Sendable {
  public struct Block: Sendable {
    let selfNorm: LayerNorm
    let selfAttention: AttentionWeights
    let crossNorm: LayerNorm
    let crossAttention: AttentionWeights
    let mlpNorm: LayerNorm
    let mlp: MLPWeights
  }

  public let dimensions: WhisperDimensions
  /// `[n_vocab, d]`: input embedding and (tied) output projection.
  let tokenEmbedding: [Float]
  /// `[n_text_ctx, d]`.
  let positional: [Float]
  let blocks: [Block]
  let finalNorm: LayerNorm

  init(_ checkpoint: WhisperCheckpoint) throws {
    let t = checkpoint.tensors
    dimensions = checkpoint.dimensions
    tokenEmbedding = try tensor(t, "decoder.token_embedding.weight").values
    positional = try tensor(t, "decoder.positional_embedding").values
    blocks = try (0..<dimensions.nTextLayer).map { i in
      let p = "decoder.blocks.\(i)"
      return Block(
        selfNorm: try layerNorm(t, "\(p).attn_ln"), selfAttention: try AttentionWeights(t, prefix: "\(p).attn"),
        crossNorm: try layerNorm(t, "\(p).cross_attn_ln"),
        crossAttention: try AttentionWeights(t, prefix: "\(p).cross_attn"),
        mlpNorm: try layerNorm(t, "\(p).mlp_ln"), mlp: try MLPWeights(t, prefix: p))
    }
    finalNorm = try layerNorm(t, "decoder.ln")
  }

  /// Cross-attention keys and values of one encoded window, per layer `[n_audio_ctx, d]`:
  /// computed once per window and shared by every hypothesis decoded from it.
  public struct AudioContext: Sendable {
    public let keys: [[Float]]
    public let values: [[Float]]
    public let frames: Int
  }

  public func audioContext(_ encoded: [Float]) -> AudioContext {
    let frames = encoded.count / dimensions.nTextState
    return AudioContext(
      keys: blocks.map { $0.crossAttention.key.forward(encoded, rows: frames) },
      values: blocks.map { $0.crossAttention.value.forward(encoded, rows: frames) },
      frames: frames)
  }

  /// Self-attention keys and values of the tokens decoded so far, per layer `[length, d]`.
  public struct Cache: Sendable {
    public var keys: [[Float]]
    public var values: [[Float]]
    public var length: Int

    public init(layers: Int) {
      keys = Array(repeating: [], count: layers)
      values = Array(repeating: [], count: layers)
      length = 0
    }
  }

  /// Runs `tokens` after the cached prefix, appending their keys and values to `cache`.
  /// Returns logits `[rows, n_vocab]` for the last `logitRows` positions (1 for incremental
  /// decoding, `tokens.count` for a teacher-forced pass).
  public func forward(_ tokens: [Int], cache: inout Cache, audio: AudioContext, logitRows: Int = 1) -> [Float] {
    let rows = min(max(logitRows, 0), tokens.count)
    let x = sequence(tokens, cache: &cache, audio: audio, recording: nil).x
    let d = dimensions.nTextState
    return logits(finalNorm.forward(Array(x[((tokens.count - rows) * d)...]), rows: rows), rows: rows)
  }

  /// The blocks over `tokens` as consecutive positions after the cache's prefix: the residual
  /// stream after the last block `[n, d]`, and per layer what the backward needs when recorded.
  func sequence(
    _ tokens: [Int], cache: inout Cache, audio: AudioContext, recording: Recording?
  ) -> (x: [Float], layers: [DecoderTape.LayerRecord]) {
    let n = tokens.count
    let offset = cache.length
    precondition(offset + n <= dimensions.nTextCtx, "decoder context of \(dimensions.nTextCtx) exceeded")
    precondition(recording == nil || offset == 0, "a recorded pass starts from an empty cache")
    var x = embed(tokens) { offset + $0 }
    var layers: [DecoderTape.LayerRecord] = []
    for layer in blocks.indices {
      let record = block(layer, &x, rows: n, kernels: .sequence, audio: audio, recording: recording) {
        layer, q, k, v, record in
        // Causal self-attention over the cached prefix and the new rows.
        cache.keys[layer] += k
        cache.values[layer] += v
        var mixed = [Float](repeating: 0, count: n * dimensions.nTextState)
        q.withUnsafeBufferPointer { q in
          cache.keys[layer].withUnsafeBufferPointer { k in
            cache.values[layer].withUnsafeBufferPointer { v in
              mixed.withUnsafeMutableBufferPointer { o in
                Attention.forward(
                  q: q.baseAddress!, k: k.baseAddress!, v: v.baseAddress!, tq: n, tk: offset + n,
                  width: dimensions.nTextState, heads: dimensions.nTextHead, causalOffset: offset,
                  into: o.baseAddress!, record: record)
              }
            }
          }
        }
        return mixed
      }
      if let record { layers.append(record) }
    }
    cache.length += n
    return (x, layers)
  }
}
