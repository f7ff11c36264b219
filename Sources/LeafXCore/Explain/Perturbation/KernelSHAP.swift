/// `kernelshap` (Lundberg & Lee 2017, Theorem 2; docs/methods.md, "Baselines"): Shapley values of
/// log p(y_t) over M segments of 100 ms (`FrameSegments`), a removed segment set to silence, by the
/// Shapley-kernel weighted regression with the two anchors as exact constraints:
///
/// ```
/// π(z) = (M − 1) / (C(M, |z|) · |z| · (M − |z|))        0 < |z| < M
/// φ = argmin Σ_i π(z_i) (f(z_i) − f(∅) − φ·z_i)² + α |φ|²   s.t.  Σ_j φ_j = f(all) − f(∅)
/// ```
/// The anchors z = ∅ and z = all (infinite kernel weight) enter as `f(∅)` and the efficiency
/// constraint, solved exactly with a Lagrange multiplier (symmetric in the segments, unlike
/// eliminating one of them):
///
/// ```
/// A = Zᵀ W Z + α I,  b = Zᵀ W (f − f(∅)),  φ = A⁻¹ (b − λ 1),  λ = (1ᵀ A⁻¹ b − Δ) / (1ᵀ A⁻¹ 1)
/// ```
/// Sampling (when 2^M − 2 > samples): a coalition size s ∈ [1, M−1] is drawn with
/// probability ∝ (M − 1) / (s (M − s)) (the kernel's mass of all sets of size s), then a
/// uniform subset of that size, and each sample is followed by its complement (paired
/// sampling, which cancels the even-order error terms); sampled coalitions then weigh
/// equally. When 2^M − 2 ≤ samples every coalition is enumerated with its exact weight, and
/// φ are the exact Shapley values. α = 1e-6 (weights normalised to sum 1) only makes A
/// definite when there are fewer samples than segments (a 30 s window has 300); it pulls the
/// directions the samples do not identify to 0 and changes identified ones by ~1e-6.
/// Cost: `samples` masked inputs plus the empty anchor, shared by every token (the full
/// input's score is the scorer's cached unmasked one). Seeded like
/// `LIME`. Negative φ are clipped to 0 in the frame map (a distribution over frames).
///
/// Priorities: the constrained estimator exactly (a linear f gives its coefficients back),
/// then determinism, then speed.
enum KernelSHAP {
  static let ridge = 1e-6

  /// `[k][frames]` maps for every explained token of the scorer's window.
  static func attributions(
    _ scorer: any MaskedScorer, segmentFrames: Int, samples: Int, seed: UInt64
  ) throws -> [[Float]] {
    let segments = FrameSegments(frames: scorer.frames, length: segmentFrames)
    return try values(scorer, segments: segments, samples: samples, seed: seed).map { segments.frameMap($0) }
  }

  /// Coalitions and their regression weights (summing to 1).
  static func coalitions(segments m: Int, samples: Int, seed: UInt64) -> (masks: [[Bool]], weights: [Double]) {
    guard m > 1 else { return ([], []) }
    if m < 62, (1 << m) - 2 <= samples {
      var masks: [[Bool]] = []
      var weights: [Double] = []
      for bits in 1..<((1 << m) - 1) {
        let z = (0..<m).map { bits >> $0 & 1 == 1 }
        let s = bits.nonzeroBitCount
        masks.append(z)
        weights.append(Double(m - 1) / (binomial(m, s) * Double(s) * Double(m - s)))
      }
      let total = weights.reduce(0, +)
      return (masks, weights.map { $0 / total })
    }
    // P(size = s) ∝ (M−1) / (s (M−s)), as a cumulative table.
    var cumulative: [Double] = []
    var running = 0.0
    for s in 1..<m {
      running += 1 / (Double(s) * Double(m - s))
      cumulative.append(running)
    }
    var generator = SeededGenerator(seed: seed)
    var masks: [[Bool]] = []
    while masks.count < samples {
      let u = generator.nextUnit() * running
      let size = (cumulative.firstIndex { u < $0 } ?? (m - 2)) + 1
      // A uniform subset of `size` segments: a partial Fisher–Yates shuffle.
      var order = Array(0..<m)
      for i in 0..<size {
        let j = i + Int(generator.next() % UInt64(m - i))
        order.swapAt(i, j)
      }
      var z = [Bool](repeating: false, count: m)
      for i in order.prefix(size) { z[i] = true }
      masks.append(z)
      if masks.count < samples { masks.append(z.map { !$0 }) }
    }
    return (masks, [Double](repeating: 1 / Double(samples), count: samples))
  }

  /// Signed Shapley estimates φ, `[k][segment]`.
  static func values(
    _ scorer: any MaskedScorer, segments: FrameSegments, samples: Int, seed: UInt64
  ) throws -> [[Double]] {
    let m = segments.count
    let (masks, weights) = coalitions(segments: m, samples: samples, seed: seed)
    // The empty anchor goes with the samples (one batched call); the full one is the
    // scorer's unmasked score, shared with the other methods of the window.
    let full = try scorer.unmaskedLogProbs().map(Double.init)
    var scores = try scorer.logProbs(keeping: [[Bool](repeating: false, count: scorer.frames)] + masks.map(segments.frameMask))
    let empty = scores.removeFirst().map(Double.init)
    guard m > 1 else { return full.indices.map { [full[$0] - empty[$0]] } }
    let design = masks.map { z in z.map { $0 ? 1.0 : 0.0 } }
    let regression = try WeightedRidge(design: design, weights: weights, ridge: ridge)
    let ones = [Double](repeating: 1, count: m)
    let inverseOnes = regression.solveNormal(ones)
    let onesInverseOnes = inverseOnes.reduce(0, +)
    return full.indices.map { k in
      let unconstrained = regression.solve(scores.map { Double($0[k]) - empty[k] })
      let lambda = (unconstrained.reduce(0, +) - (full[k] - empty[k])) / onesInverseOnes
      return (0..<m).map { unconstrained[$0] - lambda * inverseOnes[$0] }
    }
  }

  /// C(n, k) as a Double.
  static func binomial(_ n: Int, _ k: Int) -> Double {
    var out = 1.0
    for i in 0..<min(k, n - k) { out = out * Double(n - i) / Double(i + 1) }
    return out
  }
}
