// Integrated gradients on the log-mel input (docs/methods.md, "Baselines", `ig`): Sundararajan,
// Taly, Yan, "Axiomatic Attribution for Deep Networks", ICML 2017, eq. 1, with Gauss–Legendre
// quadrature of the path integral.
//
// ```
// x   the window's encoder input [n_mels, 2n];   x' the same window with every audio frame
//     set to the recording's silence value (MaskedScoring.silenceValue), padding untouched
// IG_t(x)[b, m] = (x − x')[b, m] · ∫₀¹ ∂ log p(y_t | x' + α(x − x')) / ∂x[b, m] dα
//              ≈ (x − x')[b, m] · Σ_s w_s ∂ log p(y_t | x' + α_s(x − x')) / ∂x[b, m]
// a_t[j] = Σ_b Σ_{m ∈ {2j, 2j+1}} IG_t(x)[b, m]          (20 ms frame j, j < F audio frames)
// ```
// Completeness: `Σ_j a_t[j] = log p(y_t | x) − log p(y_t | x')` up to the quadrature error
// (x − x' is 0 outside the audio frames, so cropping to them loses nothing). The map returned
// for the distribution is `max(a_t, 0)`: frames whose evidence lowers log p(y_t) are not
// "where the token was heard" and a probability distribution cannot hold them (the signed
// values are kept in `IntegratedGradients.Result.signed`).
//
// Quadrature: Gauss–Legendre with m nodes on [0, 1] (default m = 32): exact for integrands
// that are polynomials of degree ≤ 2m − 1 in α, where the trapezoid rule with m + 1 points is
// only exact to degree 1; the integrand is smooth (GELU, softmax, layer norm), so the error
// falls much faster with m than the trapezoid's O(1/m²). The endpoints are never evaluated.
//
// Cost: per node, one encoder forward (recorded), one teacher-forced decoder pass, and per
// explained token one decoder backward and one encoder backward. The encoder forward is shared
// by all tokens at a node. Tokens are not batched through the encoder backward: each is an
// n-row sgemm chain already (n = 1500), so stacking tokens would not change the FLOPs.
//
// Priorities: correctness (the gradients are the finite-difference-checked backward passes),
// then determinism (fixed nodes, no randomness), then speed.

#if canImport(Glibc)
  import Glibc
#endif

enum IntegratedGradients {
  /// Per explained token: the signed attribution `a_t` over the audio frames, and (when
  /// asked) `log p(y_t | x) − log p(y_t | x')`, the total completeness asks `Σ_j a_t[j]` to be.
  struct Result {
    var signed: [[Float]]
    var endpointDifference: [Float]?
  }

  /// Gauss–Legendre nodes and weights on [0, 1] (`Σ w = 1`), by Newton's iteration on the
  /// Legendre polynomial P_m from Chebyshev starting points (Numerical Recipes' `gauleg`
  /// scheme), in Double.
  static func gaussLegendre(_ m: Int) -> (nodes: [Double], weights: [Double]) {
    precondition(m >= 1, "gaussLegendre: m must be ≥ 1")
    var nodes = [Double](repeating: 0, count: m)
    var weights = [Double](repeating: 0, count: m)
    for i in 0..<((m + 1) / 2) {
      var z = cos(Double.pi * (Double(i) + 0.75) / (Double(m) + 0.5))
      var derivative = 0.0
      for _ in 0..<100 {
        // P_m(z) by the three-term recurrence, and P_m′(z).
        var p0 = 1.0
        var p1 = 0.0
        for j in 0..<m {
          let p2 = p1
          p1 = p0
          p0 = ((2 * Double(j) + 1) * z * p1 - Double(j) * p2) / Double(j + 1)
        }
        derivative = Double(m) * (z * p0 - p1) / (z * z - 1)
        let previous = z
        z = previous - p0 / derivative
        if abs(z - previous) < 1e-15 { break }
      }
      // On [−1, 1]: ±z with weight 2 / ((1 − z²) P′²); mapped to [0, 1]: (1 ∓ z)/2, half the weight.
      let w = 1 / ((1 - z * z) * derivative * derivative)
      nodes[i] = (1 - z) / 2
      nodes[m - 1 - i] = (1 + z) / 2
      weights[i] = w
      weights[m - 1 - i] = w
    }
    return (nodes, weights)
  }

