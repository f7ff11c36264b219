/// `specmask`, occlusion on the log-mel (docs/methods.md, "Baselines"): a window of `window` 20 ms
/// frames slides over the audio with stride `stride`; each position is scored with its frames set
/// to silence, and a frame's attribution is the mean drop of log p(y_t) over the positions that
/// cover it:
///
/// ```
/// a_t(j) = mean_{w ∋ j} [ log p(y_t | x) − log p(y_t | x with window w silenced) ],  clipped at 0
/// ```
/// Windows start at 0, stride, 2·stride, … until one reaches the last frame (the last may be
/// cut at the end); stride ≤ window (ExplainOptions.validate) so every frame is covered.
/// Negative drops (silence that makes the token likelier) are clipped to 0: the output is a
/// distribution over frames. One masked input per position, shared by every token of the
/// window: ⌈(F − W) / S⌉ + 1 encoder and decoder passes (110 for the 11 s JFK clip).
///
/// Priorities: the definition above exactly, then speed (all positions go to the scorer in
/// one call, which batches them).
enum SpectrogramOcclusion {
  /// Start frames of the occluding windows for `frames` frames.
  static func starts(frames: Int, window: Int, stride: Int) -> [Int] {
    var out: [Int] = []
    var start = 0
    repeat {
      out.append(start)
      start += stride
    } while start - stride + window < frames
    return out
  }

  /// `[k][frames]` maps for every explained token of the scorer's window.
  static func attributions(_ scorer: any MaskedScorer, window: Int, stride: Int) throws -> [[Float]] {
    let frames = scorer.frames
    let positions = starts(frames: frames, window: window, stride: stride)
    let masks = positions.map { start -> [Bool] in
      var keep = [Bool](repeating: true, count: frames)
      for j in start..<min(frames, start + window) { keep[j] = false }
      return keep
    }
    let reference = try scorer.unmaskedLogProbs()
    let masked = try scorer.logProbs(keeping: masks)
    var coverage = [Float](repeating: 0, count: frames)
    for start in positions { for j in start..<min(frames, start + window) { coverage[j] += 1 } }
    return reference.indices.map { k in
      var sum = [Float](repeating: 0, count: frames)
      for (p, start) in positions.enumerated() {
        let drop = reference[k] - masked[p][k]
        for j in start..<min(frames, start + window) { sum[j] += drop }
      }
      return frames == 0 ? [] : (0..<frames).map { max(sum[$0] / coverage[$0], 0) }
    }
  }
}
