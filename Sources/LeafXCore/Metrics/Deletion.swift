#if canImport(Glibc)
  import Glibc
#endif

/// Deletion curve of one token's attribution (docs/metrics.md): the top r % of the
/// window's frames (FrameRanking) are replaced by silence, r = 0, 10, …, 50, with the decoded
/// prefix held fixed, and the target's probability is followed.
///
/// ```
/// n_r     = round(r/100 · F)            frames removed at step r
/// D-AOPC  = mean_{r>0} p_r / p_0        (lower is better: the paper's convention)
/// AOPC    = mean_{r>0} (log p_0 − log p_r)   (Samek et al. 2017, in log-probability;
///                                       higher is better)
/// ```
/// Samek's AOPC divides by L + 1 and includes the zero term at r = 0; leafx averages over
/// the same five steps as D-AOPC (its sum divided by L, not L + 1). Neither ratio is clipped:
/// a removal that raises the probability gives `p_r / p_0 > 1` and a negative drop.
enum Deletion {
  /// Percentages of frames removed after the unmasked step r = 0.
  static let percents = [10, 20, 30, 40, 50]

  struct Scores: Equatable {
    /// `p_r / p_0` per step of `percents`.
    var curve: [Double]
    var dAOPC: Double
    var aopc: Double
  }

  /// One mask per step of `percents` (true = keep).
  static func masks(_ values: [Float], percents: [Int] = percents) -> [[Bool]] {
    let order = FrameRanking.descending(values)
    return percents.map { r in
      FrameRanking.keepAllBut(order.prefix(FrameRanking.count(fraction: Double(r) / 100, of: values.count)), frames: values.count)
    }
  }

  /// - Parameters:
  ///   - full: `log p_0`, the token's log-probability with nothing removed.
  ///   - masked: `log p_r` for the masks of `masks(_:)`, in order.
  static func scores(full: Float, masked: [Float]) -> Scores {
    let curve = masked.map { exp(Double($0) - Double(full)) }
    let drops = masked.map { Double(full - $0) }
    let n = Double(max(masked.count, 1))
    return Scores(curve: curve, dAOPC: curve.reduce(0, +) / n, aopc: drops.reduce(0, +) / n)
  }

  /// Evaluates token `k` of `scorer` directly (tests and one-off use; the benchmark batches).
  static func evaluate(_ values: [Float], token k: Int, scorer: any MaskedScorer) throws -> Scores {
    let full = try scorer.unmaskedLogProbs()[k]
    return scores(full: full, masked: try scorer.logProbs(keeping: masks(values)).map { $0[k] })
  }
}
