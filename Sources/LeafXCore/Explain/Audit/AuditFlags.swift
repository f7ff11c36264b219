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
public struct AuditFlags: OptionSet, Sendable, Hashable {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  /// The bits are those of leafx.h's `LEAFX_FLAG_*`.
  public static let diffuse = AuditFlags(rawValue: 1)
  public static let weakSupport = AuditFlags(rawValue: 2)
  public static let unconfirmed = AuditFlags(rawValue: 4)

  /// The set flags' names as every output writes them, in bit order.
  public var names: [String] {
    [(Self.diffuse, "diffuse"), (.weakSupport, "weak-support"), (.unconfirmed, "unconfirmed")]
      .filter { contains($0.0) }.map(\.1)
  }

  public static let diffuseEntropy: Float = 0.85
  public static let isolationSeconds = 2.0
  public static let paddingMass: Float = 0.5

  /// Flags for each of `attributions` (in text order).
  public static func flags(_ attributions: [TokenAttribution]) -> [AuditFlags] {
    attributions.indices.map { i in
      var flags: AuditFlags = []
      let a = attributions[i]
      if a.normalizedEntropy > diffuseEntropy { flags.insert(.diffuse) }
      let previous = i > 0 ? abs(attributions[i - 1].peak - a.peak) : nil
      let next = i + 1 < attributions.count ? abs(attributions[i + 1].peak - a.peak) : nil
      let distances = [previous, next].compactMap { $0 }
      let isolated = !distances.isEmpty && distances.allSatisfy { $0 > isolationSeconds }
      if isolated || a.paddingMass > paddingMass { flags.insert(.weakSupport) }
      return flags
    }
  }
}
