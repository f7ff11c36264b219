/// The decoder's layers, written once (docs/design.md, "The Whisper engine"): every decoder
/// pass (a prompt, a greedy step, a beam step of all hypotheses, a recorded teacher-forced
/// pass) is `embed`, then `block` per layer, then the final norm and `logits`. The callers
/// differ only in where self-attention keys are kept, which kernels run, and whether the
/// pass is recorded for the backward (Gradients/DecoderTape.swift, whose
/// Gradients/DecoderBackward.swift differentiates exactly these calls).
extension WhisperDecoder {
  /// Which products a pass runs on.
  enum Kernels {
    /// Consecutive positions of one sequence: sgemm over all rows (a matrix-vector product
    /// when there is one row).
    case sequence
    /// Independent single steps (the hypotheses of a beam): batched matrix-vector products,
    /// each row the bits it would get alone.
    case steps
  }

  /// What a recorded pass does besides computing: which cross-attention outputs it drops,
  /// and an edit of the attention probabilities before they are used.
  struct Recording {
    /// Layers whose cross-attention output (after the out projection) is zeroed, the
    /// residual path kept: docs/methods.md, "Causal layer reweighting".
    var ablatedCrossLayers: Set<Int> = []
    /// Called per kind, layer and head with the `[n, keys]` probabilities right after softmax.
    var editAttention: ((AttentionKind, _ layer: Int, _ head: Int, UnsafeMutableBufferPointer<Float>) -> Void)?
  }

  /// The self-attention of one layer as the caller keeps its keys: given the rows' queries,
  /// keys and values (`[n, d]`), stores the keys and values, attends, and returns the mixed
  /// heads `[n, d]`. A recorded pass passes where the probabilities go.
  typealias SelfAttend = (
    _ layer: Int, _ query: [Float], _ key: [Float], _ value: [Float], _ record: Attention.Recording?
  ) -> [Float]

  /// `x = E[tokens] + P[position(i)]`, `[n, d]`.
  func embed(_ tokens: [Int], position: (_ row: Int) -> Int) -> [Float] {
    let d = dimensions.nTextState
    var x = [Float](repeating: 0, count: tokens.count * d)
    x.withUnsafeMutableBufferPointer { out in
      tokenEmbedding.withUnsafeBufferPointer { emb in
        positional.withUnsafeBufferPointer { pos in
          for (i, token) in tokens.enumerated() {
            let o = out.baseAddress! + i * d
            let e = emb.baseAddress! + token * d
            let p = pos.baseAddress! + position(i) * d
            for c in 0..<d { o[c] = e[c] + p[c] }
          }
        }
      }
    }
    return x
  }

