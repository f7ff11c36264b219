/// INF, the infidelity of an attribution (Yeh et al. 2019, "On the (in)fidelity and
/// sensitivity of explanations", eq. 2; docs/metrics.md), with random frame-group
/// removals as the perturbations and the attribution rescaled by its optimal β (Captum's
/// `infidelity(..., normalize=True)`), so any positive rescaling of the map scores the same.
///
/// ```
/// groups: consecutive blocks of G = 5 frames (100 ms); mask i removes each group
///         independently with probability q = 0.2 (at least one group)
/// a_i = Σ_{j removed by i} Φ_j            attribution of the removed frames
/// d_i = log p(y) − log p_i(y)             drop of the target's log-probability, nats
/// β   = Σ a_i d_i / Σ a_i²                (0 when every a_i is 0)
/// INF = mean_i (β a_i − d_i)²             nats², lower is better
/// ```
/// The masks depend on the window only, not on the token or the method, so one batch of
/// N = 10 masks scores every token of the window under every method.
enum Infidelity {
  static let sampleCount = 10
  static let groupFrames = 5
  static let removalProbability = 0.2

  /// `count` random frame-group masks over `frames` frames (true = keep).
  static func masks(
    frames: Int, count: Int = sampleCount, groupFrames: Int = groupFrames,
    removalProbability: Double = removalProbability, generator: inout SeededGenerator
  ) -> [[Bool]] {
    let groups = max(1, (frames + groupFrames - 1) / groupFrames)
    return (0..<count).map { _ in
      var removed = (0..<groups).map { _ in generator.nextUnit() < removalProbability }
      if !removed.contains(true) { removed[Int(generator.next() % UInt64(groups))] = true }
      return (0..<frames).map { !removed[$0 / groupFrames] }
    }
  }

  /// - Parameters:
  ///   - values: the token's attribution over the window's frames.
  ///   - masks: the perturbations (true = keep).
  ///   - full: `log p(y)` with nothing removed; `masked`: `log p_i(y)` per mask.
  static func infidelity(_ values: [Float], masks: [[Bool]], full: Float, masked: [Float]) -> Double {
    let a = masks.map { keep in
      zip(values, keep).reduce(0.0) { $0 + ($1.1 ? 0 : Double($1.0)) }
    }
    let d = masked.map { Double(full - $0) }
    let aa = a.reduce(0) { $0 + $1 * $1 }
    let beta = aa > 0 ? zip(a, d).reduce(0) { $0 + $1.0 * $1.1 } / aa : 0
    let residual = zip(a, d).reduce(0.0) { sum, pair in
      let r = beta * pair.0 - pair.1
      return sum + r * r
    }
    return residual / Double(max(masks.count, 1))
  }

  static func evaluate(_ values: [Float], token k: Int, scorer: any MaskedScorer, seed: UInt64) throws -> Double {
    var generator = SeededGenerator(seed: seed)
    let masks = masks(frames: values.count, generator: &generator)
    let full = try scorer.unmaskedLogProbs()[k]
    return infidelity(values, masks: masks, full: full, masked: try scorer.logProbs(keeping: masks).map { $0[k] })
  }
}
