#if canImport(Glibc)
  import Glibc
#endif

/// Insertion curve of one token's attribution (docs/metrics.md): start from the
/// window with every audio frame replaced by silence and put back the top r % frames
/// (FrameRanking), r = 10, …, 50, the decoded prefix held fixed.
///
/// ```
/// Insertion AUC = mean_{r>0} p_r / p_full    (higher is better)
/// ```
/// The same steps as the deletion curve, so both cost five encoder passes per token; the
/// r = 0 point (all silence) is the same for every method and is left out of the mean.
/// Ratios are not clipped.
enum Insertion {
  static let percents = Deletion.percents

  struct Scores: Equatable {
    /// `p_r / p_full` per step of `percents`.
    var curve: [Double]
    var auc: Double
  }

  /// One mask per step (true = keep: only the top frames are kept).
  static func masks(_ values: [Float], percents: [Int] = percents) -> [[Bool]] {
    let order = FrameRanking.descending(values)
    return percents.map { r in
      FrameRanking.keepOnly(order.prefix(FrameRanking.count(fraction: Double(r) / 100, of: values.count)), frames: values.count)
    }
  }

  static func scores(full: Float, masked: [Float]) -> Scores {
    let curve = masked.map { exp(Double($0) - Double(full)) }
    return Scores(curve: curve, auc: curve.reduce(0, +) / Double(max(masked.count, 1)))
  }

  static func evaluate(_ values: [Float], token k: Int, scorer: any MaskedScorer) throws -> Scores {
    let full = try scorer.unmaskedLogProbs()[k]
    return scores(full: full, masked: try scorer.logProbs(keeping: masks(values)).map { $0[k] })
  }
}
