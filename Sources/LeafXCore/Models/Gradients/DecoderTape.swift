// A teacher-forced decoder pass that keeps everything the explanations read (docs/design.md,
// "Attention trace") and everything the hand-written backward of DecoderBackward.swift needs
// (docs/methods.md, "Gradient modulation").
//
// Priorities: correctness first (the pass is `WhisperDecoder.sequence`, the engine's own
// blocks of Models/DecoderBlock.swift, run with a recording: its logits are the engine's by
// construction, and DecoderBackwardTests checks the bits), then determinism (products split
// by `gemm` as the engine's are, so no result depends on the thread count), then speed (one
// pass over all T positions, products on sgemm). Memory is
// O(L·H·T·(F + T) + L·T·d) floats: the full per-head maps are kept because gradient
// modulation (§6.2) needs every head before the entropy weighting reduces them.

/// Which attention of a decoder block a probability matrix belongs to.
public enum AttentionKind: Sendable, Hashable {
  /// Causal self-attention over the text positions, `[T, T]` per head.
  case selfAttention
  /// Cross-attention over the audio frames, `[T, F]` per head.
  case crossAttention
}

/// One teacher-forced pass of Whisper's decoder over a whole token sequence, fully recorded.
///
/// All positions run at once (positions `0 ..< T`, causal self-attention), as
/// `WhisperDecoder.forward(tokens, cache: fresh, audio:, logitRows: T)` does:
///
/// ```
/// x⁰ = E[tokens] + P[0 ..< T]                                   [T, d]
/// per layer l:  S[l][h] = softmax_causal(Q_h K_hᵀ / √d_h)        Q, K, V from ln(x)
///               x += W_o [S[l][1] V_1 … S[l][H] V_H]
///               A[l][h] = softmax(Q'_h K'_hᵀ / √d_h)              Q' from ln(x); K', V' audio
///               x += W'_o [A[l][1] V'_1 … A[l][H] V'_H]           (skipped when ablated)
///               x += W₂ gelu(W₁ ln(x))
/// logits = ln(x) Eᵀ                                             [T, vocab]
/// ```
/// Row i of every matrix is the query position i, whose logits predict token i + 1
/// (the row convention of docs/methods.md, "Conventions").
public struct DecoderTape: Sendable {
  /// The teacher-forced input tokens, `[T]`.
  public let tokens: [Int]
  /// T, the number of positions.
  public let count: Int
  /// F, the number of audio frames attended to (1500 for a 30 s window).
  public let frames: Int
  /// L, the number of decoder layers.
  public let layers: Int
  /// H, the number of heads per attention.
  public let heads: Int
  /// d, the decoder width.
  public let width: Int
  /// The vocabulary size (columns of `logits`).
  public let vocab: Int
  /// Cross-attention probabilities after softmax (and after any override):
  /// `[layer][head]` → `[T, F]` row-major; each row sums to 1.
  public let crossAttention: [[[Float]]]
  /// Self-attention probabilities after softmax (and after any override):
  /// `[layer][head]` → `[T, T]` row-major; row i has mass only on columns j ≤ i.
  public let selfAttention: [[[Float]]]
  /// Raw logits `[T, vocab]` (no logit filters).
  public let logits: [Float]
  /// Layers whose cross-attention output was zeroed (docs/methods.md, "Causal layer reweighting").
  public let ablatedCrossLayers: Set<Int>

  /// What one block's backward needs from its forward, each `[T, ·]` row-major.
  struct LayerRecord: Sendable {
    /// Residual stream entering the self-attention sublayer (input of its layer norm), `[T, d]`.
    var selfInput: [Float]
    /// Self-attention query projection `Q`, `[T, d]` (heads are column blocks of width d_h).
    var query: [Float]
    /// Self-attention key projection `K`, `[T, d]`.
    var key: [Float]
    /// Self-attention value projection `V`, `[T, d]`.
    var value: [Float]
    /// Residual stream entering the cross-attention sublayer, `[T, d]`.
    var crossInput: [Float]
    /// Residual stream entering the MLP, `[T, d]`.
    var mlpInput: [Float]
    /// MLP pre-activation `W₁ ln(x) + b₁`, before GELU, `[T, 4d]`.
    var mlpHidden: [Float]
    /// Cross-attention query projection `Q'`, `[T, d]` (for the gradient of the cross keys).
    var crossQuery: [Float] = []
    /// Self-attention probabilities per head, `[T, T]` (after any edit).
    var selfAttention: [[Float]] = []
    /// Cross-attention probabilities per head, `[T, F]` (after any edit).
    var crossAttention: [[Float]] = []
  }

