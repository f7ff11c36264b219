#if canImport(Glibc)
  import Glibc
#endif

/// The attribution of one written token (or word) over the audio (docs/methods.md,
/// "Per-token output, words and flags"; docs/json-schema.md).
public struct TokenAttribution: Sendable {
  /// Global index of the first frame of `values` (frame k covers `[k·0.02, (k+1)·0.02)` s).
  public var offset: Int
  /// Non-negative shares of the audio frames of the token's window, summing to 1.
  public var values: [Float]
  /// Centre of the heaviest frame, seconds.
  public var peak: Double
  /// The smallest contiguous span holding half of the mass, seconds.
  public var start: Double
  public var end: Double
  /// Entropy of `values` divided by log(F): 0 for one frame, 1 for uniform.
  public var normalizedEntropy: Float
  /// Mass the raw cross-attention put on padding frames (mean over heads of the last layer).
  public var paddingMass: Float
  /// Duration of one frame in seconds (0.02 for Whisper's encoder).
  public var frameSeconds: Double

  public static let whisperFrameSeconds = 0.02

  /// Normalises `raw` (negative values clipped; an all-zero map becomes uniform) and computes
  /// the summary figures.
  public init(raw: [Float], offset: Int, paddingMass: Float, frameSeconds: Double = whisperFrameSeconds) {
    var values = raw.map { $0.isFinite ? max($0, 0) : 0 }
    let total = values.reduce(0, +)
    if total > 0 {
      values = values.map { $0 / total }
    } else if !values.isEmpty {
      values = [Float](repeating: 1 / Float(values.count), count: values.count)
    }
    self.offset = offset
    self.values = values
    self.paddingMass = paddingMass
    self.frameSeconds = frameSeconds
    let f = values.count
    let peakIndex = values.indices.max { values[$0] < values[$1] } ?? 0
    peak = (Double(offset + peakIndex) + 0.5) * frameSeconds
    let (first, last) = Self.halfMassSpan(values)
    start = Double(offset + first) * frameSeconds
    end = Double(offset + last + 1) * frameSeconds
    var entropy: Float = 0
    for v in values where v > 0 { entropy -= v * logf(v) }
    normalizedEntropy = f > 1 ? entropy / logf(Float(f)) : 0
  }

  /// Smallest window `[first, last]` whose sum is ≥ ½ (two pointers over the frames; ties go
  /// to the span with the most mass, then the earliest).
  static func halfMassSpan(_ values: [Float]) -> (Int, Int) {
    guard !values.isEmpty else { return (0, 0) }
    var best = (0, values.count - 1)
    var bestMass: Float = -1
    var left = 0
    var sum: Float = 0
    for right in values.indices {
      sum += values[right]
      while left < right && sum - values[left] >= 0.5 - 1e-6 {
        sum -= values[left]
        left += 1
      }
      if sum >= 0.5 - 1e-6 {
        let width = right - left
        let bestWidth = best.1 - best.0
        if width < bestWidth || (width == bestWidth && sum > bestMass) {
          best = (left, right)
          bestMass = sum
        }
      }
    }
    return best
  }
}
