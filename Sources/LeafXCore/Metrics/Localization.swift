/// Word localisation metrics (docs/metrics.md) of one word's attribution against its aligned span
/// S = [start, end] seconds, widened by `tolerance` (50 ms) on each side. A frame k
/// (20 ms, covering [0.02k, 0.02(k+1))) is inside when its centre is.
///
/// - TLoc: with k = |S| in frames (at least 1), the fraction of the k highest-attributed
///   frames inside the widened span (1 for an attribution exactly on S);
/// - pointing game: 1 when the highest frame is inside, else 0;
/// - mass in span: the attribution's total inside the widened span;
/// - midpoint in span: 1 when the centre of the half-mass span lies inside the unwidened S.
public enum Localization {
  public static let tolerance = 0.05

  public struct Scores: Sendable, Equatable {
    public var tloc: Double
    public var pointing: Double
    public var massInSpan: Double
    public var midpointInSpan: Double
  }

  /// - Parameters:
  ///   - values: the word's attribution (non-negative, sums to 1) over frames `offset...`.
  public static func scores(
    values: [Float], offset: Int, start: Double, end: Double, frameSeconds: Double = 0.02,
    halfMassStart: Double, halfMassEnd: Double
  ) -> Scores {
    let low = start - tolerance
    let high = end + tolerance
    func inside(_ index: Int) -> Bool {
      let centre = (Double(offset + index) + 0.5) * frameSeconds
      return centre >= low && centre <= high
    }
    let k = max(1, Int(((end - start) / frameSeconds).rounded()))
    let order = values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
    let top = order.prefix(k)
    let tloc = Double(top.filter(inside).count) / Double(k)
    let pointing: Double = order.first.map { inside($0) ? 1 : 0 } ?? 0
    var mass = 0.0
    for i in values.indices where inside(i) { mass += Double(values[i]) }
    let midpoint = (halfMassStart + halfMassEnd) / 2
    return Scores(
      tloc: tloc, pointing: pointing, massInSpan: mass, midpointInSpan: midpoint >= start && midpoint <= end ? 1 : 0)
  }
}
