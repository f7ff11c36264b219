import Foundation
import Testing

@testable import LeafXCore

/// A MaskedScorer whose log-probabilities are linear in the frames kept:
/// `log p_k(mask) = c_k − Σ_{j removed} w[k][j]`. Its exact attribution is `w[k]` (any
/// positive scale).
final class LinearScorer: MaskedScorer {
  let weights: [[Float]]
  let constants: [Float]
  private(set) var calls = 0

  init(weights: [[Float]], constants: [Float]) {
    self.weights = weights
    self.constants = constants
  }

  var frames: Int { weights[0].count }
  var tokenCount: Int { weights.count }

  func unmaskedLogProbs() throws -> [Float] { constants }

  func logProbs(keeping masks: [[Bool]]) throws -> [[Float]] {
    calls += 1
    return masks.map { keep in
      weights.indices.map { k in
        var removed: Float = 0
        for j in keep.indices where !keep[j] { removed += weights[k][j] }
        return constants[k] - removed
      }
    }
  }
}

/// Every metric on toy cases with known answers (docs/metrics.md).
struct MetricsTests {
  /// Ten frames with weights 0.1, 0.2, …, 1.0 (frame 9 the most important).
  let ramp: [Float] = (1...10).map { Float($0) / 10 }

  @Test func deletionCurveOfALinearScorer() throws {
    let scorer = LinearScorer(weights: [ramp], constants: [-0.5])
    let scores = try Deletion.evaluate(ramp, token: 0, scorer: scorer)
    // Removing the top 1…5 frames drops log p by 1.0, 1.9, 2.7, 3.4, 4.0.
    let drops = [1.0, 1.9, 2.7, 3.4, 4.0]
    for (ratio, drop) in zip(scores.curve, drops) { #expect(abs(ratio - exp(-drop)) < 1e-5) }
    #expect(abs(scores.dAOPC - drops.map { exp(-$0) }.reduce(0, +) / 5) < 1e-5)
    #expect(abs(scores.aopc - 2.6) < 1e-5)
    // The reversed map removes the least important frames first: a worse (higher) D-AOPC.
    let reversed = try Deletion.evaluate(Array(ramp.reversed()), token: 0, scorer: scorer)
    #expect(reversed.dAOPC > scores.dAOPC + 0.3)
    #expect(reversed.aopc < scores.aopc)
  }

  @Test func insertionCurveOfALinearScorer() throws {
    let scorer = LinearScorer(weights: [ramp], constants: [0])
    let scores = try Insertion.evaluate(ramp, token: 0, scorer: scorer)
    // Total weight 5.5; keeping the top 1…5 frames leaves 4.5, 3.6, 2.8, 2.1, 1.5 removed.
    let removed = [4.5, 3.6, 2.8, 2.1, 1.5]
    for (ratio, r) in zip(scores.curve, removed) { #expect(abs(ratio - exp(-r)) < 1e-5) }
    #expect(abs(scores.auc - removed.map { exp(-$0) }.reduce(0, +) / 5) < 1e-5)
    #expect(try Insertion.evaluate(Array(ramp.reversed()), token: 0, scorer: scorer).auc < scores.auc)
  }

  @Test func tiesAreRemovedLeftToRight() {
    let masks = Deletion.masks([Float](repeating: 0.25, count: 20))
    #expect(masks[0] == (0..<20).map { $0 >= 2 })
    #expect(masks[4] == (0..<20).map { $0 >= 10 })
  }

  @Test func attributionOnTheWordSpanLocalisesPerfectly() {
    // 100 frames; the word spans [0.40, 0.60] s = frames 20…29.
    var onSpan = [Float](repeating: 0, count: 100)
    for j in 20..<30 { onSpan[j] = 0.1 }
    let a = TokenAttribution(raw: onSpan, offset: 0, paddingMass: 0)
    let s = Localization.scores(
      values: a.values, offset: 0, start: 0.40, end: 0.60, halfMassStart: a.start, halfMassEnd: a.end)
    #expect(s.tloc == 1)
    #expect(s.pointing == 1)
    #expect(abs(s.massInSpan - 1) < 1e-6)
    var away = [Float](repeating: 0, count: 100)
    for j in 70..<80 { away[j] = 0.1 }
    let b = TokenAttribution(raw: away, offset: 0, paddingMass: 0)
    let t = Localization.scores(values: b.values, offset: 0, start: 0.40, end: 0.60, halfMassStart: b.start, halfMassEnd: b.end)
    #expect(t.tloc == 0)
    #expect(t.pointing == 0)
    #expect(t.massInSpan == 0)
  }

  @Test func sparsityOfUniformPeakedAndPermutedMaps() {
    #expect(abs(Sparsity.spr([Float](repeating: 1, count: 100)) - 0.05) < 1e-9)
    #expect(abs(Sparsity.spr([Float](repeating: 3, count: 40)) - 0.05) < 1e-9)
    var peaked = [Float](repeating: 0, count: 100)
    peaked[37] = 1
    #expect(Sparsity.spr(peaked) == 1)
    var generator = SeededGenerator(seed: 7)
    let values = (0..<123).map { _ in Float(generator.nextUnit()) }
    var permuted = values
    permuted.shuffle(using: &generator)
    #expect(permuted != values)
    #expect(Sparsity.spr(permuted) == Sparsity.spr(values))
  }

  @Test func exactAttributionOfALinearScorerHasZeroInfidelity() throws {
    var generator = SeededGenerator(seed: 3)
    let weights = (0..<200).map { _ in Float(generator.nextUnit()) }
    let scorer = LinearScorer(weights: [weights], constants: [-1])
    let exact = try Infidelity.evaluate(weights, token: 0, scorer: scorer, seed: 11)
    let scaled = try Infidelity.evaluate(weights.map { $0 * 0.01 }, token: 0, scorer: scorer, seed: 11)
    let wrong = try Infidelity.evaluate(Array(weights.reversed()), token: 0, scorer: scorer, seed: 11)
    #expect(exact < 1e-6, "\(exact)")
    #expect(scaled < 1e-6, "\(scaled)")
    #expect(wrong > 0.05, "\(wrong)")
  }

  @Test func infidelityMasksRemoveWholeGroups() {
    var generator = SeededGenerator(seed: 5)
    let masks = Infidelity.masks(frames: 23, generator: &generator)
    #expect(masks.count == 10)
    for mask in masks {
      #expect(mask.contains(false))
      for g in stride(from: 0, to: 23, by: 5) { #expect(Set(mask[g..<min(23, g + 5)]).count == 1) }
    }
  }

  @Test func saCoOfExactReversedAndUniformMaps() throws {
    var generator = SeededGenerator(seed: 9)
    let weights = (0..<57).map { _ in Float(generator.nextUnit()) }
    let scorer = LinearScorer(weights: [weights], constants: [-2])
    #expect(abs(try SaCo.evaluate(weights, token: 0, scorer: scorer) - 1) < 1e-9)
    // With 60 frames every group has 6: salience and effect are then strictly monotone.
    let even = LinearScorer(weights: [Array(weights.prefix(50)) + (0..<10).map { Float($0) / 10 }], constants: [-2])
    let inverse = even.weights[0].map { 1.5 - $0 }
    #expect(abs(try SaCo.evaluate(inverse, token: 0, scorer: even) + 1) < 1e-9)
    #expect(try SaCo.evaluate([Float](repeating: 1, count: 60), token: 0, scorer: even) == 0)
    let groups = SaCo.groups(weights)
    #expect(groups.count == 10)
    #expect(groups.map(\.count) == [6, 6, 6, 6, 6, 6, 6, 5, 5, 5])
    #expect(Set(groups.joined()) == Set(0..<57))
  }

  @Test func shiftedAttributionComparedAfterShiftingBack() {
    var generator = SeededGenerator(seed: 1)
    let values = (0..<50).map { _ in Float(generator.nextUnit()) }
    let a = TokenAttribution(raw: values, offset: 0, paddingMass: 0)
    let b = TokenAttribution(raw: [0, 0] + values, offset: 0, paddingMass: 0)
    #expect(abs(Stability.cosine(a, b, shiftBack: 2) - 1) < 1e-6)
    #expect(Stability.cosine(a, b, shiftBack: 0) < 0.9)
    let c = TokenAttribution(raw: values, offset: 2, paddingMass: 0)
    #expect(abs(Stability.cosine(a, c, shiftBack: 2) - 1) < 1e-6)
  }

  @Test func noiseHasTheRequestedSNRAndIsSeeded() {
    let pcm = (0..<16000).map { Float(sin(Double($0) * 0.05)) * 0.3 }
    var g1 = SeededGenerator(seed: 4)
    var g2 = SeededGenerator(seed: 4)
    let a = Stability.noisy(pcm, generator: &g1)
    #expect(a == Stability.noisy(pcm, generator: &g2))
    let signal = pcm.reduce(0.0) { $0 + Double($1 * $1) }
    let noise = zip(a, pcm).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
    #expect(abs(10 * log10(signal / noise) - 30) < 0.3)
    #expect(Stability.shifted(pcm).count == pcm.count + 640)
    #expect(Stability.identicalTokens([1, 2, 3, 4], [1, 9, 3, 4]).map { [$0.0, $0.1] } == [[0, 0], [2, 2], [3, 3]])
  }

  @Test func maskBatchScoresEachDistinctMaskOnce() {
    var batch = MaskBatch()
    let first = batch.add([[true, false], [false, false]])
    let second = batch.add([[false, false], [true, true]])
    #expect(first == [0, 1])
    #expect(second == [1, 2])
    #expect(batch.masks.count == 3)
  }
}
