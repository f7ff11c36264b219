import Testing

@testable import LeafXCore

/// A `MaskedScorer` with a known answer: token k's score is `bias[k] + Σ_j weights[k][j]·keep[j]`
/// (linear in the kept frames), optionally plus `interaction(keep)` for every token.
final class SyntheticScorer: MaskedScorer {
  let frames: Int
  let bias: [Double]
  let weights: [[Double]]
  let interaction: (([Bool]) -> Double)?
  private(set) var scored = 0

  init(frames: Int, bias: [Double], weights: [[Double]], interaction: (([Bool]) -> Double)? = nil) {
    self.frames = frames
    self.bias = bias
    self.weights = weights
    self.interaction = interaction
  }

  var tokenCount: Int { bias.count }

  func score(_ keep: [Bool]) -> [Float] {
    bias.indices.map { k in
      var s = bias[k] + (interaction?(keep) ?? 0)
      for j in 0..<frames where keep[j] { s += weights[k][j] }
      return Float(s)
    }
  }

  func unmaskedLogProbs() throws -> [Float] { score([Bool](repeating: true, count: frames)) }

  func logProbs(keeping masks: [[Bool]]) throws -> [[Float]] {
    scored += masks.count
    return masks.map(score)
  }
}

/// specmask, LIME and KernelSHAP on synthetic scorers with known answers (docs/methods.md,
/// "Baselines").
@Suite struct PerturbationMethodsTests {
  // MARK: specmask

  @Test func occlusionWindowsCoverEveryFrame() {
    #expect(SpectrogramOcclusion.starts(frames: 12, window: 10, stride: 5) == [0, 5])
    #expect(SpectrogramOcclusion.starts(frames: 10, window: 10, stride: 5) == [0])
    #expect(SpectrogramOcclusion.starts(frames: 11, window: 10, stride: 5) == [0, 5])
    #expect(SpectrogramOcclusion.starts(frames: 3, window: 1, stride: 1) == [0, 1, 2])
    #expect(SpectrogramOcclusion.starts(frames: 1, window: 10, stride: 5) == [0])
  }

  /// Hand-computed: only frame 5 matters (drop 2 when silenced); windows of 2, stride 1.
  @Test func occlusionMatchesHandComputedDrops() throws {
    var w = [Double](repeating: 0, count: 12)
    w[5] = 2
    let scorer = SyntheticScorer(frames: 12, bias: [-1], weights: [w])
    let map = try SpectrogramOcclusion.attributions(scorer, window: 2, stride: 1)[0]
    // Frame 5 is covered by windows [4,5] and [5,6], both remove it; frames 4 and 6 by one
    // window that removes frame 5 and one that does not.
    var expected = [Float](repeating: 0, count: 12)
    expected[5] = 2
    expected[4] = 1
    expected[6] = 1
    #expect(map == expected)
  }

  /// Each token depends on its own stretch of frames; the occlusion map peaks there and is
  /// 0 further than one window away; frames that make the token likelier when silenced
  /// (negative weight) are clipped to 0.
  @Test func occlusionRecoversTheFramesATokenDependsOn() throws {
    let frames = 300
    let spans = [40..<50, 200..<215]
    let weights = spans.map { span in (0..<frames).map { span.contains($0) ? 0.7 : ($0 == 120 ? -3.0 : 0) } }
    let scorer = SyntheticScorer(frames: frames, bias: [-2, -3], weights: weights)
    let maps = try SpectrogramOcclusion.attributions(scorer, window: 10, stride: 5)
    for (map, span) in zip(maps, spans) {
      let peak = map.indices.max { map[$0] < map[$1] }!
      #expect(span.contains(peak))
      for j in 0..<frames where j < span.lowerBound - 10 || j >= span.upperBound + 10 {
        #expect(map[j] == 0, "frame \(j) outside \(span) got \(map[j])")
      }
      #expect(map.allSatisfy { $0 >= 0 })
    }
    #expect(scorer.scored == SpectrogramOcclusion.starts(frames: frames, window: 10, stride: 5).count)
  }

