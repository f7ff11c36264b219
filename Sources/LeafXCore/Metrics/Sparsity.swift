/// SPR, the sparsity of an attribution (docs/metrics.md): the share of its mass in
/// its top 5 % of frames.
///
/// ```
/// n   = max(1, round(0.05 · F))
/// SPR = Σ_{n largest} a_j / Σ_j a_j        (uniform: n / F, 0.05 when 20 divides F)
/// ```
/// Higher is sparser. Order-free: a permutation of the frames leaves it unchanged.
enum Sparsity {
  static let topFraction = 0.05

  static func spr(_ values: [Float], topFraction: Double = topFraction) -> Double {
    guard !values.isEmpty else { return 0 }
    let total = values.reduce(0.0) { $0 + Double(max($1, 0)) }
    guard total > 0 else { return 0 }
    let n = max(1, FrameRanking.count(fraction: topFraction, of: values.count))
    let top = values.sorted(by: >).prefix(n).reduce(0.0) { $0 + Double(max($1, 0)) }
    return top / total
  }
}
