/// SaCo, the salience-guided faithfulness coefficient (Wu et al., CVPR 2024, "On the
/// Faithfulness of Vision Transformer Explanations", Algorithm 1; docs/metrics.md;
/// docs/metrics.md): frames are ranked by attribution and cut into K = 10 groups of (nearly)
/// equal size; each group alone is replaced by silence; a faithful map gives the groups it
/// ranks higher the larger effects.
///
/// ```
/// s_i = Σ_{j ∈ G_i} a_j                       salience of group i (s_1 ≥ … ≥ s_K)
/// Δ_i = log p(y) − log p(y | G_i removed)     effect of removing it
/// SaCo = Σ_{i<j} σ_ij (s_i − s_j) / Σ_{i<j} |s_i − s_j|,  σ_ij = +1 if Δ_i ≥ Δ_j else −1
/// ```
/// In [−1, 1], higher is better; 0 when every group has the same salience (a uniform map).
/// The paper compares probability drops; log-probability drops order the groups the same way
/// and do not underflow.
enum SaCo {
  static let groupCount = 10

  /// The K groups of frame indices, most salient first; groups of sizes ⌈F/K⌉ then ⌊F/K⌋.
  static func groups(_ values: [Float], count: Int = groupCount) -> [[Int]] {
    let order = FrameRanking.descending(values)
    let k = min(count, order.count)
    guard k > 0 else { return [] }
    var groups: [[Int]] = []
    var start = 0
    for i in 0..<k {
      let size = order.count / k + (i < order.count % k ? 1 : 0)
      groups.append(Array(order[start..<(start + size)]))
      start += size
    }
    return groups
  }

  /// One mask per group (true = keep), in the order of `groups(_:)`.
  static func masks(_ values: [Float], count: Int = groupCount) -> [[Bool]] {
    groups(values, count: count).map { FrameRanking.keepAllBut($0, frames: values.count) }
  }

  static func coefficient(_ values: [Float], count: Int = groupCount, full: Float, masked: [Float]) -> Double {
    let salience = groups(values, count: count).map { g in g.reduce(0.0) { $0 + Double(values[$1]) } }
    let effect = masked.map { Double(full - $0) }
    var signed = 0.0
    var total = 0.0
    for i in salience.indices {
      for j in salience.indices where j > i {
        let gap = salience[i] - salience[j]
        signed += effect[i] >= effect[j] ? gap : -gap
        total += abs(gap)
      }
    }
    return total > 0 ? signed / total : 0
  }

  static func evaluate(_ values: [Float], token k: Int, scorer: any MaskedScorer) throws -> Double {
    let full = try scorer.unmaskedLogProbs()[k]
    return coefficient(values, full: full, masked: try scorer.logProbs(keeping: masks(values)).map { $0[k] })
  }
}
