/// The order in which the perturbation metrics remove or insert frames (docs/metrics.md):
/// frames by decreasing attribution, ties broken by the earlier frame, so that every metric
/// is a deterministic function of the attribution (a uniform map removes frames left to
/// right).
enum FrameRanking {
  /// Frame indices, highest attribution first.
  static func descending(_ values: [Float]) -> [Int] {
    values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
  }

  /// The number of frames a fraction `r` of `frames` is: `round(r · frames)`, clamped to
  /// `0...frames`.
  static func count(fraction: Double, of frames: Int) -> Int {
    min(frames, max(0, Int((fraction * Double(frames)).rounded())))
  }

  /// A mask that keeps every frame except `removed` (true = keep).
  static func keepAllBut(_ removed: some Sequence<Int>, frames: Int) -> [Bool] {
    var keep = [Bool](repeating: true, count: frames)
    for j in removed { keep[j] = false }
    return keep
  }

  /// A mask that keeps only `kept`.
  static func keepOnly(_ kept: some Sequence<Int>, frames: Int) -> [Bool] {
    var keep = [Bool](repeating: false, count: frames)
    for j in kept { keep[j] = true }
    return keep
  }
}
