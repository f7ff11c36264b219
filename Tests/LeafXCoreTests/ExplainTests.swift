import Testing

#if canImport(Glibc)
  import Glibc
#endif

@testable import LeafXCore

/// Invariants of every explanation method on the real tiny.en model: causality, valid
/// distributions, no NaN on silence, and the bolt-on entry reproducing the engine's output.
@Suite(.serialized) struct ExplainTests {
  /// `ig` costs an encoder forward and backward per token and node (IntegratedGradientsTests
  /// checks it on short texts); the perturbation methods cost hundreds of encoder passes each
  /// and cannot run on captured attention (PerturbationEngineTests covers them).
  static let methods = AttributionMethod.allCases.filter { $0 != .ig && !$0.needsMaskedScoring }

  func explain(_ text: String, pcm: [Float]? = nil) throws -> [Explanation] {
    let (model, jfk) = try TinyEnJFKFixture.loaded.get()
    let explainer = Explainer(model: model, options: ExplainOptions(), decoding: Explainer.defaultDecoding)
    return try explainer.explain(pcm ?? jfk, text: text, methods: Self.methods)
  }

  @Test func laterTokensDoNotChangeEarlierAttributions() throws {
    let a = try explain("ask not what your country can do")
    let b = try explain("ask not what your dog eats")
    for (ea, eb) in zip(a, b) {
      let shared = 4  // " ask not what your"
      #expect(Array(ea.tokens.prefix(shared)).map(\.id) == Array(eb.tokens.prefix(shared)).map(\.id))
      var worst: Float = 0
      for k in 0..<shared {
        for (x, y) in zip(ea.tokens[k].attribution.values, eb.tokens[k].attribution.values) { worst = max(worst, abs(x - y)) }
      }
      #expect(worst <= 1e-6, "\(ea.options.method.rawValue): earlier tokens changed by \(worst)")
    }
  }

  /// Forced mode scores each given token with the row before it, under the full softmax
  /// (decoding renormalises over the tokens its filters allow, so its probabilities differ
  /// by up to a few hundredths): the teacher-forced pass's own log-probabilities.
  @Test func forcedModeScoresEachTokenWithTheRowBeforeIt() throws {
    let (model, jfk) = try TinyEnJFKFixture.loaded.get()
    let explainer = Explainer(model: model, options: ExplainOptions(method: .raa), decoding: Explainer.defaultDecoding)
    let text = "and so my fellow americans"
    let forced = try explainer.explain(jfk, text: text)
    let tokenizer = model.tokenizer
    let prompt = try tokenizer.sotSequence(language: nil, task: .transcribe) + [tokenizer.noTimestamps]
    let tokens = tokenizer.encode(" " + text)
    try #require(forced.tokens.map(\.id) == tokens)
    let mel = try model.features(jfk)
    let audio = model.decoder.audioContext(model.encoder.encode(model.window(of: mel, start: 0, end: mel.nFrames - 1)))
    let tape = DecoderTape.record(decoder: model.decoder, tokens: prompt + tokens, audio: audio)
    for (k, token) in forced.tokens.enumerated() {
      let expected = expf(tape.logProb(row: prompt.count + k - 1, token: tokens[k]))
      #expect(abs(token.probability - expected) < 1e-4, "\(token.text): \(token.probability) vs \(expected)")
    }
    #expect(forced.tokens.map(\.probability).reduce(0, +) / Float(tokens.count) > 0.5)
  }