  // MARK: KernelSHAP

  /// A linear scorer's Shapley values are its per-segment weight sums, exactly; the
  /// estimate (sampled: 60 segments ≫ log2(200)) must give them back, and efficiency
  /// Σφ = f(all) − f(∅) holds by construction.
  @Test func kernelSHAPRecoversLinearCoefficients() throws {
    var generator = SeededGenerator(seed: 7)
    let frames = 297  // 60 segments of 5, the last of 2
    let weights = (0..<3).map { _ in (0..<frames).map { _ in generator.nextUnit() * 2 - 1 } }
    let scorer = SyntheticScorer(frames: frames, bias: [-1, -2, -0.5], weights: weights)
    let segments = FrameSegments(frames: frames, length: 5)
    #expect(segments.count == 60)
    let phi = try KernelSHAP.values(scorer, segments: segments, samples: 200, seed: 3)
    for k in 0..<3 {
      var worst = 0.0
      for s in 0..<segments.count {
        let truth = segments.range(s).map { weights[k][$0] }.reduce(0, +)
        worst = max(worst, abs(phi[k][s] - truth))
      }
      #expect(worst < 1e-3, "token \(k): largest error \(worst)")
      // Efficiency against the scorer's own (Float) anchors, which the constraint uses.
      let total = Double(scorer.score([Bool](repeating: true, count: frames))[k])
        - Double(scorer.score([Bool](repeating: false, count: frames))[k])
      #expect(abs(phi[k].reduce(0, +) - total) < 1e-9 * max(1, abs(total)), "efficiency")
    }
    #expect(scorer.scored == 201)  // samples + the empty anchor (the full one is unmaskedLogProbs)
  }

