import Testing

@testable import LeafXCore

/// The product LEAF-X's parts on hand-made traces with known answers (Methods/LeafX.swift).
struct LeafXTests {
  /// A trace of one row over `frames` audio frames and `padding` extra padding frames; per
  /// layer, per head, the raw row (audio then padding).
  func trace(_ rows: [[[Float]]], frames: Int) -> AttentionTrace {
    let total = rows[0][0].count
    let identity: [Float] = [1]
    return AttentionTrace(
      tokens: [0], frames: frames, totalFrames: total, rawCross: rows,
      selfAttention: rows.map { $0.map { _ in identity } })
  }

  @Test func headsThatLookAtPaddingCountForLess() {
    // Same shape over the audio; head 1 puts half its mass on padding.
    let t = trace([[[0.5, 0.5, 0, 0], [0.25, 0.25, 0.5, 0]]], frames: 2)
    let w = LeafX.headWeights(t, layer: 0, row: 0, recipe: .init(), options: ExplainOptions(), gradients: nil)
    #expect(abs(w[0] - 2.0 / 3) < 1e-5 && abs(w[1] - 1.0 / 3) < 1e-5, "\(w)")
  }

  @Test func sinkHeadsAreRecognisedByWhatEveryTokenShares() {
    // Head 0 gives every row frame 0 (a sink); head 1 follows the tokens along the diagonal.
    let sink: [Float] = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]
    let follow: [Float] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]
    let t = AttentionTrace(
      tokens: [0, 1, 2], frames: 4, totalFrames: 4, rawCross: [[sink, follow]],
      selfAttention: [[[Float](repeating: 0, count: 9), [Float](repeating: 0, count: 9)]])
    let mass = LeafX.sinkMass(t, layer: 0, rows: [0, 1, 2])
    #expect(mass[0] == [0, 1, 1])
    #expect(mass[1] == [0, 0, 0])
    let out = LeafX.attributions(
      t, rows: [0, 1, 2], layers: 0..<1, recipe: .init(footprint: false), options: ExplainOptions(), gradients: { _ in nil }, deltas: nil)
    // Row 0 cannot tell yet (both heads on frame 0); later rows follow the diagonal head only.
    #expect(out[0] == [1, 0, 0, 0])
    #expect(out[1] == [0, 1, 0, 0])
    #expect(out[2] == [0, 0, 1, 0])
  }

  @Test func focusedHeadsCountForMoreByTheirEntropy() {
    let t = trace([[[1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]]], frames: 4)
    let options = ExplainOptions(tau: 0.5)
    let w = LeafX.headWeights(t, layer: 0, row: 0, recipe: .init(), options: options, gradients: nil)
    // exp(−0/τ) : exp(−log 4/τ) = 1 : 1/16
    #expect(abs(w[0] / w[1] - 16) < 1e-3, "\(w)")
    let mean = LeafX.headWeights(t, layer: 0, row: 0, recipe: .init(entropyHeads: false), options: options, gradients: nil)
    #expect(mean == [0.5, 0.5])
  }

  @Test func gradientRelevanceWeighsHeadsAndFallsBackWhenAllAreZero() {
    let t = trace([[[0.5, 0.5], [0.5, 0.5]]], frames: 2)
    let helpful = CroppedGradients(cross: [[[1, 1], [-1, -1]]], selfAttention: [[[0], [0]]])
    let w = LeafX.headWeights(t, layer: 0, row: 0, recipe: .init(gradient: true), options: ExplainOptions(), gradients: helpful)
    #expect(w == [1, 0])
    let useless = CroppedGradients(cross: [[[-1, -1], [-1, -1]]], selfAttention: [[[0], [0]]])
    let fallback = LeafX.headWeights(
      t, layer: 0, row: 0, recipe: .init(gradient: true), options: ExplainOptions(), gradients: useless)
    #expect(fallback == [0.5, 0.5])
  }

  @Test func layersEnterWithTheirOwnWeightNotDoubled() {
    // Layer 0 looks at frame 1, layer 1 at frame 3; equal weights without causal deltas.
    let t = trace([[[0, 1, 0, 0]], [[0, 0, 0, 1]]], frames: 4)
    let plain = LeafX.attribution(
      t, row: 0, layers: 0..<2, recipe: .init(footprint: false), options: ExplainOptions(), gradients: nil, deltas: nil)
    #expect(plain == [0, 0.5, 0, 0.5])
    // The paper's rollout on the same maps weighs layer 0 twice as much as layer 1.
    let paper = LeafXPaper.attributions(t, rows: [0], layers: 0..<2, options: ExplainOptions())[0]
    #expect(abs(paper[1] / paper[3] - 2) < 1e-5, "\(paper)")
    let causal = LeafX.attribution(
      t, row: 0, layers: 0..<2, recipe: .init(causal: true, footprint: false), options: ExplainOptions(), gradients: nil, deltas: [-0.5, 2])
    #expect(causal == [0, 0, 0, 1])
    let noEvidence = LeafX.attribution(
      t, row: 0, layers: 0..<2, recipe: .init(causal: true, footprint: false), options: ExplainOptions(), gradients: nil, deltas: [-1, 0])
    #expect(noEvidence == plain)
  }

  @Test func causalWeightsAreTheShareOfPositiveDeltas() {
    #expect(CausalReweighting.weights([-1, 1, 3], use: true) == [0, 0.25, 0.75])
    #expect(CausalReweighting.weights([-1, 0, .nan], use: true) == [Float](repeating: 1 / 3, count: 3))
    #expect(CausalReweighting.weights([5, 1], use: false) == [0.5, 0.5])
  }

  @Test func defaultDepthIsTheMethodsOwn() {
    #expect(ExplainOptions(method: .leafx).layers(of: 6) == 4..<6)
    #expect(ExplainOptions(method: .leafx).layers(of: 4) == 2..<4)
    #expect(ExplainOptions(method: .leafx).layers(of: 12) == 8..<12)
    #expect(ExplainOptions(method: .leafx).layers(of: 1) == 0..<1)
    #expect(ExplainOptions(method: .leafxCausalOneLayer).layers(of: 4) == 3..<4)
    #expect(ExplainOptions(method: .leafxPaper).layers(of: 4) == 0..<4)
    #expect(ExplainOptions(method: .leafx, depth: .full).layers(of: 4) == 0..<4)
  }

  @Test func encoderFootprintIsCentredOnTheFrameBoundaryAndKeepsTheMass() {
    // Position j hears mel frames 2j−2 … 2j+2, centred on sample 320 j: frames j−2 … j+1,
    // symmetric about the boundary between j−1 and j.
    let w = EncoderFootprint.weights
    #expect(EncoderFootprint.firstOffset == -2 && w.count == 4, "\(EncoderFootprint.firstOffset) \(w)")
    #expect(abs(w.reduce(0, +) - 1) < 1e-6)
    #expect(abs(w[0] - w[3]) < 2e-3 && abs(w[1] - w[2]) < 2e-3, "\(w)")
    #expect(w[1] > 0.4 && w[0] > 0.03 && w[0] < 0.1, "\(w)")
    // One position in the middle spreads to its four frames; the total is kept.
    var one = [Float](repeating: 0, count: 8)
    one[4] = 2
    let spread = EncoderFootprint.project(one)
    #expect(zip(spread[2...5], w).allSatisfy { abs($0 - 2 * $1) < 1e-6 }, "\(spread)")
    #expect(spread[0...1].allSatisfy { $0 == 0 } && spread[6...].allSatisfy { $0 == 0 })
    // At the edges the part outside the window is dropped and the rest rescaled.
    let edge = EncoderFootprint.project([1, 0, 0])
    #expect(abs(edge.reduce(0, +) - 1) < 1e-6 && edge[0] > edge[1] && edge[2] == 0, "\(edge)")
    #expect(EncoderFootprint.project([1]) == [1])
    #expect(EncoderFootprint.project([0, 0]) == [0, 0])
  }

  @Test func theProductMethodsUseTheFootprintAndItsAblationDoesNot() {
    let t = trace([[[0, 0, 1, 0, 0, 0]]], frames: 6)
    let with = LeafX.attribution(t, row: 0, layers: 0..<1, recipe: .init(), options: ExplainOptions(), gradients: nil, deltas: nil)
    #expect(with == EncoderFootprint.project([0, 0, 1, 0, 0, 0]))
    #expect(AttributionMethod.leafxCausal.entry.leafxRecipe!.footprint && !AttributionMethod.leafxCausalNoFootprint.entry.leafxRecipe!.footprint)
    #expect(AttributionMethod.leafxCausalNoFootprint.entry.leafxRecipe! == LeafX.Recipe(gradient: true, causal: true, footprint: false))
  }
}
