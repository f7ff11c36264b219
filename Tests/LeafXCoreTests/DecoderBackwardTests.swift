import Foundation
import Testing

@testable import LeafXCore

/// The teacher-forced tape and its backward pass (Models/Gradients/DecoderTape.swift,
/// Models/Gradients/DecoderBackward.swift) against `WhisperDecoder.forward` and against central finite
/// differences of an independent Double decoder (DecoderBackwardReference.swift).
///
/// Tolerances and why:
/// - tape against engine: exactly equal, both are `WhisperDecoder.sequence` (the tape only
///   records; the check is of max |Δ| so that a failure prints one number).
/// - `naiveTolerance` 1e-5 for probabilities, 1e-4 for logits: float32 against float64 through
///   two layers of a d = 16 model (rounding ~1e-7 per op, logits of size ~5).
/// - `gradientTolerance` 1e-3 relative: the backward runs in float32 (rounding ~1e-6 of the
///   gradient's scale) while the finite differences of the Double reference are exact to ~1e-9
///   (step 1e-5: truncation h² ≈ 1e-10, cancellation 1e-16/h ≈ 1e-11). The relative error's
///   denominator is `max(|fd|, 1e-3 · max|fd|)` over the target's sampled entries, so entries
///   a thousand times below the largest one are compared on the largest one's scale rather
///   than on their own (where float32 rounding alone would exceed 1e-3).
@Suite struct DecoderBackwardTests {
  static let naiveTolerance = 1e-5
  static let naiveLogitTolerance = 1e-4
  static let gradientTolerance = 1e-3

  let checkpoint = SyntheticDecoder.checkpoint()
  let decoder: WhisperDecoder
  let audio: WhisperDecoder.AudioContext
  let naive: NaiveDecoder
  /// T = 11 teacher-forced tokens (n_text_ctx is 16).
  let tokens = [3, 17, 42, 8, 8, 29, 0, 49, 11, 36, 5]

  init() throws {
    decoder = try WhisperDecoder(checkpoint)
    let encoded = SyntheticDecoder.encoded()
    audio = decoder.audioContext(encoded)
    naive = NaiveDecoder(checkpoint: checkpoint, encoded: encoded)
  }

  // MARK: - Forward

  @Test func tapeEqualsEngineForward() {
    let tape = DecoderTape.record(decoder: decoder, tokens: tokens, audio: audio)
    #expect(tape.count == tokens.count && tape.frames == 12 && tape.layers == 2 && tape.heads == 2)
    #expect(tape.width == 16 && tape.vocab == 50 && tape.logits.count == tokens.count * 50)
    var cache = WhisperDecoder.Cache(layers: decoder.dimensions.nTextLayer)
    let logits = decoder.forward(tokens, cache: &cache, audio: audio, logitRows: tokens.count)
    let logitError = maxAbsoluteDifference(tape.logits, logits)
    print("tape vs WhisperDecoder.forward: max |Δlogit| = \(logitError)")
    #expect(logitError == 0, "the recorded pass must give the engine's bits")
    // A recording whose edit leaves the maps alone changes nothing either, and it sees each
    // map once, with the shape the tape keeps.
    var edits: [String: Int] = [:]
    let edited = DecoderTape.record(
      decoder: decoder, tokens: tokens, audio: audio,
      overrideAttention: { kind, l, h, p in
        edits["\(kind) \(l).\(h)", default: 0] += 1
        #expect(p.count == tokens.count * (kind == .crossAttention ? 12 : tokens.count))
      })
    #expect(edits.count == 2 * 2 * 2 && edits.values.allSatisfy { $0 == 1 })
    #expect(maxAbsoluteDifference(edited.logits, logits) == 0)
    for l in 0..<tape.layers {
      for h in 0..<tape.heads {
        #expect(maxAbsoluteDifference(tape.selfAttention[l][h], edited.selfAttention[l][h]) == 0)
        #expect(maxAbsoluteDifference(tape.crossAttention[l][h], edited.crossAttention[l][h]) == 0)
      }
    }
    // One position: the recorded pass runs the one-query kernels, the engine the batched
    // step kernels; they give the same bits.
    var one = WhisperDecoder.Cache(layers: decoder.dimensions.nTextLayer)
    let single = DecoderTape.record(decoder: decoder, tokens: [tokens[0]], audio: audio)
    #expect(maxAbsoluteDifference(single.logits, decoder.forward([tokens[0]], cache: &one, audio: audio)) == 0)
    let row = 4
    let lse = log(tape.logits[(row * 50)..<(row * 50 + 50)].reduce(0.0) { $0 + exp(Double($1)) })
    #expect(abs(Double(tape.logProb(row: row, token: 7)) - (Double(tape.logits[row * 50 + 7]) - lse)) < 1e-5)
  }

