/// A word with its place in the audio, as a transcription with word timestamps lists it
/// (faster-whisper's `Word`): Whisper's words with punctuation joined to the word it closes
/// or opens, timed by their boundaries (WordBoundaries), not by their attributions' half-mass
/// spans.
public struct TimedWord: Sendable, Equatable {
  /// The text with its leading space, as decoded (`" Americans,"`).
  public var word: String
  /// Seconds from the start of the recording.
  public var start: Double
  public var end: Double
  /// Mean of its tokens' probabilities.
  public var probability: Float
  /// Indices into `Explanation.tokens`.
  public var tokens: [Int]
  /// Index into `Transcript.segments` of the segment its first token belongs to.
  public var segment: Int
}

extension Explanation {
  /// The segment (index into `transcript.segments`) of each explained token: the segments of
  /// its window, walked in text order by their counts of text tokens.
  public func segmentOfTokens(tokenizer: WhisperTokenizer) -> [Int] {
    let t = transcript
    var segmentsOfWindow: [Int: [Int]] = [:]
    for (i, s) in t.segments.enumerated() {
      if let w = t.windows.firstIndex(where: { $0.seek == s.seek }) { segmentsOfWindow[w, default: []].append(i) }
    }
    let textTokens = t.segments.map { $0.tokens.filter { !tokenizer.isSpecial($0) }.count }
    var used: [Int: Int] = [:]
    return tokens.map { token in
      let candidates = segmentsOfWindow[token.window] ?? []
      var segment = candidates.last ?? 0
      var seen = used[token.window, default: 0]
      for c in candidates {
        if seen < textTokens[c] {
          segment = c
          break
        }
        seen -= textTokens[c]
      }
      used[token.window, default: 0] += 1
      return segment
    }
  }

  /// The words with their times (docs/word-timestamps.md, "Words"): each punctuation word
  /// joins the sounding word it closes (or opens), the text is decoded from the tokens, the
  /// time is the sounding word's boundary. Empty when the words have no boundaries.
  /// - Parameter segments: `segmentOfTokens(tokenizer:)`, when the caller has it already.
  public func timedWords(tokenizer: WhisperTokenizer, segments: [Int]? = nil) -> [TimedWord] {
    guard !words.isEmpty, words.allSatisfy({ $0.boundary != nil }) else { return [] }
    let segments = segments ?? segmentOfTokens(tokenizer: tokenizer)
    let sounding = WordBoundaries.soundingWords(WordBoundaries.roles(words.map(\.word)))
    // A sounding word with the punctuation around it: consecutive words of one owner.
    var groups: [[Int]] = []
    for i in words.indices {
      if i > 0 && sounding[i] == sounding[i - 1] { groups[groups.count - 1].append(i) } else { groups.append([i]) }
    }
    return groups.map { members in
      let tokenIndices = members.flatMap { words[$0].tokens }
      let boundary = words[sounding[members[0]]].boundary!
      let probabilities = tokenIndices.map { self.tokens[$0].probability }
      return TimedWord(
        word: tokenizer.decode(tokenIndices.map { self.tokens[$0].id }), start: boundary.start, end: boundary.end,
        probability: probabilities.reduce(0, +) / Float(max(probabilities.count, 1)), tokens: tokenIndices,
        segment: tokenIndices.first.map { segments[$0] } ?? 0)
    }
  }
}

/// A transcription with word timestamps: the transcript `Transcriber` writes with the same
/// decoding options, and its words timed from the default `leafx` attributions (one
/// teacher-forced pass per window over what was decoded; docs/word-timestamps.md).
public struct WordTimestamps: Sendable {
  public var transcript: Transcript
  public var words: [TimedWord]
  /// The explanation the times come from (method `leafx`).
  public var explanation: Explanation

  /// Transcribes `pcm` (16 kHz mono) with `decoding` and times its words.
  public static func transcribe(
    _ pcm: [Float], model: WhisperModel, decoding: DecodingOptions, monitor: ProgressMonitor? = nil
  ) throws -> WordTimestamps {
    var explainer = Explainer(model: model, options: ExplainOptions(method: .leafx), decoding: decoding)
    // The transcript must be the one plain transcription writes with these options.
    explainer.timestampsBeyondOneWindow = false
    explainer.monitor = monitor
    let explanation = try explainer.explain(pcm)
    return WordTimestamps(
      transcript: explanation.transcript, words: explanation.timedWords(tokenizer: model.tokenizer),
      explanation: explanation)
  }
}