  /// Per-layer intermediates, `[L]`.
  let records: [LayerRecord]
  /// Residual stream after the last block (input of the final layer norm), `[T, d]`.
  let finalInput: [Float]

  /// `log p(token | row)` under the full softmax of the row's raw logits:
  /// `logits[row, token] − log Σ_v exp(logits[row, v])`.
  /// - Parameters:
  ///   - row: query position, `0 ..< count`; it predicts the token at `row + 1`.
  ///   - token: vocabulary id, `0 ..< vocab`.
  public func logProb(row: Int, token: Int) -> Float {
    precondition(row >= 0 && row < count && token >= 0 && token < vocab, "logProb: row or token out of range")
    return logits.withUnsafeBufferPointer { z in
      let start = z.baseAddress! + row * vocab
      return start[token] - Softmax.logSumExp(start, count: vocab)
    }
  }

  /// Per layer and position, the share of the residual update written by the
  /// self-attention (`which: .selfAttention`) or cross-attention sublayer:
  /// `‖Δx‖ / (‖Δx‖ + ‖x‖)` with x the residual stream entering the sublayer, `[layer][T]`
  /// (vector norms as in Kobayashi et al. 2020: how much of a position's state a
  /// sublayer rewrote).
  public func updateShares(_ which: AttentionKind) -> [[Float]] {
    records.map { record in
      let before = which == .selfAttention ? record.selfInput : record.crossInput
      let after = which == .selfAttention ? record.crossInput : record.mlpInput
      return (0..<count).map { row in
        var update: Float = 0
        var state: Float = 0
        for c in 0..<width {
          let x = before[row * width + c]
          let dx = after[row * width + c] - x
          update += dx * dx
          state += x * x
        }
        let u = update.squareRoot()
        let total = u + state.squareRoot()
        return total > 0 ? u / total : 0
      }
    }
  }

  /// Runs the teacher-forced pass and records it.
  ///
  /// With no ablation and no override, `logits` equal `decoder.forward(tokens, cache: fresh,
  /// audio: audio, logitRows: tokens.count)` bit for bit: both are `decoder.sequence`.
  /// - Parameters:
  ///   - decoder: the model's decoder.
  ///   - tokens: `T ≥ 1` token ids, `T ≤ n_text_ctx`.
  ///   - audio: the window's cross keys and values (`decoder.audioContext(encoded)`).
  ///   - ablatedCrossLayers: layers whose cross-attention output (after the out projection)
  ///     is zeroed while the residual path is kept: the causal ablation of docs/methods.md,
  ///     "Causal layer reweighting".
  ///   - overrideAttention: called per kind, layer and head with the `[T, F]` or `[T, T]`
  ///     probabilities right after softmax; what it leaves in the buffer is recorded and used
  ///     downstream (finite differences perturb single entries this way).
  /// - Returns: the tape.
  public static func record(
    decoder: WhisperDecoder, tokens: [Int], audio: WhisperDecoder.AudioContext,
    ablatedCrossLayers: Set<Int> = [],
    overrideAttention: ((AttentionKind, _ layer: Int, _ head: Int, UnsafeMutableBufferPointer<Float>) -> Void)? = nil
  ) -> DecoderTape {
    let dims = decoder.dimensions
    let d = dims.nTextState
    let heads = dims.nTextHead
    let vocab = dims.nVocab
    let n = tokens.count
    let frames = audio.frames
    precondition(n >= 1 && n <= dims.nTextCtx, "DecoderTape: \(n) tokens for a context of \(dims.nTextCtx)")
    precondition(tokens.allSatisfy { $0 >= 0 && $0 < vocab }, "DecoderTape: token id outside the vocabulary")
    precondition(
      frames >= 1 && audio.keys.count == decoder.blocks.count && audio.keys.allSatisfy { $0.count == frames * d },
      "DecoderTape: audio context of another model")

    var cache = WhisperDecoder.Cache(layers: decoder.blocks.count)
    let (x, records) = decoder.sequence(
      tokens, cache: &cache, audio: audio,
      recording: WhisperDecoder.Recording(ablatedCrossLayers: ablatedCrossLayers, editAttention: overrideAttention))
    let logits = decoder.logits(decoder.finalNorm.forward(x, rows: n), rows: n)
    return DecoderTape(
      tokens: tokens, count: n, frames: frames, layers: decoder.blocks.count, heads: heads, width: d,
      vocab: vocab, crossAttention: records.map(\.crossAttention), selfAttention: records.map(\.selfAttention),
      logits: logits, ablatedCrossLayers: ablatedCrossLayers, records: records, finalInput: x)
  }
}
