/// One incremental decoder step of all live hypotheses of a beam search at once:
///
/// ```
/// X[b] = token_embedding[tokens[b]] + positional[length]               X [B, d]
/// per block: X += self_attn(ln(X))   (row b against its own slot of the BeamCache)
///            X += cross_attn(ln(X), audio)   (all rows against the window's keys/values)
///            X += mlp(ln(X))
/// logits = ln(X) · token_embeddingᵀ                                    [B, n_vocab]
/// ```
/// Every weight matrix, the audio keys/values and the output projection (the largest matrix of
/// the decoder) are streamed once per step for all B rows instead of once per row, and the
/// products are split over `ComputeThreads`. Row b is bit for bit what
/// `forward([tokens[b]], cache:, audio:)` returns for slot b's hypothesis alone: the batched
/// kernels compute each output element with the same sums (tested in TensorKernelTests).
extension WhisperDecoder {
  /// Runs `tokens[b]` after the prefix held in slot `slots[b]` of `cache`, appends its keys and
  /// values to that slot, and returns logits `[tokens.count, n_vocab]`. Slots must be distinct.
  public func step(_ tokens: [Int], slots: [Int], cache: inout BeamCache, audio: AudioContext) -> [Float] {
    precondition(tokens.count == slots.count, "step: one slot per token")
    precondition(Set(slots).count == slots.count, "step: slots must be distinct")
    let count = tokens.count
    let d = dimensions.nTextState
    let offset = cache.length
    precondition(offset + 1 <= min(dimensions.nTextCtx, cache.capacity), "decoder context exceeded")
    var x = [Float](repeating: 0, count: count * d)
    x.withUnsafeMutableBufferPointer { out in
      tokenEmbedding.withUnsafeBufferPointer { emb in
        positional.withUnsafeBufferPointer { pos in
          for (b, token) in tokens.enumerated() {
            for c in 0..<d { out[b * d + c] = emb[token * d + c] + pos[offset * d + c] }
          }
        }
      }
    }
    let slotSize = cache.capacity * d
    for (layer, block) in blocks.enumerated() {
      // Causal self-attention: row b against its slot, after appending its key and value.
      let normed = block.selfNorm.forward(x, rows: count)
      let q = block.selfAttention.query.forwardSteps(normed, rows: count)
      let k = block.selfAttention.key.forwardSteps(normed, rows: count)
      let v = block.selfAttention.value.forwardSteps(normed, rows: count)
      var mixed = [Float](repeating: 0, count: count * d)
      cache.keys[layer].withUnsafeMutableBufferPointer { keys in
        cache.values[layer].withUnsafeMutableBufferPointer { values in
          q.withUnsafeBufferPointer { q in
            mixed.withUnsafeMutableBufferPointer { mixed in
              for b in 0..<count {
                let slotKeys = keys.baseAddress! + slots[b] * slotSize
                let slotValues = values.baseAddress! + slots[b] * slotSize
                for c in 0..<d {
                  slotKeys[offset * d + c] = k[b * d + c]
                  slotValues[offset * d + c] = v[b * d + c]
                }
                Attention.forward(
                  q: q.baseAddress! + b * d, k: slotKeys, v: slotValues, tq: 1, tk: offset + 1, width: d,
                  heads: dimensions.nTextHead, causalOffset: offset, into: mixed.baseAddress! + b * d)
              }
            }
          }
        }
      }
      addInPlace(&x, block.selfAttention.out.forwardSteps(mixed, rows: count))

      // Cross-attention: all rows against the same audio keys and values.
      let crossQuery = block.crossAttention.query.forwardSteps(block.crossNorm.forward(x, rows: count), rows: count)
      var crossMixed = [Float](repeating: 0, count: count * d)
      crossQuery.withUnsafeBufferPointer { q in
        audio.keys[layer].withUnsafeBufferPointer { k in
          audio.values[layer].withUnsafeBufferPointer { v in
            crossMixed.withUnsafeMutableBufferPointer { o in
              Attention.forwardSteps(
                q: q.baseAddress!, count: count, k: k.baseAddress!, v: v.baseAddress!, tk: audio.frames, width: d,
                heads: dimensions.nTextHead, into: o.baseAddress!)
            }
          }
        }
      }
      addInPlace(&x, block.crossAttention.out.forwardSteps(crossMixed, rows: count))

      var hidden = block.mlp.fc1.forwardSteps(block.mlpNorm.forward(x, rows: count), rows: count)
      hidden.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
      addInPlace(&x, block.mlp.fc2.forwardSteps(hidden, rows: count))
    }
    cache.length += 1

    let normed = finalNorm.forward(x, rows: count)
    let vocab = dimensions.nVocab
    var out = [Float](repeating: 0, count: count * vocab)
    normed.withUnsafeBufferPointer { h in
      tokenEmbedding.withUnsafeBufferPointer { e in
        out.withUnsafeMutableBufferPointer { o in
          MatrixVector.multiply(
            e.baseAddress!, rows: vocab, columns: d, rowStride: d, vectors: h.baseAddress!, vectorStride: d,
            count: count, into: o.baseAddress!, outputStride: vocab, threaded: true)
        }
      }
    }
    return out
  }
}
