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
    var x = embed(tokens) { _ in offset }
    let slotSize = cache.capacity * d
    for layer in blocks.indices {
      _ = block(layer, &x, rows: count, kernels: .steps, audio: audio, recording: nil) { layer, q, k, v, _ in
        // Causal self-attention: row b against its slot, after appending its key and value.
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
        return mixed
      }
    }
    cache.length += 1
    return logits(finalNorm.forward(x, rows: count), rows: count, kernels: .steps)
  }
}
