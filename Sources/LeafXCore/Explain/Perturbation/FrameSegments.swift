/// The features of LIME and KernelSHAP (docs/methods.md, "Baselines"): the window's 20 ms audio
/// frames cut into contiguous segments of `length` frames (100 ms by default; the last one may be
/// shorter). A feature vector `z` (true = segment kept) becomes a frame mask for `MaskedScorer`,
/// and a per-segment coefficient becomes a per-frame map by spreading it evenly over its frames,
/// so a segment's frames hold its coefficient in total (a shorter last segment is not
/// inflated).
struct FrameSegments {
  let frames: Int
  let length: Int

  /// Number of segments `⌈frames / length⌉`.
  var count: Int { (frames + length - 1) / length }

  /// Frames of segment `s`.
  func range(_ s: Int) -> Range<Int> { (s * length)..<min(frames, (s + 1) * length) }

  /// The frame mask of a segment mask `z` (`count` entries).
  func frameMask(_ z: [Bool]) -> [Bool] {
    var keep = [Bool](repeating: true, count: frames)
    for (s, kept) in z.enumerated() where !kept {
      for j in range(s) { keep[j] = false }
    }
    return keep
  }

  /// `[frames]` map of per-segment coefficients `φ` (`count` entries), negative ones
  /// clipped to 0: the output is a distribution over frames (TokenAttribution), so evidence
  /// against a token counts as no evidence for it.
  func frameMap(_ phi: [Double]) -> [Float] {
    var out = [Float](repeating: 0, count: frames)
    for s in 0..<count {
      let r = range(s)
      let value = Float(max(phi[s], 0) / Double(r.count))
      for j in r { out[j] = value }
    }
    return out
  }
}
