/// Where an encoder position listens, on the 20 ms frame grid (the corrected LEAF-X's time
/// axis; docs/leafx.md, "The corrected LEAF-X", item 5).
///
/// Cross-attention is over encoder positions, not over 20 ms frames. Position j is computed
/// from mel frames 2j−2 … 2j+2 (conv1: kernel 3, stride 1; conv2: kernel 3, stride 2; so
/// 1, 2, 3, 2, 1 paths to mel frames 2j−2 … 2j+2), and mel frame m from the samples under a
/// 400-sample Hann window centred on sample 160 m. Its footprint is therefore centred on
/// sample 320 j, the *boundary* between frames j−1 and j, and reaches into j−2 and j+1:
/// reading position j as frame j, as raw attention does, puts every attribution half a
/// frame late and on one frame where the audio it summarises spans four.
/// `project` spreads each position's attribution over the frames it hears, in proportion
/// to how much of its input comes from each (Hann² energy weight per sample, summed over
/// the conv paths).
enum EncoderFootprint {
  /// Offset of the first frame position j reaches, relative to j.
  static let firstOffset: Int = footprint.firstOffset
  /// Share of position j's input in frames j + firstOffset, j + firstOffset + 1, …; sums to 1.
  static let weights: [Float] = footprint.weights

  private static let footprint: (firstOffset: Int, weights: [Float]) = {
    let samplesPerFrame = 2 * LogMel.hopLength
    var energyPerOffset = [Int: Double]()
    for conv2Tap in -1...1 {
      for conv1Tap in -1...1 {
        let melOffset = conv2Tap + conv1Tap  // mel frame relative to 2j
        let windowStart = melOffset * LogMel.hopLength - LogMel.nFFT / 2
        for n in 0..<LogMel.nFFT {
          let w = Double(LogMel.hannWindow[n])
          let sample = windowStart + n  // relative to sample 320 j, the start of frame j
          let frame = Int((Double(sample) / Double(samplesPerFrame)).rounded(.down))
          energyPerOffset[frame, default: 0] += w * w
        }
      }
    }
    let first = energyPerOffset.keys.min() ?? 0
    let last = energyPerOffset.keys.max() ?? 0
    let total = energyPerOffset.values.reduce(0, +)
    return (first, (first...last).map { Float((energyPerOffset[$0] ?? 0) / total) })
  }()

  /// An attribution over encoder positions, spread over the audio frames each position
  /// hears. The mass that would land outside `0 ..< values.count` (before the window or on
  /// padding) is dropped and the rest rescaled, so the total is unchanged.
  static func project(_ values: [Float]) -> [Float] {
    let count = values.count
    var out = [Float](repeating: 0, count: count)
    let total = values.reduce(0, +)
    guard count > 0, total > 0 else { return out }
    values.withUnsafeBufferPointer { source in
      out.withUnsafeMutableBufferPointer { target in
        for (tap, weight) in weights.enumerated() {
          let offset = firstOffset + tap
          let first = max(0, -offset)
          let end = min(count, count - offset)
          guard first < end else { continue }
          for j in first..<end { target[j + offset] += weight * source[j] }
        }
      }
    }
    let kept = out.reduce(0, +)
    guard kept > 0 else { return values }
    let scale = total / kept
    for j in 0..<count { out[j] *= scale }
    return out
  }
}
