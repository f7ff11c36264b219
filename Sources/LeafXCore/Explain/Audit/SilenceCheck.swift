#if canImport(Glibc)
  import Glibc
#endif

/// The check behind `leafx explain --verify` (docs/leafx.md, "Checking a word by silencing
/// it"): an attribution says where a word came from; silencing exactly that audio and
/// scoring the word again says whether the model needed it.
///
/// For each word, the half-mass span of its attribution, widened by `marginSeconds` on each
/// side and cropped to the window's audio, is set to silence in the log-mel
/// (`MaskedScoring`), and the word's tokens are scored again with the written text held
/// fixed (teacher forcing). `drop` is the word's log-probability lost, in nats. A word whose
/// probability is not even halved (`drop < ln 2`) is flagged `unconfirmed`: the model writes
/// it about as readily without the audio the attribution points at, because the evidence
/// lies elsewhere, or because the text around it decides the word. One masked encoder and
/// decoder pass per word, the words of a window encoded in batches.
///
/// Why 100 ms: the half-mass span is narrower than the word it points at; widened by 100 ms
/// it silences as much audio as the word's forced-alignment span widened by 60 ms (TLoc's
/// 50 ms tolerance in whole frames) would: median 0.36 s against 0.34 s on 105 dev words
/// (docs/leafx.md). Widened by 60 ms, it left 15 % of correctly decoded words unconfirmed,
/// against 4 % when their aligned span is silenced.
public struct SilenceCheck: Sendable, Equatable {
  /// The silenced span, seconds from the start of the recording.
  public var start: Double
  public var end: Double
  /// Sum of the word's token log-probabilities with all the audio.
  public var logProbability: Float
  /// The same with the span silenced.
  public var silencedLogProbability: Float

  /// Log-probability lost by silencing the span, nats (negative: the word got likelier).
  public var drop: Float { logProbability - silencedLogProbability }
  /// The word's probability was at least halved.
  public var confirmed: Bool { drop >= Self.confirmingDrop }

  public static let marginSeconds = 0.1
  public static let confirmingDrop = logf(2)

  /// The frames (window-relative, `0 ..< frames`) silenced for an attribution whose
  /// half-mass span is `[first, last]`.
  static func silencedFrames(first: Int, last: Int, frames: Int) -> Range<Int> {
    let margin = Int((marginSeconds / TokenAttribution.whisperFrameSeconds).rounded())
    let lower = max(0, min(first - margin, frames))
    return lower..<max(lower, min(last + 1 + margin, frames))
  }

  /// Checks every word of one window.
  /// - Parameters:
  ///   - words: each word's explained-token positions (`0 ..< scorer.tokenCount`) and
  ///     attribution (window-relative frames in `values`, `offset` its global first frame).
  ///   - scorer: the window's masked scorer.
  static func check(
    words: [(tokens: [Int], attribution: TokenAttribution)], scorer: any MaskedScorer
  ) throws -> [SilenceCheck] {
    guard !words.isEmpty else { return [] }
    let frames = scorer.frames
    let spans = words.map { word -> Range<Int> in
      let (first, last) = TokenAttribution.halfMassSpan(Array(word.attribution.values.prefix(frames)))
      return silencedFrames(first: first, last: last, frames: frames)
    }
    let masks = spans.map { span in (0..<frames).map { !span.contains($0) } }
    let full = try scorer.unmaskedLogProbs()
    let silenced = try scorer.logProbs(keeping: masks)
    return words.indices.map { w in
      let offset = Double(words[w].attribution.offset)
      let seconds = TokenAttribution.whisperFrameSeconds
      return SilenceCheck(
        start: (offset + Double(spans[w].lowerBound)) * seconds, end: (offset + Double(spans[w].upperBound)) * seconds,
        logProbability: words[w].tokens.reduce(0) { $0 + full[$1] },
        silencedLogProbability: words[w].tokens.reduce(0) { $0 + silenced[w][$1] })
    }
  }
}