  /// One decoder block on the residual stream `x` (`[n, d]`), in place:
  ///
  /// ```
  /// x += W_o selfAttend(ln(x))                     (causal, keys kept by the caller)
  /// x += W'_o attend(W'_q ln(x), audio keys/values)  (dropped when ablated)
  /// x += W₂ gelu(W₁ ln(x) + b₁) + b₂
  /// ```
  /// Returns what the backward needs when `recording` is given, else nil.
  func block(
    _ layer: Int, _ x: inout [Float], rows n: Int, kernels: Kernels, audio: AudioContext,
    recording: Recording?, selfAttend: SelfAttend
  ) -> DecoderTape.LayerRecord? {
    let d = dimensions.nTextState
    let heads = dimensions.nTextHead
    let weights = blocks[layer]
    func linear(_ l: Linear, _ input: [Float]) -> [Float] {
      kernels == .steps ? l.forwardSteps(input, rows: n) : l.forward(input, rows: n)
    }
    // A recorded attention keeps every head's probabilities in `maps` and hands them to the edit.
    func record(_ kind: AttentionKind, into maps: UnsafeMutableBufferPointer<Float>) -> Attention.Recording? {
      recording.map { recording in
        Attention.Recording(
          probabilities: maps.baseAddress!,
          edit: recording.editAttention.map { edit in { h, p in edit(kind, layer, h, p) } })
      }
    }
    // Causal self-attention (a recorded pass starts from an empty cache: a row attends n keys).
    let selfInput = recording == nil ? [] : x
    let normed = weights.selfNorm.forward(x, rows: n)
    let q = linear(weights.selfAttention.query, normed)
    let k = linear(weights.selfAttention.key, normed)
    let v = linear(weights.selfAttention.value, normed)
    var selfMaps = [Float](repeating: 0, count: recording == nil ? 0 : heads * n * n)
    let mixed = selfMaps.withUnsafeMutableBufferPointer { selfAttend(layer, q, k, v, record(.selfAttention, into: $0)) }
    addInPlace(&x, linear(weights.selfAttention.out, mixed))

    // Cross-attention over the audio.
    let crossInput = recording == nil ? [] : x
    let crossQuery = linear(weights.crossAttention.query, weights.crossNorm.forward(x, rows: n))
    var crossMaps = [Float](repeating: 0, count: recording == nil ? 0 : heads * n * audio.frames)
    var crossMixed = [Float](repeating: 0, count: n * d)
    crossQuery.withUnsafeBufferPointer { q in
      audio.keys[layer].withUnsafeBufferPointer { k in
        audio.values[layer].withUnsafeBufferPointer { v in
          crossMixed.withUnsafeMutableBufferPointer { o in
            crossMaps.withUnsafeMutableBufferPointer { maps in
              if recording == nil && (kernels == .steps || n == 1) {
                // Steps: heads split over the compute threads, each row against the same audio
                // (equal to `Attention.forward` of one query, bit for bit).
                Attention.forwardSteps(
                  q: q.baseAddress!, count: n, k: k.baseAddress!, v: v.baseAddress!, tk: audio.frames, width: d,
                  heads: heads, into: o.baseAddress!)
              } else {
                Attention.forward(
                  q: q.baseAddress!, k: k.baseAddress!, v: v.baseAddress!, tq: n, tk: audio.frames, width: d,
                  heads: heads, causalOffset: nil, into: o.baseAddress!, record: record(.crossAttention, into: maps))
              }
            }
          }
        }
      }
    }
    if !(recording?.ablatedCrossLayers.contains(layer) ?? false) {
      addInPlace(&x, linear(weights.crossAttention.out, crossMixed))
    }

    // MLP.
    let mlpInput = recording == nil ? [] : x
    var hidden = linear(weights.mlp.fc1, weights.mlpNorm.forward(x, rows: n))
    let preActivation = recording == nil ? [] : hidden
    hidden.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    addInPlace(&x, linear(weights.mlp.fc2, hidden))

    guard recording != nil else { return nil }
    return DecoderTape.LayerRecord(
      selfInput: selfInput, query: q, key: k, value: v, crossInput: crossInput, mlpInput: mlpInput,
      mlpHidden: preActivation, crossQuery: crossQuery,
      selfAttention: splitHeads(selfMaps, heads: heads), crossAttention: splitHeads(crossMaps, heads: heads))
  }

  /// `[heads · m]` → `heads` arrays of `m`.
  private func splitHeads(_ maps: [Float], heads: Int) -> [[Float]] {
    let size = maps.count / heads
    return (0..<heads).map { Array(maps[($0 * size)..<(($0 + 1) * size)]) }
  }

  /// `[rows, d] · Eᵀ → [rows, n_vocab]` (the tied output projection).
  func logits(_ hidden: [Float], rows: Int, kernels: Kernels = .sequence) -> [Float] {
    let d = dimensions.nTextState
    let vocab = dimensions.nVocab
    var out = [Float](repeating: 0, count: rows * vocab)
    guard rows > 0 else { return out }
    hidden.withUnsafeBufferPointer { h in
      tokenEmbedding.withUnsafeBufferPointer { e in
        out.withUnsafeMutableBufferPointer { o in
          if rows == 1 || kernels == .steps {
            // Decoder steps: E h as matrix-vector products (sgemm would pack all of E first),
            // the vocabulary split over the compute threads.
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
}
