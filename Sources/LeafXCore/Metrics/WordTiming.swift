/// Word timing metrics (docs/metrics.md, "Word timing") of a word's predicted interval against
/// its aligned reference interval, both in seconds:
///
/// - start and end error: |start − start_ref| and |end − end_ref|;
/// - within d: the share of the two boundaries whose error is at most d (20, 50, 100 ms);
/// - IoU: |P ∩ R| / |P ∪ R| (0 when they do not overlap; for two empty intervals 0);
/// - hit: both boundaries within 50 ms; word F1 at a 50 ms collar is
///   2·hits / (decoded words + reference words) over an utterance.
///
/// A boundary error is compared with d after rounding to the microsecond, so that 0.05 s
/// computed as a difference of two times on the 20 ms grid counts as within 50 ms.
public enum WordTiming {
  public static let collar = 0.05

  public struct Scores: Sendable, Equatable {
    public var startError: Double
    public var endError: Double
    public var within20: Double
    public var within50: Double
    public var within100: Double
    public var iou: Double
    public var hit: Bool
  }

  public static func scores(start: Double, end: Double, referenceStart: Double, referenceEnd: Double) -> Scores {
    let startError = abs(start - referenceStart)
    let endError = abs(end - referenceEnd)
    func share(_ d: Double) -> Double {
      (within(startError, d) ? 0.5 : 0) + (within(endError, d) ? 0.5 : 0)
    }
    let intersection = max(0, min(end, referenceEnd) - max(start, referenceStart))
    let union = max(end, referenceEnd) - min(start, referenceStart)
    return Scores(
      startError: startError, endError: endError, within20: share(0.02), within50: share(0.05), within100: share(0.1),
      iou: union > 0 ? intersection / union : 0, hit: within(startError, collar) && within(endError, collar))
  }

  /// Word F1 at the collar: `hits` matched words with both boundaries within it, of `decoded`
  /// words written and `reference` words spoken; 0 when there are none.
  public static func f1(hits: Int, decoded: Int, reference: Int) -> Double {
    decoded + reference > 0 ? 2 * Double(hits) / Double(decoded + reference) : 0
  }

  static func within(_ error: Double, _ limit: Double) -> Bool {
    (error * 1e6).rounded() <= (limit * 1e6).rounded()
  }
}
