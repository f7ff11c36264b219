#if canImport(Glibc)
  import Glibc
#endif

/// Word localisation of every method on a manifest (the dev-set check of the LEAF-X issue):
/// each utterance is decoded once, every method explains it from the same trace, decoded
/// words are matched to the aligned reference words (WordMatching), and each matched word's
/// attribution is scored against its aligned span (Localization). Figures are means over all
/// matched words of all utterances.
public struct LocalizationBench {
  public struct Row: Sendable {
    public var method: AttributionMethod
    public var words: Int
    public var tloc: Double
    public var pointing: Double
    public var massInSpan: Double
    public var midpointInSpan: Double
    /// Seconds spent explaining, per utterance (decoding excluded).
    public var secondsPerUtterance: Double
  }

  public let model: WhisperModel
  public let methods: [AttributionMethod]
  public var options: ExplainOptions
  public var decoding: DecodingOptions

  public init(model: WhisperModel, methods: [AttributionMethod], options: ExplainOptions, decoding: DecodingOptions) {
    self.model = model
    self.methods = methods
    self.options = options
    self.decoding = decoding
  }

  public func run(_ utterances: [Manifest.Utterance], progress: ((Int, String) -> Void)? = nil) throws -> [Row] {
    var sums = [[Double]](repeating: [0, 0, 0, 0], count: methods.count)
    var counts = [Int](repeating: 0, count: methods.count)
    var seconds = [Double](repeating: 0, count: methods.count)
    for (n, utterance) in utterances.enumerated() {
      progress?(n, utterance.id)
      let audio = try AudioDecoder.load(path: utterance.audio)
      let explainer = Explainer(model: model, options: options, decoding: decoding)
      // Decode once (keeping the encoder output); explain with each method on its own so the
      // runtime column is per method (trace, gradients and ablations; decoding excluded).
      var transcriber = Transcriber(model: model, options: decoding)
      transcriber.retainAudioContext = true
      let transcript = try transcriber.transcribe(audio.samples)
      var explanations: [Explanation] = []
      for (m, method) in methods.enumerated() {
        let started = Self.now()
        explanations.append(
          try explainer.explain(audio.samples, transcript: transcript, forced: false, methods: [method])[0])
        seconds[m] += Self.now() - started
      }
      let first = explanations[0]
      let decodedWords = first.words.map(\.word)
      let pairs = WordMatching.match(decoded: decodedWords, reference: utterance.words.map(\.word))
      for (m, e) in explanations.enumerated() {
        for (d, r) in pairs {
          let word = e.words[d]
          let span = utterance.words[r]
          let s = Localization.scores(
            values: word.attribution.values, offset: word.attribution.offset, start: span.start, end: span.end,
            halfMassStart: word.attribution.start, halfMassEnd: word.attribution.end)
          sums[m][0] += s.tloc
          sums[m][1] += s.pointing
          sums[m][2] += s.massInSpan
          sums[m][3] += s.midpointInSpan
          counts[m] += 1
        }
      }
    }
    return methods.indices.map { m in
      let c = Double(max(counts[m], 1))
      return Row(
        method: methods[m], words: counts[m], tloc: sums[m][0] / c, pointing: sums[m][1] / c,
        massInSpan: sums[m][2] / c, midpointInSpan: sums[m][3] / c,
        secondsPerUtterance: seconds[m] / Double(max(utterances.count, 1)))
    }
  }

  static func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  }
}
