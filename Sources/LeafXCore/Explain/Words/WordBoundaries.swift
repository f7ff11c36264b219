#if canImport(Glibc)
  import Glibc
#endif

/// Word boundaries from the attributions of one window (docs/word-timestamps.md, "Segmentation"):
/// contiguous, non-overlapping, monotone intervals, one per word, with pauses between them.
///
/// Every frame j of the window is labelled with one state of the chain
/// `pause₀ → word₁ → pause₁ → word₂ → … → word_W → pause_W` (a word may follow the previous
/// word directly; every word holds at least one frame; pauses may be empty), choosing the
/// labelling that maximises
///
/// ```
/// Σ_j  log( s(j) · q_i(j) + ε )   for frames labelled word i
///    + log( 1 − s(j) + ε )        for frames labelled a pause
///    − β · (pauses between two words)
///
/// q_i(j) = a_i(j − λ) / Σ_k a_k(j − λ)      the words' attributions, shared out per frame
/// s(j)   = σ((e(j) − θ) / κ)                speech probability from the frame's energy
/// ```
///
/// with `a_i` word i's attribution over the window's frames, λ = `lagFrames` the lag of the
/// attributions behind the word boundaries (measured on the dev set: the boundaries between
/// two words came out ~60 ms early without it), `e(j)` the frame's mean log-mel energy in dB,
/// θ a threshold set per window between its quiet and loud frames, and β = `pausePenalty`
/// the price of a pause between two words (without it, every dip of energy inside a phrase,
/// such as a stop's closure, became a pause that cut the words around it short). Viterbi
/// over the 2W + 1 states: O(W·F) time.
public enum WordBoundaries {
  /// How the speech probability is set (docs/word-timestamps.md, "Pauses").
  public struct SpeechModel: Sendable, Equatable {
    /// Percentiles of the window's frame energies taken as its quiet and loud levels.
    public var quietPercentile: Float = 10
    public var loudPercentile: Float = 95
    /// θ = quiet + `threshold` · (loud − quiet).
    public var threshold: Float = 0.15
    /// κ, dB: how sharply the speech probability turns from 0 to 1 around θ.
    public var slope: Float = 3
    /// Below this many dB between the quiet and loud levels the window has no pauses to find
    /// (one long sound, or silence throughout): every frame counts as speech.
    public var minimumContrast: Float = 6
    public init() {}
  }

  /// Floor added inside the logarithms, so that no label is impossible.
  static let epsilon: Float = 1e-6

  /// λ: frames by which a word's attribution is moved later before the frames are shared
  /// out (docs/word-timestamps.md, "Lag").
  public static let lagFrames = 3

  /// β, nats: the price of a pause between two words (docs/word-timestamps.md, "Pauses").
  public static let pausePenalty: Float = 10

  /// The frames of each word: one non-empty half-open range per map, in order, not
  /// overlapping. Needs `maps.count ≤ speech.count` (one frame per word at least); with more
  /// words than frames the words share out the frames one each and the rest get the last frame.
  /// - Parameters:
  ///   - maps: each word's attribution over the window's F frames (non-negative).
  ///   - speech: s(j), the probability that frame j is speech, F values in [0, 1].
  public static func segment(maps: [[Float]], speech: [Float], lag: Int = lagFrames) -> [Range<Int>] {
    let words = maps.count
    let frames = speech.count
    guard words > 0 else { return [] }
    guard frames >= words else {
      return (0..<words).map { i in
        let j = min(i, max(frames - 1, 0))
        return j..<(j + 1)
      }
    }
    let wordScore = emissionScores(maps: maps, speech: speech, lag: lag)
    let pauseScore = speech.map { logf(1 - $0 + epsilon) }
    let states = 2 * words + 1
    // back[j · states + s]: the state of frame j − 1 on the best path into state s at frame j.
    var back = [Int32](repeating: 0, count: frames * states)
    let impossible = -Float.greatestFiniteMagnitude
    var score = [Float](repeating: impossible, count: states)
    var next = score
    score[0] = pauseScore[0]
    score[1] = wordScore[0]
    wordScore.withUnsafeBufferPointer { emission in
      back.withUnsafeMutableBufferPointer { back in
        for j in 1..<frames {
          for s in 0..<states {
            // Stay, advance from the state before, or (a word) come straight from the previous word.
            var best = score[s]
            var from = s
            // Entering a pause between two words (not the one after the last) costs β.
            let entry = s >= 2 && s % 2 == 0 && s < states - 1 ? pausePenalty : 0
            if s >= 1 && score[s - 1] - entry > best {
              best = score[s - 1] - entry
              from = s - 1
            }
            if s % 2 == 1 && s >= 3 && score[s - 2] > best {
              best = score[s - 2]
              from = s - 2
            }
            guard best > impossible else {
              next[s] = impossible
              continue
            }
            let e = s % 2 == 0 ? pauseScore[j] : emission[(s / 2) * frames + j]
            next[s] = best + e
            back[j * states + s] = Int32(from)
          }
          swap(&score, &next)
        }
      }
    }
    // The path ends in the last word or the pause after it.
    var state = score[states - 1] >= score[states - 2] ? states - 1 : states - 2
    var first = [Int](repeating: frames, count: words)
    var last = [Int](repeating: -1, count: words)
    for j in stride(from: frames - 1, through: 0, by: -1) {
      if state % 2 == 1 {
        let i = state / 2
        first[i] = j
        if last[i] < 0 { last[i] = j }
      }
      if j > 0 { state = Int(back[j * states + state]) }
    }
    return (0..<words).map { first[$0]..<(last[$0] + 1) }
  }