  @Test func attributionsAreDistributions() throws {
    for e in try explain("and so my fellow americans") {
      for t in e.tokens + [] {
        let sum = t.attribution.values.reduce(0, +)
        #expect(t.attribution.values.allSatisfy { $0 >= 0 && $0.isFinite }, "\(e.options.method.rawValue)")
        #expect(abs(sum - 1) < 1e-4, "\(e.options.method.rawValue): sums to \(sum)")
        #expect(t.attribution.values.count == 550)
      }
      for w in e.words { #expect(abs(w.attribution.values.reduce(0, +) - 1) < 1e-4) }
    }
  }

  @Test func silenceAndOneTokenGiveFiniteMaps() throws {
    let silence = [Float](repeating: 0, count: 16000)
    for text in ["Hello", "yes"] {
      for e in try explain(text, pcm: silence) {
        #expect(!e.tokens.isEmpty)
        for t in e.tokens {
          #expect(t.attribution.values.allSatisfy { $0.isFinite && $0 >= 0 }, "\(e.options.method.rawValue) on silence")
          #expect(abs(t.attribution.values.reduce(0, +) - 1) < 1e-4)
          #expect(t.attribution.values.count == 50)
        }
      }
    }
    // Decoding pure silence may give no tokens at all: an empty, valid explanation.
    let (model, _) = try TinyEnJFKFixture.loaded.get()
    let empty = try Explainer(model: model, options: ExplainOptions(method: .leafxCausal), decoding: Explainer.defaultDecoding)
      .explain(silence)
    #expect(empty.tokens.allSatisfy { $0.attribution.values.allSatisfy(\.isFinite) })
  }

  @Test func boltOnReproducesTheEngine() throws {
    let (model, jfk) = try TinyEnJFKFixture.loaded.get()
    let text = "ask not what your country can do for you"
    let engine = try explain(text)
    // Replay the same window through the tape and hand its attention to the bolt-on entry.
    let tokenizer = model.tokenizer
    let prompt = try tokenizer.sotSequence(language: nil, task: .transcribe) + [tokenizer.noTimestamps]
    let tokens = tokenizer.encode(" " + text)
    let input = prompt + tokens
    let mel = try model.features(jfk)
    let audio = model.decoder.audioContext(model.encoder.encode(model.window(of: mel, start: 0, end: mel.nFrames - 1)))
    let tape = DecoderTape.record(decoder: model.decoder, tokens: input, audio: audio)
    let rows = tokens.indices.map { prompt.count + $0 - 1 }
    let l = tape.layers
    let h = tape.heads
    var crossGradients: [Float] = []
    var selfGradients: [Float] = []
    for (k, row) in rows.enumerated() {
      let g = tape.gradientsOfLogProb(row: row, token: tokens[k], decoder: model.decoder, audio: audio)
      crossGradients += g.crossAttention.flatMap { $0.flatMap { $0 } }
      selfGradients += g.selfAttention.flatMap { $0.flatMap { $0 } }
    }
    // The caller computes the ablation the method expects: zeroing for leafx-paper-causal,
    // mean ablation for the product's leafx-causal family.
    func deltas(_ ablation: LayerAblation) throws -> [Float] {
      try ablation.deltas(
        decoder: model.decoder, input: input, audio: audio, audioFrames: 550, rows: rows,
        targets: tokens, reference: tape
      ).flatMap { $0 }
    }
    let zeroDeltas = try deltas(.zero)
    let meanDeltas = try deltas(.mean)
    var external = ExternalAttentionInput(
      layers: l, heads: h, queries: input.count, keys: tape.frames,
      cross: tape.crossAttention.flatMap { $0.flatMap { $0 } }, selfAttention: tape.selfAttention.flatMap { $0.flatMap { $0 } },
      audioBegin: 0, audioEnd: 550, rows: rows, crossGradients: crossGradients, selfGradients: selfGradients,
      ablationDeltas: zeroDeltas)
    // grad-rollout differentiates the logit, not log p: compare it separately below.
    for (m, method) in Self.methods.enumerated() where method != .gradRollout && !method.needsModel {
      external.ablationDeltas = method.needsAblations && method != .leafxPaperCausal ? meanDeltas : zeroDeltas
      let bolted = try external.explain(options: ExplainOptions(method: method), firstFrame: 0, frameSeconds: 0.02)
      var worst: Float = 0
      for (x, y) in zip(bolted, engine[m].tokens) {
        for (a, b) in zip(x.values, y.attribution.values) { worst = max(worst, abs(a - b)) }
      }
      #expect(worst <= 1e-6, "\(method.rawValue): bolt-on differs from leafx_explain by \(worst)")
    }
  }
}
