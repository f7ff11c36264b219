#if canImport(Glibc)
  import Glibc
#endif

/// `lime` (Ribeiro et al. 2016; docs/methods.md, "Baselines"): a weighted linear surrogate of log
/// p(y_t) over 100 ms segments (`FrameSegments`), fitted on random segment masks, as `lime_image`
/// does (lime 0.2.0.1, lime/lime_image.py `data_labels` and lime/lime_base.py
/// `explain_instance_with_data`):
///
/// ```
/// z_0 = all segments kept;  z_1 … z_{n−1} ~ independent fair coins per segment
/// d(z) = 1 − cos(z, 1) = 1 − √(|z| / M)          (cosine distance to the original; 1 for z = 0)
/// π(z) = √exp(−d² / σ²),  σ = 0.25                (lime's kernel and lime_image's kernel width)
/// (b, β) = argmin Σ_i π(z_i) (f_t(z_i) − b − β·z_i)² + α |β|²,   α = 1   (sklearn Ridge's default)
/// a_t = β spread over each segment's frames, negatives clipped to 0
/// ```
/// Every segment is a feature (no feature selection). `n = samples` inputs (n − 1 masked ones
/// to score, as z_0 is the unmasked input), shared by every token; the masks come from `SeededGenerator(seed)` mixed with the window's start,
/// so the same seed gives the same maps.
///
/// Priorities: lime's defaults, then determinism, then speed.
enum LIME {
  /// σ of the exponential kernel on cosine distance (lime_image's `kernel_width`).
  static let kernelWidth = 0.25
  /// α of the ridge penalty (lime's `Ridge(alpha=1)`); the intercept is not penalised.
  static let ridge = 1.0

  /// `[k][frames]` maps for every explained token of the scorer's window.
  static func attributions(
    _ scorer: any MaskedScorer, segmentFrames: Int, samples: Int, seed: UInt64
  ) throws -> [[Float]] {
    let segments = FrameSegments(frames: scorer.frames, length: segmentFrames)
    return try coefficients(scorer, segments: segments, samples: samples, seed: seed).map { segments.frameMap($0) }
  }

  /// Signed surrogate coefficients β, `[k][segment]`.
  static func coefficients(
    _ scorer: any MaskedScorer, segments: FrameSegments, samples: Int, seed: UInt64
  ) throws -> [[Double]] {
    let m = segments.count
    var generator = SeededGenerator(seed: seed)
    let masks: [[Bool]] = (0..<samples).map { i in
      i == 0 ? [Bool](repeating: true, count: m) : (0..<m).map { _ in generator.next() & 1 == 1 }
    }
    // Sample 0 is the unmasked input: the scorer's cached score.
    let scores = [try scorer.unmaskedLogProbs()] + (try scorer.logProbs(keeping: masks.dropFirst().map(segments.frameMask)))
    let weights = masks.map { z -> Double in
      let kept = z.filter { $0 }.count
      let distance = kept == 0 ? 1 : 1 - (Double(kept) / Double(m)).squareRoot()
      return exp(-distance * distance / (kernelWidth * kernelWidth)).squareRoot()
    }
    // Intercept in column 0.
    let design = masks.map { z in [1.0] + z.map { $0 ? 1.0 : 0.0 } }
    let regression = try WeightedRidge(design: design, weights: weights, ridge: ridge, unpenalised: 0)
    return (0..<scorer.tokenCount).map { k in
      Array(regression.solve(scores.map { Double($0[k]) }).dropFirst())
    }
  }
}