  /// `log(s(j) · q_i(j) + ε)`, `[word][frame]` flattened; frame j reads the maps at
  /// `j − lag` (the first frames repeat frame 0).
  static func emissionScores(maps: [[Float]], speech: [Float], lag: Int) -> [Float] {
    let frames = speech.count
    let shifted = maps.map { map in
      (0..<frames).map { j -> Float in
        let source = min(max(j - lag, 0), map.count - 1)
        return source >= 0 ? max(map[source], 0) : 0
      }
    }
    var column = [Float](repeating: 0, count: frames)
    for map in shifted {
      for j in 0..<frames { column[j] += map[j] }
    }
    var scores = [Float](repeating: 0, count: maps.count * frames)
    for (i, map) in shifted.enumerated() {
      for j in 0..<frames {
        let share = column[j] > 0 ? map[j] / column[j] : 0
        scores[i * frames + j] = logf(speech[j] * share + epsilon)
      }
    }
    return scores
  }

  /// s(j) for each 20 ms frame from its energy (dB): a logistic step at θ, set between the
  /// window's quiet and loud levels.
  public static func speechProbability(energy: [Float], model: SpeechModel = SpeechModel()) -> [Float] {
    guard !energy.isEmpty else { return [] }
    let sorted = energy.sorted()
    func percentile(_ p: Float) -> Float {
      let position = p / 100 * Float(sorted.count - 1)
      let below = Int(position.rounded(.down))
      let above = min(below + 1, sorted.count - 1)
      let t = position - Float(below)
      return sorted[below] * (1 - t) + sorted[above] * t
    }
    let quiet = percentile(model.quietPercentile)
    let loud = percentile(model.loudPercentile)
    guard loud - quiet >= model.minimumContrast else { return [Float](repeating: 1, count: energy.count) }
    let theta = quiet + model.threshold * (loud - quiet)
    return energy.map { 1 / (1 + expf(-($0 - theta) / model.slope)) }
  }

  /// Mean log-mel energy (dB) of each 20 ms frame of a window: the mean over the mel bins and
  /// the frame's two 10 ms log-mel columns. `mel` is `[nMels, width]` in Whisper's scaled
  /// units ((log10 + 4) / 4, so one unit is 40 dB); frames past `width / 2` repeat the last.
  public static func frameEnergy(mel: [Float], nMels: Int, width: Int, frames: Int) -> [Float] {
    guard nMels > 0, width > 0 else { return [Float](repeating: 0, count: frames) }
    var columns = [Float](repeating: 0, count: width)
    mel.withUnsafeBufferPointer { m in
      for bin in 0..<nMels {
        let row = m.baseAddress! + bin * width
        for t in 0..<width { columns[t] += row[t] }
      }
    }
    let scale = 40 / Float(nMels)
    return (0..<frames).map { j in
      let a = min(2 * j, width - 1)
      let b = min(2 * j + 1, width - 1)
      return (columns[a] + columns[b]) / 2 * scale
    }
  }
}

/// A word's extent in the audio, seconds: where it starts and ends (not the half-mass span of
/// its attribution). Empty (start == end) for punctuation, which has no sound of its own.
public struct WordInterval: Sendable, Equatable {
  public var start: Double
  public var end: Double
  public init(start: Double, end: Double) {
    self.start = start
    self.end = end
  }
}

