import Foundation
import Testing

@testable import LeafXCore

/// The encoder tape and backward pass (Models/Gradients/EncoderTape.swift, Models/Gradients/EncoderBackward.swift),
/// the decoder backward's gradient of the encoder output (Models/Gradients/DecoderBackward.swift) and
/// Conv1D's backward (Tensor/Conv1D.swift), against loops in Double and against central finite
/// differences of the independent Double model (NaiveEncoder + NaiveDecoder).
///
/// Tolerances and why:
/// - `convTolerance` 1e-5: sgemm in float32 against loops in Double over ≤ 15 products of O(1).
/// - `encodeTolerance` 1e-4: float32 against Double through the stem, two blocks and ln_post
///   of a d = 16 model (values O(1), rounding ~1e-7 per operation, amplified by the peaked
///   attention's softmax).
/// - `gradientTolerance` 1e-3 relative, with the denominator `max(|fd|, 1e-3 · max|fd|)` as in
///   DecoderBackwardTests: the backward runs in float32 (relative rounding ~1e-6 per step,
///   a few hundred steps deep), the Double finite differences (step 1e-5) are exact to ~1e-9.
@Suite struct EncoderBackwardTests {
  static let convTolerance: Float = 1e-5
  static let encodeTolerance = 1e-4
  static let gradientTolerance = 1e-3

  /// The decoder-test model with two encoder blocks (so the residual chain between blocks is
  /// exercised): d = 16, 2 heads, 4 mel bins, 24 mel frames → 12 encoder positions.
  static let dimensions = WhisperDimensions(
    nMels: 4, nAudioCtx: 12, nAudioState: 16, nAudioHead: 2, nAudioLayer: 2, nVocab: 50, nTextCtx: 16,
    nTextState: 16, nTextHead: 2, nTextLayer: 2)
  let checkpoint = SyntheticDecoder.checkpoint(seed: 19, dimensions: dimensions)
  let encoder: WhisperEncoder
  let decoder: WhisperDecoder
  /// A random log-mel window `[4, 24]`.
  let mel: [Float]
  let tokens = [3, 17, 42, 8, 29, 0, 49, 11]

  init() throws {
    encoder = try WhisperEncoder(checkpoint)
    decoder = try WhisperDecoder(checkpoint)
    var random = DecoderTestRandom(seed: 23)
    mel = (0..<(4 * 24)).map { _ in Float.random(in: -1...1, using: &random) }
  }

  // MARK: - Conv1D

  @Test(arguments: [(3, 5, 7, 1), (3, 5, 7, 2), (2, 4, 8, 2), (1, 1, 1, 1), (4, 3, 2, 2)])
  func conv1DBackwardMatchesLoops(_ shape: (Int, Int, Int, Int)) {
    let (inputs, outputs, length, stride) = shape
    var random = DecoderTestRandom(seed: UInt64(inputs * 100 + outputs * 10 + length + stride))
    let weight = Tensor(shape: [outputs, inputs, 3], values: (0..<(outputs * inputs * 3)).map { _ in Float.random(in: -1...1, using: &random) })
    let bias = Tensor(shape: [outputs], values: (0..<outputs).map { _ in Float.random(in: -1...1, using: &random) })
    let conv = Conv1D(weight: weight, bias: bias, stride: stride)
    let gradient = (0..<(outputs * conv.outputLength(length))).map { _ in Float.random(in: -1...1, using: &random) }
    let fast = conv.backward(outputGradient: gradient, length: length)
    let naive = conv.backwardNaive(outputGradient: gradient, length: length)
    #expect(fast.count == inputs * length)
    let error = zip(fast, naive).map { abs($0 - $1) }.max() ?? 0
    #expect(error <= Self.convTolerance, "max |Δ| \(error)")
    // The adjoint identity ⟨conv(x) − b, g⟩ = ⟨x, convᵀ g⟩ ties backward to forward.
    let x = (0..<(inputs * length)).map { _ in Float.random(in: -1...1, using: &random) }
    let y = conv.forward(x, length: length)
    let outLength = conv.outputLength(length)
    var left = 0.0
    for c in 0..<outputs { for t in 0..<outLength { left += Double(y[c * outLength + t] - bias.values[c]) * Double(gradient[c * outLength + t]) } }
    let right = zip(x, fast).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    #expect(abs(left - right) <= 1e-4, "adjoint: \(left) vs \(right)")
  }

  // MARK: - Forward

  @Test func tapeEqualsEncodeAndNaive() {
    let tape = EncoderTape.record(encoder: encoder, mel: mel)
    #expect(tape.encoded == encoder.encode(mel))
    let naive = NaiveEncoder(checkpoint: checkpoint).encode(melRows(mel.map(Double.init)))
    var error = 0.0
    for t in 0..<12 { for c in 0..<16 { error = max(error, abs(Double(tape.encoded[t * 16 + c]) - naive[t][c])) } }
    print("encoder tape vs naive Double reference: max |Δ| = \(error)")
    #expect(error <= Self.encodeTolerance)
  }

