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
  /// The window's words (`tokenIndices` index the utterance's explained tokens, as `index`).
  var words: [WordTokens]
  /// Per method, the boundaries of `words` from that method's maps.
  var boundaries: [[WordInterval]]
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
    // The methods' times must not include --verify's masked passes, whose checks are unused here.
    var explainer = self
    explainer.options.verify = false
    let features = LazyFeatures(model: model, pcm: pcm)
    var explained = 0
    for (windowIndex, window) in transcript.windows.enumerated() {
      var perMethod: [[ExplainedToken]] = []
      var seconds: [Double] = []
      var words: [WordTokens] = []
      var boundaries: [[WordInterval]] = []
      for method in methods {
        let started = Self.monotonicSeconds()
        let result = try explainer.explainWindow(window, features: features, sampleCount: pcm.count, methods: [method])
        seconds.append(Self.monotonicSeconds() - started)
        var tokens = result.tokens[0]
        words = result.words.map { $0.offsetBy(explained) }
        boundaries.append(result.boundaries[0])
        for k in tokens.indices {
          tokens[k].index = explained + k
          tokens[k].window = windowIndex
        }
        perMethod.append(tokens)
      }
      let count = perMethod.first?.count ?? 0
      explained += count
      var made: (any MaskedScorer)?
      let scorer: () throws -> any MaskedScorer = {
        if let made { return made }
        guard let (context, _) = try makeContext(window, features: features, sampleCount: pcm.count) else {
          throw LeafXError.internal("window at \(window.seek) has no explained token to score")
        }
        let scorer = try context.maskedScorer()
        made = scorer
        return scorer
      }
      try body(
        ExplainedWindow(
          index: windowIndex, window: window, tokens: perMethod, words: words, boundaries: boundaries, seconds: seconds,
          scorer: scorer))
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