  @Test func tapeEqualsNaiveReference() {
    let tape = DecoderTape.record(decoder: decoder, tokens: tokens, audio: audio)
    let pass = naive.forward(tokens)
    var probabilityError = 0.0
    var logitError = 0.0
    let t = tokens.count
    for l in 0..<tape.layers {
      for h in 0..<tape.heads {
        for i in 0..<t {
          for j in 0..<t {
            probabilityError = max(probabilityError, abs(Double(tape.selfAttention[l][h][i * t + j]) - pass.selfMaps[l][h][i][j]))
          }
          for f in 0..<tape.frames {
            probabilityError = max(
              probabilityError, abs(Double(tape.crossAttention[l][h][i * tape.frames + f]) - pass.crossMaps[l][h][i][f]))
          }
          #expect(tape.selfAttention[l][h][(i * t + i + 1)..<(i * t + t)].allSatisfy { $0 == 0 })
        }
      }
    }
    for i in 0..<t {
      for v in 0..<tape.vocab { logitError = max(logitError, abs(Double(tape.logits[i * tape.vocab + v]) - pass.logits[i][v])) }
    }
    print("tape vs naive Double reference: max |Δp| = \(probabilityError), max |Δlogit| = \(logitError)")
    #expect(probabilityError <= Self.naiveTolerance)
    #expect(logitError <= Self.naiveLogitTolerance)
  }

  @Test func crossLayerAblation() {
    let full = DecoderTape.record(decoder: decoder, tokens: tokens, audio: audio)
    let none = DecoderTape.record(decoder: decoder, tokens: tokens, audio: audio, ablatedCrossLayers: [])
    #expect(none.logits == full.logits)
    for layer in 0..<decoder.dimensions.nTextLayer {
      let ablated = DecoderTape.record(decoder: decoder, tokens: tokens, audio: audio, ablatedCrossLayers: [layer])
      let change = maxAbsoluteDifference(ablated.logits, full.logits)
      #expect(change > 1e-2, "ablating cross layer \(layer) should move the logits (moved \(change))")
      let pass = naive.forward(tokens, ablated: [layer])
      let naiveError = (0..<tokens.count).flatMap { i in
        (0..<ablated.vocab).map { abs(Double(ablated.logits[i * ablated.vocab + $0]) - pass.logits[i][$0]) }
      }.max()!
      #expect(naiveError <= Self.naiveLogitTolerance)
    }
  }

  // MARK: - Backward against finite differences