  // MARK: - Backward against finite differences

  /// `∂ log p(y | row) / ∂encoded` of the decoder backward against finite differences of
  /// NaiveDecoder over a Double copy of the encoder output.
  @Test(arguments: [(5, 49), (7, 2), (2, 8)])
  func decoderEncoderGradientMatchesFiniteDifferences(_ target: (Int, Int)) {
    let (row, token) = target
    let encoded = encoder.encode(mel)
    let audio = decoder.audioContext(encoded)
    let tape = DecoderTape.record(decoder: decoder, tokens: tokens, audio: audio)
    let gradient = tape.gradientsOfLogProb(row: row, token: token, decoder: decoder, audio: audio, outputs: .encoderOutput)
    guard let g = gradient.encoderOutput else {
      Issue.record("no encoder gradient")
      return
    }
    #expect(g.count == 12 * 16)
    let base = (0..<12).map { f in (0..<16).map { Double(encoded[f * 16 + $0]) } }
    let step = 1e-5
    let differences = (0..<(12 * 16)).map { index -> Double in
      func value(_ delta: Double) -> Double {
        var audio = base
        audio[index / 16][index % 16] += delta
        return NaiveDecoder(checkpoint: checkpoint, audio: audio).forward(Array(tokens[0...row])).logProb(row: row, token: token)
      }
      return (value(step) - value(-step)) / (2 * step)
    }
    let worst = relativeError(g, differences)
    print("∂log p/∂encoded (row \(row), token \(token)): max relative error \(worst.error) at \(worst.index)")
    #expect(worst.scale > 1e-2, "the target should depend on the encoder output")
    #expect(worst.error <= Self.gradientTolerance)
  }

  /// The whole chain `∂ log p(y | row) / ∂mel` (decoder backward → encoder backward) against
  /// finite differences of NaiveEncoder + NaiveDecoder, every one of the 96 mel entries.
  @Test(arguments: [(5, 49), (7, 2)])
  func melGradientMatchesFiniteDifferences(_ target: (Int, Int)) {
    let (row, token) = target
    let tape = EncoderTape.record(encoder: encoder, mel: mel)
    let audio = decoder.audioContext(tape.encoded)
    let decoderTape = DecoderTape.record(decoder: decoder, tokens: tokens, audio: audio)
    let encoded = decoderTape.gradientsOfLogProb(
      row: row, token: token, decoder: decoder, audio: audio, outputs: .encoderOutput
    ).encoderOutput!
    let g = tape.inputGradient(outputGradient: encoded, encoder: encoder)
    #expect(g.count == 4 * 24)
    // Recomputing the attention probabilities instead of keeping them changes nothing.
    let recomputed = EncoderTape.record(encoder: encoder, mel: mel, keepProbabilities: false)
    #expect(tape.blocks[0].probabilities.count == 2 && recomputed.blocks[0].probabilities.isEmpty)
    #expect(recomputed.inputGradient(outputGradient: encoded, encoder: encoder) == g)
    let naiveEncoder = NaiveEncoder(checkpoint: checkpoint)
    let base = mel.map(Double.init)
    let step = 1e-5
    let differences = base.indices.map { index -> Double in
      func value(_ delta: Double) -> Double {
        var x = base
        x[index] += delta
        let audio = naiveEncoder.encode(melRows(x))
        return NaiveDecoder(checkpoint: checkpoint, audio: audio).forward(Array(tokens[0...row])).logProb(row: row, token: token)
      }
      return (value(step) - value(-step)) / (2 * step)
    }
    let worst = relativeError(g, differences)
    print("∂log p/∂mel (row \(row), token \(token)): max relative error \(worst.error) at \(worst.index), scale \(worst.scale)")
    #expect(worst.scale > 1e-2, "the target should depend on the log-mel")
    #expect(worst.error <= Self.gradientTolerance)
  }

  /// `[n_mels · frames]` → `[n_mels][frames]`.
  private func melRows(_ x: [Double]) -> [[Double]] {
    (0..<4).map { Array(x[($0 * 24)..<($0 * 24 + 24)]) }
  }
}

/// `max_i |g_i − fd_i| / max(|fd_i|, 1e-3 · max|fd|)`, where, and the scale `max|fd|`.
func relativeError(_ gradient: [Float], _ differences: [Double]) -> (error: Double, index: Int, scale: Double) {
  let scale = differences.map(abs).max() ?? 0
  var worst = (0.0, 0)
  for (i, (g, fd)) in zip(gradient, differences).enumerated() {
    let error = abs(Double(g) - fd) / max(abs(fd), 1e-3 * scale, 1e-300)
    if error > worst.0 { worst = (error, i) }
  }
  return (worst.0, worst.1, scale)
}