  /// The signed attributions of every explained token of `window` with `steps` nodes.
  /// - Parameter measureCompleteness: also score x and x' (two more forward passes).
  static func run(_ window: EngineWindow, steps: Int, measureCompleteness: Bool = false) throws -> Result {
    let (mel, silence) = try window.melWindow()
    return run(
      encoder: window.model.encoder, decoder: window.model.decoder, input: window.input, rows: window.rows,
      targets: window.targets, frames: window.frames, mel: mel, silence: silence, steps: steps,
      measureCompleteness: measureCompleteness)
  }

  /// The computation of `run(_:steps:)` on an encoder and decoder.
  /// - Parameters:
  ///   - input: decoder input (prompt + tokens); `rows[k]` predicts `targets[k]`.
  ///   - frames: 20 ms audio frames of the window (`2·frames ≤ inputFrames`).
  ///   - mel: the window's encoder input `[n_mels, inputFrames]`.
  ///   - silence: the log-mel value of removed audio.
  static func run(
    encoder: WhisperEncoder, decoder: WhisperDecoder, input: [Int], rows: [Int], targets: [Int], frames: Int,
    mel x: [Float], silence: Float, steps: Int, measureCompleteness: Bool = false
  ) -> Result {
    let nMels = encoder.dimensions.nMels
    let inputFrames = encoder.inputFrames
    let melFrames = min(inputFrames, 2 * frames)
    let baseline = MaskedScoring.masked(
      x, nMels: nMels, inputFrames: inputFrames, keep: [Bool](repeating: false, count: frames), silence: silence)
    let difference = zip(x, baseline).map { $0 - $1 }
    let tokens = rows.count
    // Σ_s w_s ∂log p/∂x over the audio mel frames, per token: [token][bin · melFrames + m].
    var averaged = [[Double]](repeating: [Double](repeating: 0, count: nMels * melFrames), count: tokens)
    let (nodes, weights) = gaussLegendre(steps)
    for (alpha, weight) in zip(nodes, weights) {
      let point = zip(baseline, difference).map { $0 + Float(alpha) * $1 }
      let encoderTape = EncoderTape.record(encoder: encoder, mel: point)
      let audio = decoder.audioContext(encoderTape.encoded)
      let tape = DecoderTape.record(decoder: decoder, tokens: input, audio: audio)
      for k in 0..<tokens {
        let backward = tape.gradientsOfLogProb(
          row: rows[k], token: targets[k], decoder: decoder, audio: audio, outputs: .encoderOutput)
        let gradient = encoderTape.inputGradient(outputGradient: backward.encoderOutput ?? [], encoder: encoder)
        gradient.withUnsafeBufferPointer { g in
          averaged[k].withUnsafeMutableBufferPointer { a in
            for b in 0..<nMels {
              for m in 0..<melFrames { a[b * melFrames + m] += weight * Double(g[b * inputFrames + m]) }
            }
          }
        }
      }
    }
    let signed = averaged.map { a -> [Float] in
      var sums = [Double](repeating: 0, count: frames)
      for b in 0..<nMels {
        for m in 0..<melFrames { sums[m / 2] += Double(difference[b * inputFrames + m]) * a[b * melFrames + m] }
      }
      return sums.map { Float($0) }
    }
    var result = Result(signed: signed, endpointDifference: nil)
    if measureCompleteness {
      func scores(_ mel: [Float]) -> [Float] {
        let tape = DecoderTape.record(decoder: decoder, tokens: input, audio: decoder.audioContext(encoder.encode(mel)))
        return zip(rows, targets).map { tape.logProb(row: $0, token: $1) }
      }
      result.endpointDifference = zip(scores(x), scores(baseline)).map { $0 - $1 }
    }
    return result
  }

  /// The distributions' input: `max(a_t, 0)` per token.
  static func attributions(_ window: EngineWindow, steps: Int) throws -> [[Float]] {
    try run(window, steps: steps).signed.map { $0.map { max($0, 0) } }
  }
}
