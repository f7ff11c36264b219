import Foundation
import Testing

@testable import LeafXCore

/// Transformer Attribution as adapted (Explain/Methods/TransformerAttribution.swift): the z⁺
/// relevance split on hand-computed cases, its conservation, and the causal orientation of the
/// whole method on the synthetic model.
@Suite struct TransformerAttributionTests {
  /// One head, d_h = 1: A = [¼, ¾], V = [2, −1], ∂O = 4 ⇒ O = −¼, R_O = −1, V⁺ = [2, 0],
  /// Z⁺ = ½, R_A = A ⊙ (R_O / Z⁺) V⁺ = [−1, 0] (all of R_O on the key whose value is positive).
  @Test func zPlusSplitOneChannel() {
    let r = TransformerAttribution.relevance(
      maps: [[0.25, 0.75]], positiveValues: [2, 0], outputs: [-0.25], outputGradient: [4], rows: 1, keys: 2, width: 1)
    #expect(r.count == 1 && abs(r[0][0] + 1) < 1e-6 && r[0][1] == 0)
  }

  /// d_h = 2: A = [½, ½], V = [[1, −2], [3, 1]], ∂O = [1, 1] ⇒ O = [2, −½] = R_O,
  /// Z⁺ = [2, ½], R_O / Z⁺ = [1, −1], R_A = [½ · 1, ½ · (3 − 1)] = [½, 1]; Σ R_A = Σ R_O = 1.5.
  @Test func zPlusSplitTwoChannelsConserves() {
    let values: [Float] = [1, -2, 3, 1]
    let o = TransformerAttribution.headProducts([[0.5, 0.5]], values, rows: 1, keys: 2, width: 2)
    #expect(o == [2, -0.5])
    let r = TransformerAttribution.relevance(
      maps: [[0.5, 0.5]], positiveValues: values.map { max($0, 0) }, outputs: o, outputGradient: [1, 1], rows: 1,
      keys: 2, width: 2)
    #expect(abs(r[0][0] - 0.5) < 1e-6 && abs(r[0][1] - 1) < 1e-6)
  }

  /// Token t's map depends only on tokens ≤ t + 1 (its row's input and target): changing later
  /// tokens leaves it unchanged, and it differs from grad-rollout's.
  @Test func causalAndNotGradientRollout() throws {
    let checkpoint = SyntheticDecoder.checkpoint()
    let decoder = try WhisperDecoder(checkpoint)
    let audio = decoder.audioContext(SyntheticDecoder.encoded())
    let tokens = [3, 17, 42, 8, 8, 29, 0, 49, 11, 36, 5]
    var changed = tokens
    changed[8] = 1
    changed[10] = 2
    let first = DecoderTape.record(decoder: decoder, tokens: tokens, audio: audio)
    let second = DecoderTape.record(decoder: decoder, tokens: changed, audio: audio)
    let a = TransformerAttribution.attributions(
      decoder: decoder, tape: first, audio: audio, rows: [4, 6], targets: [29, 49], frames: 10, layers: 0..<2)
    let b = TransformerAttribution.attributions(
      decoder: decoder, tape: second, audio: audio, rows: [4, 6], targets: [29, 49], frames: 10, layers: 0..<2)
    for k in 0..<2 {
      #expect(a[k].count == 10 && a[k].allSatisfy { $0 >= 0 && $0.isFinite })
      #expect(a[k].reduce(0, +) > 0)
      #expect(zip(a[k], b[k]).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($0)) })
    }
    let trace = AttentionTrace(
      tokens: tokens, frames: 10, totalFrames: 12, rawCross: first.crossAttention, selfAttention: first.selfAttention)
    let g = first.gradientsOfLogit(row: 6, token: 49, decoder: decoder, audio: audio)
    let cropped = CroppedGradients(
      cross: g.crossAttention.map { $0.map { m in (0..<tokens.count).flatMap { Array(m[($0 * 12)..<($0 * 12 + 10)]) } } },
      selfAttention: g.selfAttention)
    let rollout = GradientRollout.attribution(trace, row: 6, gradients: cropped, layers: 0..<2)
    let normalise = { (x: [Float]) in x.map { $0 / max(x.reduce(0, +), 1e-30) } }
    let difference = zip(normalise(a[1]), normalise(rollout)).map { abs($0 - $1) }.max()!
    print("ta vs grad-rollout (row 6): max |Δ share| \(difference)")
    #expect(difference > 1e-3)
  }
}
