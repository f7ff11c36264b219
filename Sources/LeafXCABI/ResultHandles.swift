import CLeafXABI
import LeafXCore

/// `leafx_model`: a loaded model and its name as a C string.
final class ModelHandle: Sendable {
  let model: WhisperModel
  let name: PinnedCString

  init(_ model: WhisperModel) {
    self.model = model
    self.name = PinnedCString(model.name)
  }
}

/// An attribution lent to C: values pinned, with the first frame's global index.
struct PinnedAttribution: @unchecked Sendable {  // immutable after init
  let values: PinnedFloats
  let count: Int
  let firstFrame: Int
}

/// `leafx_result`: a transcript, an explanation or external attributions, with every string
/// and array the accessors lend pinned for the handle's lifetime, and the C views
/// (segments, tokens, words) built once.
final class ResultHandle: @unchecked Sendable {  // immutable after init
  let text: PinnedCString
  let language: PinnedCString
  let languageProbability: Float
  let segments: [leafx_segment]
  let tokens: [leafx_token]
  let words: [leafx_word]
  /// Words with their times (punctuation joined): an explanation's, or a transcription's with
  /// word timestamps; empty for a plain transcription.
  let timedWords: [leafx_timed_word]
  /// Empty for a plain transcription.
  let tokenAttributions: [PinnedAttribution]
  let wordAttributions: [PinnedAttribution]
  let json: @Sendable () -> String
  /// The HTML report of an explanation of leafx's own model (`leafx explain --format html`)
  /// from the audio that was explained and its path; nil for other results.
  let html: (@Sendable (_ pcm: [Float], _ audioPath: String?) throws -> String)?
  /// The number of samples explained (what `html` must be given); nil with `html`.
  let explainedSamples: Int?
  /// Duration of one attribution frame, seconds.
  let frameSeconds: Double
  private let strings: [PinnedCString]

  /// A plain transcription.
  convenience init(_ transcript: Transcript, model: WhisperModel) {
    var strings: [PinnedCString] = []
    var segments: [leafx_segment] = []
    var tokens: [leafx_token] = []
    let tokenizer = model.tokenizer
    for (index, segment) in transcript.segments.enumerated() {
      let first = tokens.count
      for (id, probability) in zip(segment.tokens, segment.tokenProbabilities) where !tokenizer.isSpecial(id) {
        tokens.append(Self.token(id: id, text: tokenizer.tokenText(id), probability: probability, segment: index, strings: &strings))
      }
      segments.append(Self.segment(segment, first: first, count: tokens.count - first, strings: &strings))
    }
    self.init(
      text: transcript.text, language: transcript.language, languageProbability: transcript.languageProbability,
      segments: segments, tokens: tokens, words: [], tokenAttributions: [], wordAttributions: [], strings: strings,
      json: { TranscriptJSON.render(transcript, model: model, audioPath: nil) })
  }

  /// A transcription with word timestamps: the explanation they come from, answering in JSON
  /// as a transcription with words.
  convenience init(_ timed: WordTimestamps, model: WhisperModel, samples: Int) {
    let words = timed.words
    self.init(
      timed.explanation, model: model, samples: samples, timedWords: words,
      json: { TranscriptJSON.render(timed.transcript, model: model, audioPath: nil, words: words) })
  }

  /// An explanation of `samples` samples: tokens are the explained tokens; each belongs to the
  /// segment of its window that covers it in text order. `timedWords`: its timed words when
  /// the caller has them already.
  convenience init(
    _ e: Explanation, model: WhisperModel, samples: Int, timedWords given: [TimedWord]? = nil,
    json: (@Sendable () -> String)? = nil
  ) {
    var strings: [PinnedCString] = []
    let t = e.transcript
    let segmentOfToken = e.segmentOfTokens(tokenizer: model.tokenizer)
    var tokens: [leafx_token] = []
    var tokenAttributions: [PinnedAttribution] = []
    for (token, segment) in zip(e.tokens, segmentOfToken) {
      var c = Self.token(id: token.id, text: token.text, probability: token.probability, segment: segment, strings: &strings)
      Self.fill(&c, token.attribution, flags: token.flags)
      tokens.append(c)
      tokenAttributions.append(Self.pin(token.attribution))
    }
    var segments: [leafx_segment] = []
    for (i, s) in t.segments.enumerated() {
      let members = segmentOfToken.indices.filter { segmentOfToken[$0] == i }
      segments.append(Self.segment(s, first: members.first ?? tokens.count, count: members.count, strings: &strings))
    }
    var words: [leafx_word] = []
    var wordAttributions: [PinnedAttribution] = []
    for w in e.words {
      let text = PinnedCString(w.word)
      strings.append(text)
      let a = w.attribution
      words.append(
        leafx_word(
          struct_size: MemoryLayout<leafx_word>.size, text: UnsafePointer(text.pointer), i_first_token: w.tokens.first ?? 0,
          n_tokens: w.tokens.count, probability: w.probability, peak_s: a.peak, start_s: a.start, end_s: a.end,
          entropy: a.normalizedEntropy, flags: Self.flagBits(w.flags), silenced_start_s: w.silenceCheck?.start ?? .nan,
          silenced_end_s: w.silenceCheck?.end ?? .nan, log_probability: w.silenceCheck?.logProbability ?? .nan,
          silenced_log_probability: w.silenceCheck?.silencedLogProbability ?? .nan,
          silence_drop: w.silenceCheck?.drop ?? .nan, boundary_start_s: w.boundary?.start ?? .nan,
          boundary_end_s: w.boundary?.end ?? .nan))
      wordAttributions.append(Self.pin(a))
    }
    var timedWords: [leafx_timed_word] = []
    for w in given ?? e.timedWords(tokenizer: model.tokenizer, segments: segmentOfToken) {
      let text = PinnedCString(w.word)
      strings.append(text)
      timedWords.append(
        leafx_timed_word(
          struct_size: MemoryLayout<leafx_timed_word>.size, text: UnsafePointer(text.pointer), start_s: w.start,
          end_s: w.end, probability: w.probability, i_segment: w.segment, i_first_token: w.tokens.first ?? 0,
          n_tokens: w.tokens.count))
    }
    self.init(
      text: e.text, language: t.language, languageProbability: t.languageProbability, segments: segments, tokens: tokens,
      words: words, timedWords: timedWords, tokenAttributions: tokenAttributions, wordAttributions: wordAttributions,
      strings: strings, json: json ?? { ExplanationJSON.render(e, model: model, audioPath: nil) },
      html: { pcm, audioPath in try HTMLReport.render(e, model: model, audioPath: audioPath, pcm: pcm) },
      explainedSamples: samples)
  }

