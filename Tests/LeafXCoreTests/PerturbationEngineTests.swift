#if canImport(Glibc)
  import Glibc
#endif
import Testing

@testable import LeafXCore

/// The masked scorer on leafx's engine (tiny.en, JFK) and the perturbation methods end to end
/// with small settings (each mask costs one encoder pass).
@Suite(.serialized) struct PerturbationEngineTests {
  /// Nothing removed: the log p of the transcriber's own forward pass (full softmax, as the
  /// explainer's tape computes it from the transcriber's encoder output); the transcriber's
  /// reported probabilities come from its filtered distribution (suppressed tokens removed),
  /// which can only be higher (on JFK 17 of 23 tokens agree within 1e-3; the others lose up
  /// to 0.05 to suppressed symbols). Everything removed: the tokens become much less likely. Two
  /// masks, so they go through the batched encoder.
  @Test func scorerReproducesTheTranscriberAndSilenceLowersIt() throws {
    let (model, jfk) = try TinyEnJFKFixture.loaded.get()
    let (scorer, window) = try EngineMaskedScorer.firstWindow(model: model, pcm: jfk)
    #expect(scorer.frames == 550)
    #expect(scorer.batchSize > 1)
    let scores = try scorer.logProbs(keeping: [
      [Bool](repeating: true, count: scorer.frames), [Bool](repeating: false, count: scorer.frames),
    ])
    let decoded = window.tokens.indices.filter { !model.tokenizer.isSpecial(window.tokens[$0]) }
    #expect(decoded.count == scorer.tokenCount && decoded.count >= 20)
    let tape = DecoderTape.record(decoder: model.decoder, tokens: scorer.input, audio: try #require(window.audio))
    var worst: Float = 0
    var aboveFiltered: Float = 0
    for (k, i) in decoded.enumerated() {
      worst = max(worst, abs(scores[0][k] - tape.logProb(row: scorer.rows[k], token: scorer.targets[k])))
      let filtered = logf(window.probabilities[i])
      aboveFiltered = max(aboveFiltered, scores[0][k] - filtered)
    }
    #expect(worst < 1e-3, "all-keep scores differ from the transcriber's forward pass by \(worst)")
    #expect(aboveFiltered < 1e-3, "a score exceeds the filtered log p by \(aboveFiltered)")
    let kept = scores[0].reduce(0, +) / Float(scorer.tokenCount)
    let silenced = scores[1].reduce(0, +) / Float(scorer.tokenCount)
    #expect(silenced < kept - 1, "mean log p \(kept) with the audio, \(silenced) without")
    #expect(try scorer.unmaskedLogProbs() == scores[0])
  }

  /// Two windows stacked through the encoder give each window's single-pass output.
  @Test func batchedEncoderMatchesSingleWindows() throws {
    let (model, jfk) = try TinyEnJFKFixture.loaded.get()
    let mel = try model.features(jfk)
    let window = model.window(of: mel, start: 0, end: mel.nFrames)
    let keepFirstHalf = (0..<550).map { $0 < 275 }
    let masked = MaskedScoring.masked(window, nMels: 80, inputFrames: 3000, keep: keepFirstHalf, silence: -0.5)
    let inputs = [window, masked]
    let batched = model.encoder.encode(batch: inputs)
    for (i, input) in inputs.enumerated() {
      let single = model.encoder.encode(input)
      let scale = single.map { abs($0) }.max()!
      let worst = zip(single, batched[i]).map { abs($0 - $1) }.max()!
      #expect(worst <= 1e-5 * scale, "window \(i): max |Δ| \(worst) for values up to \(scale)")
    }
  }

  /// The three methods on the engine with few masks: valid distributions over the 550
  /// frames.
  @Test func methodsGiveDistributionsOnTheEngine() throws {
    let (model, jfk) = try TinyEnJFKFixture.loaded.get()
    // 2 occluding windows, LIME 2 masked samples, KernelSHAP 3 samples and the empty anchor,
    // one shared unmasked pass: 9 encoder passes.
    let options = ExplainOptions(occlusionWindow: 275, occlusionStride: 275, samples: 3, segmentFrames: 100)
    let explainer = Explainer(model: model, options: options, decoding: Explainer.defaultDecoding)
    let methods: [AttributionMethod] = [.specmask, .lime, .kernelshap]
    let explanations = try explainer.explain(jfk, text: "ask not what your country", methods: methods)
    for e in explanations {
      #expect(e.tokens.count == 5)
      for t in e.tokens {
        #expect(t.attribution.values.count == 550)
        #expect(t.attribution.values.allSatisfy { $0 >= 0 && $0.isFinite }, "\(e.options.method.rawValue)")
        #expect(abs(t.attribution.values.reduce(0, +) - 1) < 1e-4, "\(e.options.method.rawValue)")
      }
    }
  }
}
