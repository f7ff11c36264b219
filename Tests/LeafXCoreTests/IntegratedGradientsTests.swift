import Foundation
import Testing

@testable import LeafXCore

/// Integrated gradients (Explain/Methods/IntegratedGradients.swift): the quadrature, the
/// completeness axiom on the synthetic model and on tiny.en (JFK), and the bolt-on refusal.
///
/// Tolerances and why:
/// - Gauss–Legendre: 1e-12, Double rounding of a sum of ≤ 32 terms.
/// - Synthetic completeness 1e-3 (relative to max(1, |Δ log p|)) with 64 nodes: the path
///   integrand is smooth and Gauss–Legendre's error falls geometrically once the nodes resolve
///   it (on this model, whose peaked attention makes log p swing by 1 along the path, the gap
///   measured 0.57 at 8 nodes, 0.02 at 16, 4e-3 at 32, 1e-6 at 64); float32 gradients add ~1e-5.
/// - tiny.en completeness: 10 % of max(1, |Δ log p|) with 32 nodes (the default); measured:
///   " ask" Σ a = 9.39 against log p(x) − log p(x') = 10.04 (gap 6.5 %). Whisper's path from
///   silence to speech is far less smooth than a random small model's (log p moves by 10 nats,
///   mostly over a short stretch of α), so 32 nodes leave a quadrature error of a few percent;
///   the gradients themselves are checked by finite differences (above, and the synthetic
///   chain), and more nodes (`--steps`) shrink the gap.
@Suite struct IntegratedGradientsTests {
  @Test(arguments: [1, 2, 5, 32])
  func gaussLegendreIsExactToDegree2mMinus1(_ m: Int) {
    let (nodes, weights) = IntegratedGradients.gaussLegendre(m)
    #expect(nodes.count == m && weights.count == m)
    #expect(nodes.allSatisfy { $0 > 0 && $0 < 1 } && weights.allSatisfy { $0 > 0 })
    for degree in 0...(2 * m - 1) {
      let integral = zip(nodes, weights).reduce(0.0) { $0 + $1.1 * pow($1.0, Double(degree)) }
      #expect(abs(integral - 1 / Double(degree + 1)) <= 1e-12, "degree \(degree): \(integral)")
    }
    // Degree 2m is no longer exact (the rule is not trivially exact); for large m the error
    // of α^{2m} falls below Double rounding, so only small m are checked.
    if m <= 5 {
      let beyond = zip(nodes, weights).reduce(0.0) { $0 + $1.1 * pow($1.0, Double(2 * m)) }
      #expect(abs(beyond - 1 / Double(2 * m + 1)) > 1e-9)
    }
  }

  @Test func syntheticCompleteness() throws {
    let checkpoint = SyntheticDecoder.checkpoint(seed: 19, dimensions: EncoderBackwardTests.dimensions)
    let encoder = try WhisperEncoder(checkpoint)
    let decoder = try WhisperDecoder(checkpoint)
    var random = DecoderTestRandom(seed: 29)
    let mel = (0..<(4 * 24)).map { _ in Float.random(in: -1...1, using: &random) }
    let input = [3, 17, 42, 8, 29, 0, 49, 11]
    let rows = [3, 5, 6]
    let targets = [8, 49, 11]
    // 10 audio frames of 12: the last 4 mel frames are padding, left as they are.
    let result = IntegratedGradients.run(
      encoder: encoder, decoder: decoder, input: input, rows: rows, targets: targets, frames: 10, mel: mel,
      silence: -0.8, steps: 64, measureCompleteness: true)
    let coarse = IntegratedGradients.run(
      encoder: encoder, decoder: decoder, input: input, rows: rows, targets: targets, frames: 10, mel: mel,
      silence: -0.8, steps: 8, measureCompleteness: false)
    for k in rows.indices {
      let total = result.signed[k].reduce(0, +)
      let expected = result.endpointDifference![k]
      let gap = abs(total - expected)
      let coarseGap = abs(coarse.signed[k].reduce(0, +) - expected)
      print("synthetic token \(k): Σ attribution \(total), log p(x) − log p(x') \(expected), gap \(gap) (8 nodes: \(coarseGap))")
      #expect(result.signed[k].count == 10)
      #expect(abs(expected) > 1e-2, "the baseline should change log p")
      #expect(gap <= 1e-3 * max(1, abs(expected)))
      #expect(coarseGap > gap, "more nodes should close the gap")
    }
  }