  /// Attributions of attention captured elsewhere: one token per explained row.
  convenience init(external attributions: [TokenAttribution], tokenIDs: [Int32]?) {
    var strings: [PinnedCString] = []
    var tokens: [leafx_token] = []
    for (k, a) in attributions.enumerated() {
      var c = Self.token(id: Int(tokenIDs?[k] ?? -1), text: "", probability: .nan, segment: 0, strings: &strings)
      Self.fill(&c, a, flags: [])
      tokens.append(c)
    }
    let pinned = attributions.map(Self.pin)
    self.init(
      text: "", language: "", languageProbability: 0, segments: [], tokens: tokens, words: [],
      tokenAttributions: pinned, wordAttributions: [], strings: strings,
      frameSeconds: attributions.first?.frameSeconds ?? TokenAttribution.whisperFrameSeconds,
      json: { ExternalAttributionJSON.render(attributions, tokenIDs: tokenIDs) })
  }

  private init(
    text: String, language: String, languageProbability: Float, segments: [leafx_segment], tokens: [leafx_token],
    words: [leafx_word], timedWords: [leafx_timed_word] = [], tokenAttributions: [PinnedAttribution],
    wordAttributions: [PinnedAttribution], strings: [PinnedCString], frameSeconds: Double = TokenAttribution.whisperFrameSeconds,
    json: @escaping @Sendable () -> String,
    html: (@Sendable (_ pcm: [Float], _ audioPath: String?) throws -> String)? = nil, explainedSamples: Int? = nil
  ) {
    self.text = PinnedCString(text)
    self.language = PinnedCString(language)
    self.languageProbability = languageProbability
    self.segments = segments
    self.tokens = tokens
    self.words = words
    self.timedWords = timedWords
    self.tokenAttributions = tokenAttributions
    self.wordAttributions = wordAttributions
    self.strings = strings
    self.json = json
    self.html = html
    self.explainedSamples = explainedSamples
    self.frameSeconds = frameSeconds
  }

  static func token(id: Int, text: String, probability: Float, segment: Int, strings: inout [PinnedCString]) -> leafx_token {
    let pinned = PinnedCString(text)
    strings.append(pinned)
    return leafx_token(
      struct_size: MemoryLayout<leafx_token>.size, id: Int32(truncatingIfNeeded: id), text: UnsafePointer(pinned.pointer),
      probability: probability, i_segment: segment, peak_s: .nan, start_s: .nan, end_s: .nan, entropy: .nan,
      padding_mass: .nan, flags: 0)
  }

  static func fill(_ c: inout leafx_token, _ a: TokenAttribution, flags: AuditFlags) {
    c.peak_s = a.peak
    c.start_s = a.start
    c.end_s = a.end
    c.entropy = a.normalizedEntropy
    c.padding_mass = a.paddingMass
    c.flags = flagBits(flags)
  }

  static func segment(_ s: TranscriptSegment, first: Int, count: Int, strings: inout [PinnedCString]) -> leafx_segment {
    let text = PinnedCString(s.text)
    strings.append(text)
    return leafx_segment(
      struct_size: MemoryLayout<leafx_segment>.size, start_s: s.start, end_s: s.end, text: UnsafePointer(text.pointer),
      i_first_token: first, n_tokens: count, avg_logprob: s.avgLogProb, no_speech_prob: s.noSpeechProb,
      temperature: s.temperature, compression_ratio: s.compressionRatio)
  }

  static func flagBits(_ flags: AuditFlags) -> UInt32 {
    (flags.contains(.diffuse) ? LEAFX_FLAG_DIFFUSE : 0) | (flags.contains(.weakSupport) ? LEAFX_FLAG_WEAK_SUPPORT : 0)
      | (flags.contains(.unconfirmed) ? LEAFX_FLAG_UNCONFIRMED : 0)
  }

  static func pin(_ a: TokenAttribution) -> PinnedAttribution {
    PinnedAttribution(values: PinnedFloats(a.values), count: a.values.count, firstFrame: a.offset)
  }
}
