// A recorded encoder pass: what the hand-written backward of EncoderBackward.swift needs to
// take `∂target/∂encoded` down to `∂target/∂log-mel` (docs/methods.md, "Baselines", `ig`).
//
// Priorities: correctness first (the engine's own stem and blocks of Models/EncoderBlock.swift,
// run recording, so the recorded output is `WhisperEncoder.encode`'s bit for bit), then memory
// against speed: the per-head attention probabilities (`H·n²` floats per layer: 216 MB for
// tiny.en, 432 MB for base) are kept only while all layers' fit in
// `probabilityBudget` floats; beyond it (small … large) the backward recomputes them from the
// recorded queries and keys, one head at a time (one more `n²·d_h` product and softmax per
// head and backward pass, about a fifth of the attention backward). Always kept: `9·n·d`
// floats per layer (q, k, v, two residual inputs, the MLP's GELU slope `[n, 4d]`): 83 MB for
// tiny.en, 2.2 GB for large-v3. The GELU slopes `gelu′(u)` are kept instead of the
// pre-activations `u`: the backward needs only the slope, and integrated gradients runs one
// backward per token on each tape, so erf and exp are evaluated once per tape, not per token.

/// One recorded forward pass of Whisper's encoder over one window:
///
/// ```
/// u₁ = conv1(mel),  h₁ = gelu(u₁)              [d, 2n]
/// u₂ = conv2(h₁),   h₂ = gelu(u₂)              [d, n]   (stride 2)
/// x⁰ = h₂ᵀ + P                                  [n, d]
/// per block b:  x += W_o attn(W_q ln(x), W_k ln(x), W_v ln(x));  x += W₂ gelu(W₁ ln(x) + b₁) + b₂
/// encoded = ln_post(x)                          [n, d]
/// ```
public struct EncoderTape: Sendable {
  /// What one block's backward needs, each row-major.
  struct BlockRecord: Sendable {
    /// Residual stream entering the attention sublayer, `[n, d]`.
    var attentionInput: [Float]
    /// Queries, keys and values `[n, d]` (heads are column blocks of width d_h).
    var query: [Float]
    var key: [Float]
    var value: [Float]
    /// Attention probabilities `[H][n, n]`, or empty when over `probabilityBudget`.
    var probabilities: [[Float]] = []
    /// Residual stream entering the MLP, `[n, d]`.
    var mlpInput: [Float]
    /// `gelu′(u)` of the MLP pre-activation `u = W₁ ln(x) + b₁`, `[n, 4d]`.
    var mlpSlope: [Float]
  }

  /// n, the number of encoder positions (`n_audio_ctx`).
  public let positions: Int
  /// d, the encoder width.
  public let width: Int
  /// The encoder output `[n, d]`, equal to `encoder.encode(mel)`.
  public let encoded: [Float]
  /// `gelu′(u₁)` of conv1's pre-activation, `[d, 2n]`.
  let conv1Slope: [Float]
  /// `gelu′(u₂)` of conv2's pre-activation, `[d, n]`.
  let conv2Slope: [Float]
  let blocks: [BlockRecord]
  /// Input of ln_post, `[n, d]`.
  let finalInput: [Float]

  /// Floats of attention probabilities the tape keeps at most (512 MB).
  public static let probabilityBudget = 1 << 27

  /// Runs `encoder` over `mel` (`[n_mels, 2·n_audio_ctx]`) and records the pass.
  /// - Parameter keepProbabilities: keep the attention probabilities for the backward; by
  ///   default when they fit in `probabilityBudget`.
  public static func record(encoder: WhisperEncoder, mel: [Float], keepProbabilities: Bool? = nil) -> EncoderTape {
    let dims = encoder.dimensions
    let d = dims.nAudioState
    let n = dims.nAudioCtx
    let frames = encoder.inputFrames
    precondition(mel.count == dims.nMels * frames, "EncoderTape: mel of \(mel.count) values, expected \(dims.nMels)×\(frames)")

    let stem = encoder.stem(mel, slopes: true)
    var x = [Float](repeating: 0, count: n * d)
    encoder.embed(stem.h, window: 0, into: &x)
    let keepProbabilities = keepProbabilities ?? (dims.nAudioLayer * dims.nAudioHead * n * n <= probabilityBudget)
    let records = encoder.blocks.indices.map { index in
      encoder.block(index, &x, windows: 1, record: true, keepProbabilities: keepProbabilities)!
    }
    let encoded = encoder.finalNorm.forward(x, rows: n)
    return EncoderTape(
      positions: n, width: d, encoded: encoded, conv1Slope: stem.conv1Slope, conv2Slope: stem.conv2Slope,
      blocks: records, finalInput: x)
  }
}
