/// Audit warnings attached to explained tokens and words (docs/methods.md,
/// "Per-token output, words and flags"). They point a reviewer at tokens worth listening to; they
/// are warnings, not verdicts: a flagged token can be right, and an unflagged one wrong.
///
/// - `diffuse`: the attribution is spread out: normalised entropy above
///   `diffuseEntropy` (0.85; a map on one word's 200–400 ms of a 10 s clip scores ~0.4–0.6,
///   a uniform one 1.0).
/// - `weak-support`: the attribution's peak is far from where the neighbouring tokens come
///   from: more than `isolationSeconds` (2 s) from the peaks of both the previous and the
///   next token, or the raw cross-attention put most of its mass (> 0.5) on padding frames.
///
/// One more, on words only and only with `ExplainOptions.verify`: `unconfirmed`, when
/// silencing the audio the word's attribution points at did not halve its probability
/// (`SilenceCheck`).
public enum AuditFlags {
  public static let unconfirmed = "unconfirmed"
  public static let diffuseEntropy: Float = 0.85
  public static let isolationSeconds = 2.0
  public static let paddingMass: Float = 0.5

  /// Flags for each of `attributions` (in text order).
  public static func flags(_ attributions: [TokenAttribution]) -> [[String]] {
    attributions.indices.map { i in
      var flags: [String] = []
      let a = attributions[i]
      if a.normalizedEntropy > diffuseEntropy { flags.append("diffuse") }
      let previous = i > 0 ? abs(attributions[i - 1].peak - a.peak) : nil
      let next = i + 1 < attributions.count ? abs(attributions[i + 1].peak - a.peak) : nil
      let distances = [previous, next].compactMap { $0 }
      let isolated = !distances.isEmpty && distances.allSatisfy { $0 > isolationSeconds }
      if isolated || a.paddingMass > paddingMass { flags.append("weak-support") }
      return flags
    }
  }
}
