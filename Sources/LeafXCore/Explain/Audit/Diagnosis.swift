#if canImport(Glibc)
  import Glibc
#endif

/// The evidence behind LEAF-X's corrections (docs/leafx.md): for one explained
/// token, what each decoder layer and head of the cross-attention looked at, how entropy
/// weighting rates it, how much of the token's row goes to the prompt through
/// self-attention (what rule 10 imports), and how much each layer's term contributes to the
/// rolled-out attribution.
public struct TokenDiagnosis: Sendable {
  public struct Head: Sendable {
    /// Centre of the heaviest audio frame, seconds from the start of the recording.
    public var peakSeconds: Double
    /// Entropy of the row over the audio frames, divided by log F (0 = one frame, 1 = uniform).
    public var normalizedEntropy: Float
    /// Share of the raw row on padding frames (not audio).
    public var paddingMass: Float
    /// Share of the row the head gives every token of the window alike: `Σ_f min_t A[t, f]`
    /// over the window's explained rows. A sink head (the same frame for every token) is
    /// near 1; a head that follows the speech is near 0.
    public var constantMass: Float
    /// The head's weight in the entropy weighting of docs/methods.md, "Entropy weighting" (τ of the
    /// options).
    public var entropyWeight: Float
  }

  public struct Layer: Sendable {
    public var heads: [Head]
    /// Peak of the entropy-weighted cross-attention row, seconds.
    public var weightedPeakSeconds: Double
    /// Share of the entropy-weighted self-attention row on prompt positions (SOT sequence and
    /// previous text): what rule 10 mixes into the token from rows that wrote no text.
    public var promptMass: Float
    /// Share of the token's final rollout row (leafx-paper, full depth) that comes from
    /// this layer's cross-attention term (the rollout is linear in the cross maps).
    public var rolloutShare: Float
  }

  /// Global token index and text.
  public var index: Int
  public var text: String
  public var probability: Float
  public var layers: [Layer]
}

public enum Diagnosis {
  /// Diagnoses every explained token of `pcm` (decoded as `explainer` decodes, or `text`).
  public static func run(_ explainer: Explainer, pcm: [Float], text: String? = nil) throws -> [TokenDiagnosis] {
    let transcript = try explainer.transcript(pcm, text: text)
    var out: [TokenDiagnosis] = []
    try explainer.forEachWindow(pcm, transcript: transcript) { window, context, positions in
      out += diagnose(context, window: window, positions: positions, options: explainer.options, tokenizer: explainer.model.tokenizer, firstIndex: out.count)
    }
    return out
  }

  static func diagnose(
    _ context: WindowContext, window: DecodedWindow, positions: [Int], options: ExplainOptions,
    tokenizer: WhisperTokenizer, firstIndex: Int
  ) -> [TokenDiagnosis] {
    let trace = context.trace
    let t = trace.count
    let f = trace.frames
    let rows = context.rows
    let offsetSeconds = Double(window.seek / 2) * TokenAttribution.whisperFrameSeconds
    let promptLength = window.prompt.count
    func peak(_ map: [Float], row: Int) -> Double {
      var best = 0
      for j in 0..<f where map[row * f + j] > map[row * f + best] { best = j }
      return offsetSeconds + (Double(best) + 0.5) * TokenAttribution.whisperFrameSeconds
    }
    let logF = logf(Float(max(f, 2)))

    // Per layer: entropy weights and maps, the constant part of each head, rollout shares.
    let weightedCross = (0..<trace.layers).map {
      EntropyWeighting.combine(trace.cross[$0], rows: t, width: f, tau: options.tau, epsilon: options.epsilon)
    }
    let weightedSelf = (0..<trace.layers).map {
      EntropyWeighting.combine(trace.selfAttention[$0], rows: t, width: t, tau: options.tau, epsilon: options.epsilon).map
    }
    let constantMass: [[Float]] = trace.cross.map { heads in
      heads.map { map in
        var total: Float = 0
        for j in 0..<f { total += rows.map { map[$0 * f + j] }.min() ?? 0 }
        return total
      }
    }
    // R_si is linear in the cross maps: roll out each layer's term alone.
    let zero = [Float](repeating: 0, count: t * f)
    let termOnly: [[Float]] = (0..<trace.layers).map { l in
      let maps = (0..<trace.layers).map { $0 == l ? weightedCross[l].map : zero }
      return Rollout.run(selfMaps: weightedSelf, crossMaps: maps, count: t, frames: f).last ?? zero
    }

    return rows.indices.map { k in
      let row = rows[k]
      let termMass = termOnly.map { map in (0..<f).reduce(Float(0)) { $0 + map[row * f + $1] } }
      let totalTerm = max(termMass.reduce(0, +), .leastNormalMagnitude)
      let layers = (0..<trace.layers).map { l -> TokenDiagnosis.Layer in
        let heads = (0..<trace.heads).map { h -> TokenDiagnosis.Head in
          let map = trace.cross[l][h]
          var entropy: Float = 0
          for j in 0..<f {
            let a = map[row * f + j]
            if a > 0 { entropy -= a * logf(a) }
          }
          return TokenDiagnosis.Head(
            peakSeconds: peak(map, row: row), normalizedEntropy: entropy / logF,
            paddingMass: trace.crossPadding[l][h][row], constantMass: constantMass[l][h],
            entropyWeight: weightedCross[l].weights[row * trace.heads + h])
        }
        var prompt: Float = 0
        for j in 0..<min(promptLength, t) { prompt += weightedSelf[l][row * t + j] }
        return TokenDiagnosis.Layer(
          heads: heads, weightedPeakSeconds: peak(weightedCross[l].map, row: row), promptMass: prompt,
          rolloutShare: termMass[l] / totalTerm)
      }
      let id = context.input[positions[k]]
      return TokenDiagnosis(
        index: firstIndex + k, text: tokenizer.tokenText(id),
        probability: window.probabilities[positions[k] - promptLength], layers: layers)
    }
  }
}