  /// With few segments every coalition is enumerated with its exact kernel weight, so a
  /// non-linear scorer gets its exact Shapley values (here checked against the permutation
  /// formula over 4 segments).
  @Test func kernelSHAPIsExactShapleyWhenEnumerating() throws {
    let frames = 8  // 4 segments of 2 frames
    let segments = FrameSegments(frames: frames, length: 2)
    let interaction: ([Bool]) -> Double = { keep in
      // Segments 0 and 2 together add 1.5; segment 3 alone (without 1) adds −0.4.
      (keep[0] && keep[4] ? 1.5 : 0) + (keep[6] && !keep[2] ? -0.4 : 0)
    }
    let w = [0.3, 0.1, -0.2, 0.5, 0.0, 0.25, 0.4, -0.1]
    let scorer = SyntheticScorer(frames: frames, bias: [-1], weights: [w], interaction: interaction)
    let phi = try KernelSHAP.values(scorer, segments: segments, samples: 200, seed: 0)[0]
    // Exact Shapley values by averaging marginal contributions over all 24 orders.
    func f(_ z: [Bool]) -> Double { Double(scorer.score(segments.frameMask(z))[0]) }
    var exact = [Double](repeating: 0, count: 4)
    func permutations(_ items: [Int]) -> [[Int]] {
      items.count <= 1 ? [items] : items.flatMap { x in permutations(items.filter { $0 != x }).map { [x] + $0 } }
    }
    let orders = permutations([0, 1, 2, 3])
    for order in orders {
      var z = [Bool](repeating: false, count: 4)
      for s in order {
        let before = f(z)
        z[s] = true
        exact[s] += (f(z) - before) / Double(orders.count)
      }
    }
    for s in 0..<4 { #expect(abs(phi[s] - exact[s]) < 1e-4, "segment \(s): \(phi[s]) vs \(exact[s])") }
  }

  @Test func kernelSHAPSamplesPairedCoalitionsDeterministically() {
    let a = KernelSHAP.coalitions(segments: 40, samples: 50, seed: 9)
    let b = KernelSHAP.coalitions(segments: 40, samples: 50, seed: 9)
    let c = KernelSHAP.coalitions(segments: 40, samples: 50, seed: 10)
    #expect(a.masks == b.masks)
    #expect(a.masks != c.masks)
    #expect(a.masks.count == 50)
    for i in stride(from: 0, to: 50, by: 2) {
      #expect(a.masks[i + 1] == a.masks[i].map { !$0 }, "sample \(i + 1) is the complement of \(i)")
      let size = a.masks[i].filter { $0 }.count
      #expect(size >= 1 && size <= 39)
    }
  }

  // MARK: LIME

  /// LIME's ridge shrinks, but on a linear scorer it must order the segments as their true
  /// weights.
  @Test func limeRanksLinearFeatures() throws {
    let frames = 50  // 10 segments
    let segmentWeights = [0.9, -0.3, 2.0, 0.1, 1.4, 0.5, -1.0, 3.0, 0.0, 2.5]
    let weights = [(0..<frames).map { segmentWeights[$0 / 5] / 5 }]
    let scorer = SyntheticScorer(frames: frames, bias: [-4], weights: weights)
    let beta = try LIME.coefficients(scorer, segments: FrameSegments(frames: frames, length: 5), samples: 200, seed: 1)[0]
    let expectedOrder = segmentWeights.indices.sorted { segmentWeights[$0] > segmentWeights[$1] }
    let order = beta.indices.sorted { beta[$0] > beta[$1] }
    #expect(order == expectedOrder, "coefficients \(beta)")
    #expect(scorer.scored == 199)  // sample 0 is the unmasked input
    // The frame map spreads each segment's clipped coefficient over its frames.
    let map = try LIME.attributions(scorer, segmentFrames: 5, samples: 200, seed: 1)[0]
    #expect(map[7 * 5] == Float(beta[7] / 5))
    #expect(map[6 * 5] == 0)
  }

  @Test func seedsMakeLimeAndKernelSHAPReproducible() throws {
    var generator = SeededGenerator(seed: 11)
    let weights = [(0..<120).map { _ in generator.nextUnit() }]
    let interaction: ([Bool]) -> Double = { keep in keep[3] && keep[90] ? 1 : 0 }
    func scorer() -> SyntheticScorer { SyntheticScorer(frames: 120, bias: [0], weights: weights, interaction: interaction) }
    for method in [LIME.attributions, KernelSHAP.attributions] {
      let a = try method(scorer(), 5, 30, 4)
      let b = try method(scorer(), 5, 30, 4)
      let c = try method(scorer(), 5, 30, 5)
      #expect(a == b)
      #expect(a != c)
    }
  }

  @Test func segmentsCoverTheFrames() {
    let s = FrameSegments(frames: 12, length: 5)
    #expect(s.count == 3)
    #expect(s.range(2) == 10..<12)
    #expect(s.frameMask([true, false, true]) == [true, true, true, true, true, false, false, false, false, false, true, true])
    #expect(s.frameMap([5, -1, 1]) == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0.5, 0.5])
  }

  // MARK: options

  @Test func badParametersNameTheField() {
    func reason(_ options: ExplainOptions) -> String? {
      do {
        try options.validate()
        return nil
      } catch LeafXError.invalidArgument(let argument, _) {
        return argument
      } catch {
        return "\(error)"
      }
    }
    #expect(reason(ExplainOptions(method: .specmask, occlusionWindow: 0)) == "occlusionWindow")
    #expect(reason(ExplainOptions(method: .specmask, occlusionWindow: 4, occlusionStride: 5)) == "occlusionStride")
    #expect(reason(ExplainOptions(method: .specmask, occlusionStride: 0)) == "occlusionStride")
    #expect(reason(ExplainOptions(method: .lime, samples: 1)) == "samples")
    #expect(reason(ExplainOptions(method: .kernelshap, segmentFrames: 0)) == "segmentFrames")
    #expect(reason(ExplainOptions(method: .kernelshap, segmentFrames: 1501)) == "segmentFrames")
    #expect(reason(ExplainOptions(method: .lime)) == nil)
  }
}