  /// tiny.en, JFK: `∂ log p(y)/∂mel` (decoder backward → encoder backward) against float32
  /// central differences along two directions, `v₁ = x − x'` (the direction IG integrates
  /// along) and `v₂ = sign(∇f)` on the 80 bins × 2 mel frames of the 20 ms frame where ∇f is
  /// largest (a local check: ⟨∇f, v₂⟩ is that frame's Σ|∇f|), comparing
  /// `(f(x + εv) − f(x − εv)) / 2ε` with `⟨∇f, v⟩`. Tolerance 2e-2 relative: float32
  /// log-probabilities carry rounding noise ~1e-5, divided by 2ε (ε = 1e-2 and 2e-3), against
  /// derivatives of order 0.1–1 (measured: −0.80273 vs −0.80252 along v₁).
  @Test func tinyEnMelGradientMatchesFloatFiniteDifferences() throws {
    let model = try WhisperModel.load(path: try FormatsFixtures.modelDirectory("tiny.en"))
    let wave = try AudioDecoder.load(path: FormatsFixtures.sourceRoot + "/data/jfk.wav")
    let features = try model.features(wave.samples)
    let mel = model.window(of: features, start: 0, end: features.nFrames - 1)
    let silence = MaskedScoring.silenceValue(maximum: features.values.max()!)
    let frames = (wave.samples.count + 319) / 320
    let input = Self.jfkInput
    let (row, token) = (15, input[16])  // " ask", log p −1.24
    let tape = EncoderTape.record(encoder: model.encoder, mel: mel)
    let audio = model.decoder.audioContext(tape.encoded)
    let encoded = DecoderTape.record(decoder: model.decoder, tokens: input, audio: audio).gradientsOfLogProb(
      row: row, token: token, decoder: model.decoder, audio: audio, outputs: .encoderOutput
    ).encoderOutput!
    let gradient = tape.inputGradient(outputGradient: encoded, encoder: model.encoder)
    let baseline = MaskedScoring.masked(
      mel, nMels: 80, inputFrames: 3000, keep: [Bool](repeating: false, count: frames), silence: silence)
    let frameMass = (0..<frames).map { j in
      (0..<80).reduce(Float(0)) { $0 + abs(gradient[$1 * 3000 + 2 * j]) + abs(gradient[$1 * 3000 + 2 * j + 1]) }
    }
    let frame = frameMass.indices.max { frameMass[$0] < frameMass[$1] }!
    var frameDirection = [Float](repeating: 0, count: mel.count)
    for b in 0..<80 {
      for m in (2 * frame)..<(2 * frame + 2) { frameDirection[b * 3000 + m] = gradient[b * 3000 + m] < 0 ? -1 : 1 }
    }
    for (name, direction, step) in [
      ("x − x'", zip(mel, baseline).map { $0 - $1 }, Float(2e-3)), ("frame \(frame) ±1", frameDirection, Float(1e-2)),
    ] {
      func logProb(_ epsilon: Float) -> Double {
        let moved = zip(mel, direction).map { $0 + epsilon * $1 }
        let audio = model.decoder.audioContext(model.encoder.encode(moved))
        return Double(DecoderTape.record(decoder: model.decoder, tokens: input, audio: audio).logProb(row: row, token: token))
      }
      let fd = (logProb(step) - logProb(-step)) / Double(2 * step)
      let backward = zip(gradient, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      print("tiny.en ∂log p/∂mel along \(name): backward \(backward), finite difference \(fd)")
      #expect(abs(fd) > 5e-2, "the direction should matter")
      #expect(abs(backward - fd) <= 2e-2 * abs(fd))
    }
  }

  /// The JFK sample's teacher-forced input for tiny.en: SOT, no-timestamps, the 23 text tokens.
  static let jfkInput = [
    50257, 50362, 843, 523, 616, 5891, 3399, 1265, 407, 644, 534, 1499, 460, 466, 329, 345, 1265, 644, 345,
    460, 466, 329, 534, 1499, 13,
  ]

  /// tiny.en, JFK: completeness of the default 32 nodes for one token, and the times of the
  /// encoder forward (recorded) and backward. About 2 CPU-minutes in a release build and far
  /// more in a debug one, so it needs `LEAFX_SLOW_TESTS=1` (set by `make test`).
  @Test(.enabled(if: ProcessInfo.processInfo.environment["LEAFX_SLOW_TESTS"] == "1"))
  func tinyEnJFKCompleteness() throws {
    let model = try WhisperModel.load(path: try FormatsFixtures.modelDirectory("tiny.en"))
    let wave = try AudioDecoder.load(path: FormatsFixtures.sourceRoot + "/data/jfk.wav")
    let features = try model.features(wave.samples)
    let mel = model.window(of: features, start: 0, end: features.nFrames - 1)
    let silence = MaskedScoring.silenceValue(maximum: features.values.max()!)
    let frames = (wave.samples.count + 319) / 320
    let input = Self.jfkInput
    // " ask" (row 15, log p −1.24): one token keeps the test near a minute (32 nodes, each an
    // encoder forward and backward of tiny.en).
    let rows = [15]
    let targets = rows.map { input[$0 + 1] }

    let clock = ContinuousClock()
    var tape: EncoderTape?
    let forward = clock.measure { tape = EncoderTape.record(encoder: model.encoder, mel: mel) }
    // The recorded pass (which keeps the probabilities) is the engine's own, bit for bit.
    let engine = model.encoder.encode(mel)
    #expect(zip(tape!.encoded, engine).allSatisfy { $0 == $1 }, "encoder tape and engine differ on tiny.en")
    let audio = model.decoder.audioContext(tape!.encoded)
    let decoderTape = DecoderTape.record(decoder: model.decoder, tokens: input, audio: audio)
    var encoded: [Float] = []
    let decoderBackward = clock.measure {
      encoded = decoderTape.gradientsOfLogProb(
        row: 23, token: 13, decoder: model.decoder, audio: audio, outputs: .encoderOutput
      ).encoderOutput!
    }
    var gradient: [Float] = []
    let backward = clock.measure { gradient = tape!.inputGradient(outputGradient: encoded, encoder: model.encoder) }
    print("tiny.en encoder forward (recorded) \(forward), decoder backward to the encoder output \(decoderBackward), encoder backward \(backward)")
    #expect(gradient.count == 80 * 3000 && gradient.allSatisfy(\.isFinite))

    var result: IntegratedGradients.Result?
    let total = clock.measure {
      result = IntegratedGradients.run(
        encoder: model.encoder, decoder: model.decoder, input: input, rows: rows, targets: targets, frames: frames,
        mel: mel, silence: silence, steps: 32, measureCompleteness: true)
    }
    print("tiny.en ig, 32 nodes, \(rows.count) tokens: \(total)")
    for k in rows.indices {
      let sum = result!.signed[k].reduce(0, +)
      let expected = result!.endpointDifference![k]
      print("tiny.en token \(targets[k]): Σ attribution \(sum), log p(x) − log p(x') \(expected), gap \(sum - expected)")
      #expect(result!.signed[k].count == frames)
      #expect(abs(sum - expected) <= 0.1 * max(1, abs(expected)))
    }
  }

  /// Through the Explainer (forced mode, one node to stay cheap): distributions over the 550
  /// audio frames, and token " ask"'s map unchanged when the following token changes.
  @Test func engineDistributionsAndCausality() throws {
    let model = try WhisperModel.load(path: try FormatsFixtures.modelDirectory("tiny.en"))
    let wave = try AudioDecoder.load(path: FormatsFixtures.sourceRoot + "/data/jfk.wav")
    let explainer = Explainer(model: model, options: ExplainOptions(method: .ig, steps: 1), decoding: Explainer.defaultDecoding)
    let a = try explainer.explain(wave.samples, text: "ask not")
    let b = try explainer.explain(wave.samples, text: "ask now")
    #expect(a.tokens.count == 2 && b.tokens.count == 2)
    for t in a.tokens + b.tokens {
      #expect(t.attribution.values.count == 550 && t.attribution.values.allSatisfy { $0 >= 0 && $0.isFinite })
      #expect(abs(t.attribution.values.reduce(0, +) - 1) < 1e-4)
    }
    let change = zip(a.tokens[0].attribution.values, b.tokens[0].attribution.values).map { abs($0 - $1) }.max()!
    #expect(change <= 1e-6, "\" ask\" changed by \(change)")
    let other = zip(a.tokens[1].attribution.values, b.tokens[1].attribution.values).map { abs($0 - $1) }.max()!
    #expect(other > 1e-4, "different tokens should get different maps")
  }

  @Test func capturedAttentionRefusesModelMethods() {
    let external = ExternalAttentionInput(
      layers: 1, heads: 1, queries: 2, keys: 3, cross: [0.2, 0.3, 0.5, 0.1, 0.1, 0.8], selfAttention: nil,
      audioBegin: 0, audioEnd: 3, rows: [1], crossGradients: nil, selfGradients: nil, ablationDeltas: nil)
    for method in [AttributionMethod.ig, .ta] {
      #expect(throws: LeafXError.self) { try external.attributions(options: ExplainOptions(method: method)) }
      do {
        _ = try external.attributions(options: ExplainOptions(method: method))
      } catch {
        #expect("\(error)".contains(method.rawValue), "the error should name the method: \(error)")
      }
    }
    #expect(throws: LeafXError.self) { try ExplainOptions(method: .ig, steps: 0).validate() }
  }
}
