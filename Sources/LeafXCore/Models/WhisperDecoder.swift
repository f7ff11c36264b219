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

  /// What a forward pass can hand back besides logits.
  public struct Observer {
    /// Called per layer and head with the self-attention probabilities `[n, length + n]`.
    public var selfAttention: ((_ layer: Int, _ head: Int, _ p: UnsafeBufferPointer<Float>) -> Void)?
    /// Called per layer and head with the cross-attention probabilities `[n, frames]`.
    public var crossAttention: ((_ layer: Int, _ head: Int, _ p: UnsafeBufferPointer<Float>) -> Void)?
    /// Layers whose cross-attention output is zeroed (residual path kept): the causal
    /// ablation of docs/methods.md, "Causal layer reweighting".
    public var ablatedCrossLayers: Set<Int> = []

    public init(
      selfAttention: ((Int, Int, UnsafeBufferPointer<Float>) -> Void)? = nil,
      crossAttention: ((Int, Int, UnsafeBufferPointer<Float>) -> Void)? = nil,
      ablatedCrossLayers: Set<Int> = []
    ) {
      self.selfAttention = selfAttention
      self.crossAttention = crossAttention
      self.ablatedCrossLayers = ablatedCrossLayers
    }
  }

  /// Runs `tokens` after the cached prefix, appending their keys and values to `cache`.
  /// Returns logits `[rows, n_vocab]` for the last `logitRows` positions (1 for incremental
  /// decoding, `tokens.count` for a teacher-forced pass).
  public func forward(
    _ tokens: [Int], cache: inout Cache, audio: AudioContext, logitRows: Int = 1,
    observer: Observer? = nil
  ) -> [Float] {
    let rows = min(max(logitRows, 0), tokens.count)
    return logits(hidden(tokens, cache: &cache, audio: audio, rows: rows, observer: observer), rows: rows)
  }

  /// The blocks and the final layer norm: `ln(x)` of the last `rows` positions, `[rows, d]`.
  func hidden(_ tokens: [Int], cache: inout Cache, audio: AudioContext, rows: Int, observer: Observer?) -> [Float] {
    let d = dimensions.nTextState
    let n = tokens.count
    let offset = cache.length
    precondition(offset + n <= dimensions.nTextCtx, "decoder context of \(dimensions.nTextCtx) exceeded")
    var x = [Float](repeating: 0, count: n * d)
    x.withUnsafeMutableBufferPointer { out in
      tokenEmbedding.withUnsafeBufferPointer { emb in
        positional.withUnsafeBufferPointer { pos in
          for (i, token) in tokens.enumerated() {
            for c in 0..<d { out[i * d + c] = emb[token * d + c] + pos[(offset + i) * d + c] }
          }
        }
      }
    }
    for (layer, block) in blocks.enumerated() {
      // Causal self-attention over cache + new tokens.
      let normed = block.selfNorm.forward(x, rows: n)
      let q = block.selfAttention.query.forward(normed, rows: n)
      cache.keys[layer] += block.selfAttention.key.forward(normed, rows: n)
      cache.values[layer] += block.selfAttention.value.forward(normed, rows: n)
      let selfObserver = observer?.selfAttention.map { f in { (h: Int, p: UnsafeBufferPointer<Float>) in f(layer, h, p) } }
      let mixed = attend(
        q, cache.keys[layer], cache.values[layer], tq: n, tk: offset + n, causalOffset: offset,
        observe: selfObserver)
      addInPlace(&x, block.selfAttention.out.forward(mixed, rows: n))

      // Cross-attention over the audio.
      let crossQuery = block.crossAttention.query.forward(block.crossNorm.forward(x, rows: n), rows: n)
      let crossObserver = observer?.crossAttention.map { f in { (h: Int, p: UnsafeBufferPointer<Float>) in f(layer, h, p) } }
      let crossMixed: [Float]
      if n == 1 && crossObserver == nil {
        // A decoder step: heads split over the compute threads (equal to `attend`, bit for bit).
        var out = [Float](repeating: 0, count: d)
        crossQuery.withUnsafeBufferPointer { q in
          audio.keys[layer].withUnsafeBufferPointer { k in
            audio.values[layer].withUnsafeBufferPointer { v in
              out.withUnsafeMutableBufferPointer { o in
                Attention.forwardSteps(
                  q: q.baseAddress!, count: 1, k: k.baseAddress!, v: v.baseAddress!, tk: audio.frames, width: d,
                  heads: dimensions.nTextHead, into: o.baseAddress!)
              }
            }
          }
        }
        crossMixed = out
      } else {
        crossMixed = attend(
          crossQuery, audio.keys[layer], audio.values[layer], tq: n, tk: audio.frames, causalOffset: nil,
          observe: crossObserver)
      }
      if !(observer?.ablatedCrossLayers.contains(layer) ?? false) {
        addInPlace(&x, block.crossAttention.out.forward(crossMixed, rows: n))
      }

      addInPlace(&x, block.mlp.forward(block.mlpNorm.forward(x, rows: n), rows: n))
    }
    cache.length += n

    let last = Array(x[((n - rows) * d)...])
    return finalNorm.forward(last, rows: rows)
  }

  /// `[rows, d] · Eᵀ → [rows, n_vocab]`.
  func logits(_ hidden: [Float], rows: Int) -> [Float] {
    let d = dimensions.nTextState
    let vocab = dimensions.nVocab
    var out = [Float](repeating: 0, count: rows * vocab)
    guard rows > 0 else { return out }
    hidden.withUnsafeBufferPointer { h in
      tokenEmbedding.withUnsafeBufferPointer { e in
        out.withUnsafeMutableBufferPointer { o in
          if rows == 1 {
            // A decoder step: E h as a matrix-vector product (sgemm would pack all of E first),
            // the vocabulary split over the compute threads.
            MatrixVector.multiply(
              e.baseAddress!, rows: vocab, columns: d, rowStride: d, vectors: h.baseAddress!, vectorStride: d,
              count: 1, into: o.baseAddress!, outputStride: vocab, threaded: true)
          } else {
            gemm(false, true, m: rows, n: vocab, k: d, h.baseAddress!, lda: d, e.baseAddress!, ldb: d, o.baseAddress!, ldc: vocab)
          }
        }
      }
    }
    return out
  }

  private func attend(
    _ q: [Float], _ k: [Float], _ v: [Float], tq: Int, tk: Int, causalOffset: Int?,
    observe: ((Int, UnsafeBufferPointer<Float>) -> Void)?
  ) -> [Float] {
    let d = dimensions.nTextState
    var out = [Float](repeating: 0, count: tq * d)
    q.withUnsafeBufferPointer { q in
      k.withUnsafeBufferPointer { k in
        v.withUnsafeBufferPointer { v in
          out.withUnsafeMutableBufferPointer { o in
            Attention.forward(
              q: q.baseAddress!, k: k.baseAddress!, v: v.baseAddress!, tq: tq, tk: tk, width: d,
              heads: dimensions.nTextHead, causalOffset: causalOffset, into: o.baseAddress!, observe: observe)
          }
        }
      }
    }
    return out
  }
}