extension WordBoundaries {
  /// Punctuation that closes the word before it, and that opens the word after it (the sets
  /// of openai-whisper's and faster-whisper's word timestamps).
  static let closingPunctuation: Set<Character> = ["\"", "'", ".", "。", ",", "，", "!", "！", "?", "？", ":", "：", "”", ")", "]", "}", "、"]
  static let openingPunctuation: Set<Character> = ["\"", "'", "“", "¿", "(", "[", "{", "-"]

  /// How a word of Whisper's grouping takes part in the segmentation.
  enum Role: Equatable {
    case sounding
    /// Punctuation that closes the previous sounding word (its interval: that word's end).
    case closing
    /// Punctuation that opens the next sounding word (its interval: that word's start).
    case opening
  }

  /// Roles of `words` (texts as grouped, leading spaces included): punctuation joins the
  /// sounding word before it (closing) or, at the start or for opening marks, after it; when
  /// no word sounds, all of them count as sounding.
  static func roles(_ words: [String]) -> [Role] {
    let stripped = words.map(\.stripped)
    var roles: [Role] = stripped.map { text in
      guard !text.isEmpty else { return .closing }
      if text.allSatisfy(closingPunctuation.contains) { return .closing }
      if text.allSatisfy(openingPunctuation.contains) { return .opening }
      return .sounding
    }
    guard let firstSounding = roles.firstIndex(of: .sounding) else {
      return roles.map { _ in .sounding }
    }
    // Nothing sounds before the first sounding word to close; an opening mark at the end has
    // nothing to open.
    for i in 0..<firstSounding { roles[i] = .opening }
    if let lastSounding = roles.lastIndex(of: .sounding) {
      for i in (lastSounding + 1)..<roles.count { roles[i] = .closing }
    }
    return roles
  }

  /// For each word, the index of the sounding word it belongs to (itself when it sounds):
  /// closing punctuation belongs to the sounding word before it, opening punctuation to the
  /// one after it (`roles` makes every mark before the first sounding word opening and every
  /// mark after the last closing, and with no sounding word every word sounds).
  static func soundingWords(_ roles: [Role]) -> [Int] {
    var owner = Array(roles.indices)
    var previous: Int? = nil
    for i in roles.indices where roles[i] != .opening {
      if roles[i] == .sounding { previous = i }
      owner[i] = previous ?? i
    }
    var next: Int? = nil
    for i in roles.indices.reversed() {
      if roles[i] == .sounding { next = i }
      if roles[i] == .opening { owner[i] = next ?? i }
    }
    return owner
  }

  /// The interval of each of a window's words (Whisper's grouping, in order): the sounding
  /// words are segmented, and punctuation gets an empty interval at the edge of the word it
  /// belongs to. Punctuation's own maps are left out: a comma is written after its word and
  /// its map points past it, at the pause or the next word (on JFK it dragged "so" 0.5 s late).
  /// - Parameters:
  ///   - words: the words' texts, as grouped.
  ///   - maps: each word's attribution over the window's frames.
  ///   - energy: each frame's mean log-mel energy, dB (`frameEnergy`).
  ///   - offset: global index of the window's first frame.
  public static func intervals(
    words: [String], maps: [[Float]], energy: [Float], offset: Int,
    frameSeconds: Double = TokenAttribution.whisperFrameSeconds
  ) -> [WordInterval] {
    guard !words.isEmpty else { return [] }
    let roles = roles(words)
    let sounding = soundingWords(roles)
    let soundingIndices = roles.indices.filter { roles[$0] == .sounding }
    let ranges = segment(maps: soundingIndices.map { maps[$0] }, speech: speechProbability(energy: energy))
    var seconds: [Int: WordInterval] = [:]
    for (i, range) in zip(soundingIndices, ranges) {
      seconds[i] = WordInterval(
        start: Double(offset + range.lowerBound) * frameSeconds, end: Double(offset + range.upperBound) * frameSeconds)
    }
    return roles.indices.map { i in
      let whole = seconds[sounding[i]]!
      switch roles[i] {
      case .sounding: return whole
      case .closing: return WordInterval(start: whole.end, end: whole.end)
      case .opening: return WordInterval(start: whole.start, end: whole.start)
      }
    }
  }
}