  @Test(arguments: [
    DecoderGradientCase(row: 6, target: .logProb(token: 49), ablated: []),
    DecoderGradientCase(row: 10, target: .logProb(token: 23), ablated: []),
    DecoderGradientCase(row: 3, target: .logProb(token: 8), ablated: []),
    DecoderGradientCase(row: 8, target: .logit(token: 17), ablated: []),
    DecoderGradientCase(row: 0, target: .logit(token: 2), ablated: []),
    DecoderGradientCase(row: 7, target: .logProb(token: 11), ablated: [1]),
  ])
  func gradientsMatchFiniteDifferences(_ test: DecoderGradientCase) {
    let tape = DecoderTape.record(decoder: decoder, tokens: tokens, audio: audio, ablatedCrossLayers: test.ablated)
    let gradients: AttentionGradients
    switch test.target {
    case .logProb(let token): gradients = tape.gradientsOfLogProb(row: test.row, token: token, decoder: decoder, audio: audio)
    case .logit(let token): gradients = tape.gradientsOfLogit(row: test.row, token: token, decoder: decoder, audio: audio)
    }
    let t = tokens.count
    let f = tape.frames

    // Causality: rows after the target row get exactly 0; masked self entries (j > i) too.
    for l in 0..<tape.layers {
      for h in 0..<tape.heads {
        #expect(gradients.crossAttention[l][h].count == t * f && gradients.selfAttention[l][h].count == t * t)
        #expect(gradients.crossAttention[l][h][((test.row + 1) * f)...].allSatisfy { $0 == 0 })
        #expect(gradients.selfAttention[l][h][((test.row + 1) * t)...].allSatisfy { $0 == 0 })
        for i in 0..<t { #expect(gradients.selfAttention[l][h][(i * t + i + 1)..<(i * t + t)].allSatisfy { $0 == 0 }) }
        if test.ablated.contains(l) { #expect(gradients.crossAttention[l][h].allSatisfy { $0 == 0 }) }
      }
    }

    // Entries: random ones in rows ≤ row (j ≤ i for self-attention) and each map's largest.
    var random = DecoderTestRandom(seed: UInt64(test.row * 31 + 5))
    var entries: [(AttentionKind, Int, Int, Int, Int, Float)] = []
    for kind in [AttentionKind.selfAttention, .crossAttention] {
      for l in 0..<tape.layers {
        for h in 0..<tape.heads {
          let width = kind == .selfAttention ? t : f
          let map = kind == .selfAttention ? gradients.selfAttention[l][h] : gradients.crossAttention[l][h]
          var picks: [(Int, Int)] = (0..<6).map { _ in
            let i = Int.random(in: 0...test.row, using: &random)
            return (i, Int.random(in: 0..<(kind == .selfAttention ? i + 1 : f), using: &random))
          }
          var best = (0, 0)
          for i in 0...test.row {
            for j in 0..<(kind == .selfAttention ? i + 1 : f) where abs(map[i * width + j]) > abs(map[best.0 * width + best.1]) {
              best = (i, j)
            }
          }
          picks.append(best)
          entries += picks.map { (kind, l, h, $0.0, $0.1, map[$0.0 * width + $0.1]) }
        }
      }
    }
    let step = 1e-5
    func value(_ perturbation: AttentionPerturbation?) -> Double {
      // Positions after the row cannot reach it (causal), so the reference runs rows 0 ... row.
      let pass = naive.forward(Array(tokens[0...test.row]), ablated: test.ablated, perturbation: perturbation)
      switch test.target {
      case .logProb(let token): return pass.logProb(row: test.row, token: token)
      case .logit(let token): return pass.logits[test.row][token]
      }
    }
    let differences = entries.map { e -> Double in
      let plus = value(AttentionPerturbation(kind: e.0, layer: e.1, head: e.2, row: e.3, column: e.4, delta: step))
      let minus = value(AttentionPerturbation(kind: e.0, layer: e.1, head: e.2, row: e.3, column: e.4, delta: -step))
      return (plus - minus) / (2 * step)
    }
    let scale = differences.map(abs).max()!
    #expect(scale > 1e-2, "the target should depend on attention (largest |∂| = \(scale))")
    var worst = 0.0
    var worstEntry = ""
    for (e, fd) in zip(entries, differences) {
      let error = abs(Double(e.5) - fd) / max(abs(fd), 1e-3 * scale)
      if error > worst {
        worst = error
        worstEntry = "\(e.0) layer \(e.1) head \(e.2) [\(e.3), \(e.4)]: backward \(e.5), finite difference \(fd)"
      }
    }
    print(
      "\(test): \(entries.count) entries, largest |∂| \(scale), max relative error \(worst) at \(worstEntry)")
    #expect(worst <= Self.gradientTolerance, "\(worstEntry)")
  }

  // MARK: - Real model

  /// tiny.en over the JFK sample (T = 25): a few of the largest entries of `∂ log p(y)/∂A`
  /// against float32 central differences taken through `overrideAttention`, and the time of one
  /// backward pass. Tolerance 2e-2 relative on entries with |g| > 1e-3: the finite differences
  /// run the float32 engine, whose log-probabilities carry rounding noise ~1e-5, divided by a
  /// step of 2·1e-2.
  @Test func tinyEnGradientsMatchFloatFiniteDifferences() throws {
    let model = try WhisperModel.load(path: try FormatsFixtures.modelDirectory("tiny.en"))
    let wave = try AudioDecoder.load(path: FormatsFixtures.sourceRoot + "/data/jfk.wav")
    let mel = try model.features(wave.samples)
    let encoded = model.encoder.encode(model.window(of: mel, start: 0, end: mel.nFrames - 1))
    let audio = model.decoder.audioContext(encoded)
    let tokens = [
      50257, 50362, 843, 523, 616, 5891, 3399, 1265, 407, 644, 534, 1499, 460, 466, 329, 345, 1265, 644, 345,
      460, 466, 329, 534, 1499, 13,
    ]
    let clock = ContinuousClock()
    var tape: DecoderTape?
    let recordTime = clock.measure {
      tape = DecoderTape.record(decoder: model.decoder, tokens: tokens, audio: audio)
    }
    let tape0 = tape!
    // The recorded pass is the engine's own (the failure a comparison of arrays would take
    // minutes to print is reported as one number).
    var cache = WhisperDecoder.Cache(layers: model.dimensions.nTextLayer)
    let engine = model.decoder.forward(tokens, cache: &cache, audio: audio, logitRows: tokens.count)
    #expect(maxAbsoluteDifference(tape0.logits, engine) == 0, "tape and engine logits differ on tiny.en")
    // Time the widest backward: the last row (all 25 rows take part), target = end of text;
    // the best of 3 runs, to be less at the mercy of other processes.
    var last: AttentionGradients?
    let backwardTime = (0..<3).map { _ in
      clock.measure { last = tape0.gradientsOfLogProb(row: 24, token: 50256, decoder: model.decoder, audio: audio) }
    }.min()!
    print("tiny.en T = 25: tape \(recordTime), one backward (row 24) \(backwardTime)")
    #expect(last!.crossAttention.count == 4 && last!.crossAttention[0][0].count == 25 * 1500)

    // Rows 15 (" ask", log p −1.24) and 23 (".", −0.60): uncertain enough for sizeable gradients.
    // Per row, the largest entry (over heads, rows ≤ row) of two layers' cross maps and of the
    // other two layers' self maps, so that all 4 layers and both kinds are covered.
    for (row, crossLayers) in [(15, [0, 2]), (23, [1, 3])] {
      let token = tokens[row + 1]
      let gradients = tape0.gradientsOfLogProb(row: row, token: token, decoder: model.decoder, audio: audio)
      #expect(gradients.crossAttention.allSatisfy { $0.allSatisfy { $0[((row + 1) * 1500)...].allSatisfy { $0 == 0 } } })
      var entries: [(AttentionKind, Int, Int, Int, Float)] = []
      for l in 0..<tape0.layers {
        let (kind, maps, width) =
          crossLayers.contains(l)
          ? (AttentionKind.crossAttention, gradients.crossAttention[l], 1500) : (.selfAttention, gradients.selfAttention[l], 25)
        var best = (0, 0, Float(0))
        for (h, map) in maps.enumerated() {
          for index in 0..<((row + 1) * width) where abs(map[index]) > abs(best.2) { best = (h, index, map[index]) }
        }
        entries.append((kind, l, best.0, best.1, best.2))
      }
      let step: Float = 1e-2
      var worst = 0.0
      var checked = 0
      for (kind, l, h, index, g) in entries where abs(g) > 1e-3 {
        checked += 1
        func logProb(_ delta: Float) -> Double {
          let perturbed = DecoderTape.record(
            decoder: model.decoder, tokens: tokens, audio: audio,
            overrideAttention: { k, layer, head, p in
              if k == kind && layer == l && head == h { p[index] += delta }
            })
          return Double(perturbed.logProb(row: row, token: token))
        }
        let fd = (logProb(step) - logProb(-step)) / Double(2 * step)
        let error = abs(Double(g) - fd) / abs(fd)
        worst = max(worst, error)
        print("tiny.en row \(row) \(kind) layer \(l) head \(h) entry \(index): backward \(g), finite difference \(fd)")
        #expect(error <= 2e-2, "\(kind) layer \(l) head \(h) entry \(index): backward \(g), fd \(fd)")
      }
      print("tiny.en row \(row): \(checked) entries, max relative error \(worst)")
      #expect(checked >= 3, "too few entries with |g| > 1e-3 at row \(row)")
    }
  }
}

/// One target of the finite-difference test.
struct DecoderGradientCase: Sendable, CustomStringConvertible {
  /// The scalar differentiated.
  enum Target: Sendable {
    /// `log p(token | row)` under the full softmax.
    case logProb(token: Int)
    /// The raw logit `logits[row, token]`.
    case logit(token: Int)
  }
  /// The query position whose logits the target reads.
  var row: Int
  /// The scalar differentiated.
  var target: Target
  /// Cross-attention layers ablated in the pass.
  var ablated: Set<Int>

  /// Shown in the test log.
  var description: String { "row \(row) \(target)\(ablated.isEmpty ? "" : " ablated \(ablated.sorted())")" }
}

/// `max |a_i − b_i|`.
private func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
  precondition(a.count == b.count, "sizes differ: \(a.count) vs \(b.count)")
  return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
