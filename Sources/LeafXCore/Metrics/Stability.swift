#if canImport(Glibc)
  import Glibc
#endif

/// STAB, the stability of an attribution (docs/metrics.md): the recording is
/// perturbed, decoded and explained again, and each token decoded identically is compared
/// with its original attribution by cosine similarity over the global 20 ms frame grid.
///
/// - noise: white Gaussian noise at 30 dB SNR (σ² = mean(x²) · 10^(−30/10)), seeded;
/// - shift: 40 ms (640 samples, 2 frames) of digital silence prepended, and the perturbed
///   attribution shifted back 2 frames before comparing (its mass on the added silence then
///   falls outside the original grid and lowers the cosine).
///
/// Tokens "decoded identically" are the pairs of equal token ids on a minimum edit-distance
/// alignment of the two token sequences (WordMatching on the ids). Higher is better.
enum Stability {
  static let snrDecibels = 30.0
  static let shiftSeconds = 0.04
  static var shiftSamples: Int { Int((shiftSeconds * 16000).rounded()) }
  static var shiftFrames: Int { Int((shiftSeconds / TokenAttribution.whisperFrameSeconds).rounded()) }

  /// `pcm` plus seeded white Gaussian noise at `snrDecibels` (Box–Muller).
  static func noisy(_ pcm: [Float], snrDecibels: Double = snrDecibels, generator: inout SeededGenerator) -> [Float] {
    guard !pcm.isEmpty else { return pcm }
    let power = pcm.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(pcm.count)
    let sigma = (power * pow(10, -snrDecibels / 10)).squareRoot()
    var out = pcm
    var i = 0
    while i < out.count {
      let u1 = max(generator.nextUnit(), 1e-300)
      let u2 = generator.nextUnit()
      let radius = (-2 * log(u1)).squareRoot() * sigma
      out[i] += Float(radius * cos(2 * Double.pi * u2))
      if i + 1 < out.count { out[i + 1] += Float(radius * sin(2 * Double.pi * u2)) }
      i += 2
    }
    return out
  }

  /// `pcm` delayed by `shiftSamples` of zeros.
  static func shifted(_ pcm: [Float]) -> [Float] {
    [Float](repeating: 0, count: shiftSamples) + pcm
  }

  /// Cosine similarity of two attributions on the global frame grid, frame `g` of `b` read as
  /// frame `g − shiftBack` (0 when either is all zero).
  static func cosine(_ a: TokenAttribution, _ b: TokenAttribution, shiftBack: Int = 0) -> Double {
    var dot = 0.0
    for (i, x) in a.values.enumerated() {
      let j = a.offset + i + shiftBack - b.offset
      if j >= 0 && j < b.values.count { dot += Double(x) * Double(b.values[j]) }
    }
    let na = a.values.reduce(0.0) { $0 + Double($1) * Double($1) }
    let nb = b.values.reduce(0.0) { $0 + Double($1) * Double($1) }
    return na > 0 && nb > 0 ? dot / (na * nb).squareRoot() : 0
  }

  /// Pairs `(original index, perturbed index)` of identically decoded tokens.
  static func identicalTokens(_ original: [Int], _ perturbed: [Int]) -> [(Int, Int)] {
    WordMatching.match(decoded: original.map { String($0) }, reference: perturbed.map { String($0) })
  }
}
