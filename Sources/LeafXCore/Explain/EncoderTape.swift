// A recorded encoder pass: what the hand-written backward of EncoderBackward.swift needs to
// take `∂target/∂encoded` down to `∂target/∂log-mel` (docs/methods.md, "Baselines", `ig`).
//
// Priorities: correctness first (the same Conv1D / GELU / LayerNorm / Linear / Attention calls
// in the same order as `WhisperEncoder.encode`, so the recorded output is the engine's bit for
// bit), then memory against speed: the per-head attention probabilities (`H·n²` floats per
// layer: 216 MB for tiny.en, 432 MB for base) are kept only while all layers' fit in
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

    let u1 = encoder.conv1.forward(mel, length: frames)
    var h = u1
    h.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    let u2 = encoder.conv2.forward(h, length: frames)
    h = u2
    h.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
    var x = [Float](repeating: 0, count: n * d)
    x.withUnsafeMutableBufferPointer { out in
      h.withUnsafeBufferPointer { src in
        encoder.positional.withUnsafeBufferPointer { pos in
          for t in 0..<n {
            for c in 0..<d { out[t * d + c] = src[c * n + t] + pos[t * d + c] }
          }
        }
      }
    }
    var records: [BlockRecord] = []
    records.reserveCapacity(encoder.blocks.count)
    let keepProbabilities = keepProbabilities ?? (dims.nAudioLayer * dims.nAudioHead * n * n <= probabilityBudget)
    for block in encoder.blocks {
      let attentionInput = x
      let normed = block.attentionNorm.forward(x, rows: n)
      let w = block.attention
      let q = w.query.forward(normed, rows: n)
      let k = w.key.forward(normed, rows: n)
      let v = w.value.forward(normed, rows: n)
      var mixed = [Float](repeating: 0, count: n * d)
      var probabilities: [[Float]] = []
      let observe: ((Int, UnsafeBufferPointer<Float>) -> Void)? =
        keepProbabilities ? { _, p in probabilities.append(Array(p)) } : nil
      q.withUnsafeBufferPointer { q in
        k.withUnsafeBufferPointer { k in
          v.withUnsafeBufferPointer { v in
            mixed.withUnsafeMutableBufferPointer { o in
              Attention.forward(
                q: q.baseAddress!, k: k.baseAddress!, v: v.baseAddress!, tq: n, tk: n, width: d,
                heads: dims.nAudioHead, causalOffset: nil, into: o.baseAddress!, observe: observe)
            }
          }
        }
      }
      addInPlace(&x, w.out.forward(mixed, rows: n))
      let mlpInput = x
      let pre = block.mlp.fc1.forward(block.mlpNorm.forward(x, rows: n), rows: n)
      var hidden = pre
      hidden.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: $0.count) }
      addInPlace(&x, block.mlp.fc2.forward(hidden, rows: n))
      records.append(
        BlockRecord(
          attentionInput: attentionInput, query: q, key: k, value: v, probabilities: probabilities, mlpInput: mlpInput,
          mlpSlope: GELU.derivatives(pre)))
    }
    let encoded = encoder.finalNorm.forward(x, rows: n)
    return EncoderTape(
      positions: n, width: d, encoded: encoded, conv1Slope: GELU.derivatives(u1), conv2Slope: GELU.derivatives(u2),
      blocks: records, finalInput: x)
  }
}
