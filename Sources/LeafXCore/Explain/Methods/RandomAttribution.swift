/// The sanity floor (docs/methods.md, "Baselines"): independent uniform values per frame from a
/// seeded generator, so the same seed gives the same map. Every method must beat it.
enum RandomAttribution {
  static func attributions(rows: [Int], frames: Int, seed: UInt64, windowSeek: Int) -> [[Float]] {
    var generator = SeededGenerator(seed: seed &+ UInt64(truncatingIfNeeded: windowSeek) &* 0x9E37_79B9)
    return rows.map { _ in (0..<frames).map { _ in Float(generator.nextUnit()) } }
  }
}
