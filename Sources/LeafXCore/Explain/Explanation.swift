/// One explained token: what was written and where in the audio it came from.
public struct ExplainedToken: Sendable {
  /// Position among the explained tokens of the whole result.
  public var index: Int
  public var id: Int
  public var text: String
  public var probability: Float
  /// The window (index into `Transcript.windows`, or 0 in forced mode) it was written in.
  public var window: Int
  public var attribution: TokenAttribution
  /// Audit warnings (`diffuse`, `weak-support`): see `AuditFlags`.
  public var flags: AuditFlags
}

/// One explained word: tokens grouped as Whisper groups them; its attribution is the
/// renormalised sum of its tokens'.
public struct ExplainedWord: Sendable {
  public var word: String
  /// Indices into `Explanation.tokens`.
  public var tokens: [Int]
  /// Mean of its tokens' probabilities (faster-whisper's word probability).
  public var probability: Float
  public var attribution: TokenAttribution
  public var flags: AuditFlags
  /// With `ExplainOptions.verify`: the word scored again with its attribution's span silenced.
  public var silenceCheck: SilenceCheck?
  /// Where the word starts and ends in the audio (WordBoundaries): contiguous, in order and
  /// not overlapping the other words' (unlike the attribution's half-mass span); empty for
  /// punctuation.
  public var boundary: WordInterval?

  public init(
    word: String, tokens: [Int], probability: Float, attribution: TokenAttribution, flags: AuditFlags,
    silenceCheck: SilenceCheck? = nil, boundary: WordInterval? = nil
  ) {
    self.boundary = boundary
    self.word = word
    self.tokens = tokens
    self.probability = probability
    self.attribution = attribution
    self.flags = flags
    self.silenceCheck = silenceCheck
  }

  /// A word's attribution: the renormalised sum of its tokens' (docs/methods.md,
  /// "Per-token output, words and flags"), their mean padding mass.
  static func attribution(of members: [ExplainedToken]) -> TokenAttribution {
    guard let first = members.first else { return TokenAttribution(raw: [], offset: 0, paddingMass: 0) }
    var sum = [Float](repeating: 0, count: first.attribution.values.count)
    for m in members {
      for j in sum.indices { sum[j] += m.attribution.values[j] }
    }
    let padding = members.map(\.attribution.paddingMass).reduce(0, +) / Float(members.count)
    return TokenAttribution(raw: sum, offset: first.attribution.offset, paddingMass: padding)
  }
}

/// The result of `leafx explain`: a transcript (decoded, or given in forced mode) and an
/// attribution per token and word.
public struct Explanation: Sendable {
  public var transcript: Transcript
  public var options: ExplainOptions
  /// True when the text was given (forced mode) rather than decoded.
  public var forced: Bool
  public var tokens: [ExplainedToken]
  public var words: [ExplainedWord]
  public var text: String { transcript.text }
}
