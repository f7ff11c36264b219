/// One window's attention trace, gradients and ablation deltas as named arrays, for studying
/// LEAF-X outside leafx (NumPy): what `leafx diagnose --dump` writes. Shapes use
/// L layers, H heads, T input positions, F audio frames, K explained tokens.
public struct TraceDump: Sendable {
  public struct DumpArray: Sendable {
    public var shape: [Int]
    public var values: [Float]
  }

  /// First 20 ms frame of the window in the recording.
  public var frameOffset: Int
  /// `input` [T], `rows` [K], `targets` [K], `prompt_length` [1], `cross` [L,H,T,F] (cropped,
  /// renormalised), `padding` [L,H,T], `self` [L,H,T,T], `grad_cross` [K,L,H,T,F] and
  /// `grad_self` [K,L,H,T,T] (∂ log p(y_k) / ∂A), `grad_logit_cross` [K,L,H,T,F] (∂ logit),
  /// `ablation_deltas` [L,K], `flattened_deltas` [L,K], `mean_deltas` [L,K], `self_share` and `cross_share` [L,T] (DecoderTape.updateShares), `log_probs` [K].
  public var arrays: [(name: String, array: DumpArray)]
  /// Words of the window: text and the indices k of their tokens.
  public var words: [(text: String, tokens: [Int])]

  /// Dumps every window of `pcm` as `explainer` would explain it.
  /// Without `gradients`, only the attention and the ablation deltas (much faster).
  public static func run(_ explainer: Explainer, pcm: [Float], text: String? = nil, gradients: Bool = true) throws -> [TraceDump] {
    let transcript = try explainer.transcript(pcm, text: text)
    var out: [TraceDump] = []
    try explainer.forEachWindow(pcm, transcript: transcript) { window, context, positions in
      out.append(
        try dump(context, window: window, language: transcript.language, tokenizer: explainer.model.tokenizer, gradients: gradients))
    }
    return out
  }

  static func dump(
    _ context: WindowContext, window: DecodedWindow, language: String, tokenizer: WhisperTokenizer, gradients: Bool
  ) throws -> TraceDump {
    let trace = context.trace
    let k = context.rows.count
    func flat(_ nested: [[[Float]]]) -> [Float] { nested.flatMap { $0.flatMap { $0 } } }
    let l = trace.layers
    let h = trace.heads
    let t = trace.count
    let f = trace.frames
    var arrays: [(String, DumpArray)] = [
      ("input", DumpArray(shape: [t], values: context.input.map(Float.init))),
      ("rows", DumpArray(shape: [k], values: context.rows.map(Float.init))),
      ("targets", DumpArray(shape: [k], values: context.targets.map(Float.init))),
      ("prompt_length", DumpArray(shape: [1], values: [Float(window.prompt.count)])),
      ("cross", DumpArray(shape: [l, h, t, f], values: flat(trace.cross))),
      ("padding", DumpArray(shape: [l, h, t], values: trace.crossPadding.flatMap { $0.flatMap { $0 } })),
      ("self", DumpArray(shape: [l, h, t, t], values: flat(trace.selfAttention))),
    ]
    var gradCross: [Float] = []
    var gradSelf: [Float] = []
    var gradLogit: [Float] = []
    for index in 0..<(gradients ? k : 0) {
      let g = try context.gradients(index, of: .logProb)
      gradCross += flat(g.cross)
      gradSelf += flat(g.selfAttention)
      gradLogit += flat(try context.gradients(index, of: .logit).cross)
    }
    if gradients {
      arrays += [
        ("grad_cross", DumpArray(shape: [k, l, h, t, f], values: gradCross)),
        ("grad_self", DumpArray(shape: [k, l, h, t, t], values: gradSelf)),
        ("grad_logit_cross", DumpArray(shape: [k, l, h, t, f], values: gradLogit)),
      ]
    }
    arrays += [
      ("ablation_deltas", DumpArray(shape: [l, k], values: try context.ablationDeltas().flatMap { $0 })),
      ("flattened_deltas", DumpArray(shape: [l, k], values: try context.flattenedDeltas().flatMap { $0 })),
      ("mean_deltas", DumpArray(shape: [l, k], values: try context.meanAblationDeltas().flatMap { $0 })),
      ("self_share", DumpArray(shape: [l, t], values: context.tape.updateShares(.selfAttention).flatMap { $0 })),
      ("cross_share", DumpArray(shape: [l, t], values: context.tape.updateShares(.crossAttention).flatMap { $0 })),
      ("log_probs", DumpArray(shape: [k], values: zip(context.rows, context.targets).map { context.tape.logProb(row: $0, token: $1) })),
    ]
    let words = tokenizer.splitToWordTokens(context.targets, language: language).map { ($0.text, $0.tokenIndices) }
    return TraceDump(frameOffset: window.seek / 2, arrays: arrays.map { (name: $0.0, array: $0.1) }, words: words)
  }
}
