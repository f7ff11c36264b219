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
    return logits(hidden(tokens, cache: &cache, audio: audio, rows: rows), rows: rows)
  }

  /// The blocks and the final layer norm: `ln(x)` of the last `rows` positions, `[rows, d]`.
  /// The positions are one sequence: keys come from `cache` plus the new rows, products run on
  /// the sequence kernels (`DecoderKernels.sequence`). `ablatedCrossLayers` zeroes those
  /// layers' cross-attention output, as `DecoderTape.record` does (tests compare the two).
  func hidden(
    _ tokens: [Int], cache: inout Cache, audio: AudioContext, rows: Int, ablatedCrossLayers: Set<Int> = []
  ) -> [Float] {
    let d = dimensions.nTextState
    let n = tokens.count
    let offset = cache.length
    precondition(offset + n <= dimensions.nTextCtx, "decoder context of \(dimensions.nTextCtx) exceeded")
    var x = embed(tokens, position: offset, positionStride: 1)
    for layer in blocks.indices {
      block(
        layer, &x, rows: n, kernels: .sequence, keepsCrossOutput: !ablatedCrossLayers.contains(layer),
        selfAttention: { q, k, v in
          // Causal self-attention over cache + new tokens.
          cache.keys[layer] += k
          cache.values[layer] += v
          return attend(q, cache.keys[layer], cache.values[layer], tq: n, tk: offset + n, causalOffset: offset)
        },
        crossAttention: { query in
          // One row is a decoder step: heads split over the compute threads (the same bits as
          // `attend`, tested in TensorKernelTests).
          n == 1
            ? crossAttentionSteps(query, rows: 1, layer: layer, audio: audio)
            : attend(query, audio.keys[layer], audio.values[layer], tq: n, tk: audio.frames, causalOffset: nil)
        })
    }
    cache.length += n

    let last = Array(x[((n - rows) * d)...])
    return finalNorm.forward(last, rows: rows)
  }

  /// `[rows, d] · Eᵀ → [rows, n_vocab]`.
  func logits(_ hidden: [Float], rows: Int, kernels: DecoderKernels = .sequence) -> [Float] {
    let d = dimensions.nTextState
    let vocab = dimensions.nVocab
    var out = [Float](repeating: 0, count: rows * vocab)
    guard rows > 0 else { return out }
    hidden.withUnsafeBufferPointer { h in
      tokenEmbedding.withUnsafeBufferPointer { e in
        out.withUnsafeMutableBufferPointer { o in
          if rows == 1 || kernels == .steps {
            // Decoder steps: E h as matrix-vector products (sgemm would pack all of E first),
            // E streamed once for all rows, the vocabulary split over the compute threads.
            MatrixVector.multiply(
              e.baseAddress!, rows: vocab, columns: d, rowStride: d, vectors: h.baseAddress!, vectorStride: d,
              count: rows, into: o.baseAddress!, outputStride: vocab, threaded: true)
          } else {
            gemm(false, true, m: rows, n: vocab, k: d, h.baseAddress!, lda: d, e.baseAddress!, ldb: d, o.baseAddress!, ldc: vocab)
          }
        }
      }
    }
    return out
  }

  /// `Attention.forward` over arrays, `[tq, d]`.
  func attend(_ q: [Float], _ k: [Float], _ v: [Float], tq: Int, tk: Int, causalOffset: Int?) -> [Float] {
    let d = dimensions.nTextState
    var out = [Float](repeating: 0, count: tq * d)
    q.withUnsafeBufferPointer { q in
      k.withUnsafeBufferPointer { k in
        v.withUnsafeBufferPointer { v in
          out.withUnsafeMutableBufferPointer { o in
            Attention.forward(
              q: q.baseAddress!, k: k.baseAddress!, v: v.baseAddress!, tq: tq, tk: tk, width: d,
              heads: dimensions.nTextHead, causalOffset: causalOffset, into: o.baseAddress!)
          }
        }
      }
    }
    return out
  }
}
