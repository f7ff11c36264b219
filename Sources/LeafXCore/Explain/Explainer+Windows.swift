#if canImport(Glibc)
  import Glibc
#endif

/// One decoded window as the benchmark sees it: every method's attributions of its explained
/// tokens, the time each method took, and the window's MaskedScorer for the perturbation
/// metrics.
struct ExplainedWindow {
  /// Index into `Transcript.windows`.
  var index: Int
  var window: DecodedWindow
  /// Per method (in the order asked), the explained tokens of the window (normalised
  /// attributions over the window's audio frames; `index` counts from the utterance's first
  /// explained token; no audit flags).
  var tokens: [[ExplainedToken]]
  /// Per method, seconds spent computing its attributions (teacher-forced trace, gradients,
  /// ablations, method), the shared decoding excluded.
  var seconds: [Double]
  /// Scores the window's explained tokens with frames removed; built on first use.
  var scorer: () throws -> any MaskedScorer
}

extension Explainer {
  /// Visits each window of `transcript` (of `pcm`) with every method's attributions: the
  /// benchmark's entry point, which needs per-window access to the masked scorer. Each method
  /// runs on its own window context so that its time includes everything it computes.
  func forEachWindow(
    _ pcm: [Float], transcript: Transcript, methods: [AttributionMethod], _ body: (ExplainedWindow) throws -> Void
  ) throws {
    try options.validate()
    let features = LazyFeatures(model: model, pcm: pcm)
    let mel = transcript.windows.allSatisfy { $0.audio != nil } ? nil : try features.mel()
    var explained = 0
    for (windowIndex, window) in transcript.windows.enumerated() {
      let melWindow: () throws -> (mel: [Float], silence: Float) = { [model] in
        let all = try features.mel()
        return (model.window(of: all, start: window.seek, end: window.seek + window.frames), features.silence)
      }
      var perMethod: [[ExplainedToken]] = []
      var seconds: [Double] = []
      for method in methods {
        let started = Self.monotonicSeconds()
        var tokens = try explainWindow(window, mel: mel, sampleCount: pcm.count, methods: [method], melWindow: melWindow)[0]
        seconds.append(Self.monotonicSeconds() - started)
        for k in tokens.indices {
          tokens[k].index = explained + k
          tokens[k].window = windowIndex
        }
        perMethod.append(tokens)
      }
      let count = perMethod.first?.count ?? 0
      explained += count
      var made: (any MaskedScorer)?
      let scorer: () throws -> any MaskedScorer = { [model, tokenizer = model.tokenizer] in
        if let made { return made }
        let input = window.prompt + window.tokens
        let positions = window.tokens.indices.filter { !tokenizer.isSpecial(window.tokens[$0]) }
          .map { window.prompt.count + $0 }
        let audio: WhisperDecoder.AudioContext
        if let kept = window.audio {
          audio = kept
        } else {
          let all = try features.mel()
          audio = model.decoder.audioContext(
            model.encoder.encode(model.window(of: all, start: window.seek, end: window.seek + window.frames)))
        }
        let context = WindowContext(
          model: model, input: input, rows: positions.map { $0 - 1 }, targets: positions.map { input[$0] },
          audio: audio, audioFrames: Self.audioFrames(window, sampleCount: pcm.count), windowSeek: window.seek,
          melWindow: melWindow)
        let scorer = try context.maskedScorer()
        made = scorer
        return scorer
      }
      try body(ExplainedWindow(index: windowIndex, window: window, tokens: perMethod, seconds: seconds, scorer: scorer))
    }
  }

  /// 20 ms audio frames of a window (as `explainWindow` crops them).
  static func audioFrames(_ window: DecodedWindow, sampleCount: Int) -> Int {
    let windowSamples = min(LogMel.samplesPerWindow, max(0, sampleCount - window.seek * LogMel.hopLength))
    return max(1, (windowSamples + 319) / 320)
  }

  static func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  }
}
