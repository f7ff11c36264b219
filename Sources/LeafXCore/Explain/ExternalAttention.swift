/// Attention captured by another engine (whisper.cpp, ONNX, a decoder-only speech LLM) and
/// handed to leafx for attribution: the bolt-on level of docs/design.md,
/// "Bolt-on: attention from another engine". Shapes:
///
/// ```
/// cross      [L][H][T][K]    probabilities of the T queries over the key axis
/// self       [L][H][T][T]    optional (identity when absent)
/// gradients  [R][L][H][T][K] and [R][L][H][T][T], ∂log p(y_r)/∂A per explained row (optional)
/// deltas     [L][R]          NLL increase per ablated layer (optional)
/// ```
/// Keys `[audioBegin, audioEnd)` are the audio frames; mass elsewhere counts as padding.
public struct ExternalAttentionInput: Sendable {
  public var layers: Int
  public var heads: Int
  public var queries: Int
  public var keys: Int
  public var cross: [Float]
  public var selfAttention: [Float]?
  public var audioBegin: Int
  public var audioEnd: Int
  public var rows: [Int]
  public var crossGradients: [Float]?
  public var selfGradients: [Float]?
  public var ablationDeltas: [Float]?

  public init(
    layers: Int, heads: Int, queries: Int, keys: Int, cross: [Float], selfAttention: [Float]?, audioBegin: Int,
    audioEnd: Int, rows: [Int], crossGradients: [Float]?, selfGradients: [Float]?, ablationDeltas: [Float]?
  ) {
    self.layers = layers
    self.heads = heads
    self.queries = queries
    self.keys = keys
    self.cross = cross
    self.selfAttention = selfAttention
    self.audioBegin = audioBegin
    self.audioEnd = audioEnd
    self.rows = rows
    self.crossGradients = crossGradients
    self.selfGradients = selfGradients
    self.ablationDeltas = ablationDeltas
  }

  /// Element count of `[dims…]`, or an error naming `field` on overflow or an absurd size.
  public static func count(_ dims: [Int], field: String) throws -> Int {
    var total = 1
    for d in dims {
      let (product, overflow) = total.multipliedReportingOverflow(by: d)
      guard d >= 0, !overflow, product <= 1 << 34 else {
        throw LeafXError.invalidArgument(argument: field, reason: "shape \(dims) is too large")
      }
      total = product
    }
    return total
  }

  /// Attributions `[R][audioEnd − audioBegin]` (unnormalised) with the given method.
  public func attributions(options: ExplainOptions) throws -> [[Float]] {
    try options.validate()
    try validate(options.method)
    let context = ExternalAttentionContext(self)
    return try MethodRunner(options: options).attributions(context)
  }

  /// Normalised attributions with their summary figures; frame i of a row is global frame
  /// `firstFrame + i`, of `frameSeconds` each.
  public func explain(options: ExplainOptions, firstFrame: Int, frameSeconds: Double) throws -> [TokenAttribution] {
    try options.validate()
    try validate(options.method)
    let context = ExternalAttentionContext(self)
    let maps = try MethodRunner(options: options).attributions(context)
    let trace = context.trace
    return maps.enumerated().map { index, values in
      let row = rows[index]
      let padding = trace.crossPadding[trace.layers - 1].reduce(0) { $0 + $1[row] } / Float(trace.heads)
      return TokenAttribution(raw: values, offset: firstFrame, paddingMass: padding, frameSeconds: frameSeconds)
    }
  }

  func validate(_ method: AttributionMethod) throws {
    func fail(_ field: String, _ reason: String) -> LeafXError { .invalidArgument(argument: field, reason: reason) }
    guard (1...256).contains(layers) else { throw fail("n_layers", "\(layers) is outside 1...256") }
    guard (1...256).contains(heads) else { throw fail("n_heads", "\(heads) is outside 1...256") }
    guard (1...100_000).contains(queries) else { throw fail("n_queries", "\(queries) is outside 1...100000") }
    guard (1...10_000_000).contains(keys) else { throw fail("n_keys", "\(keys) is outside 1...10000000") }
    guard audioBegin >= 0, audioBegin < audioEnd, audioEnd <= keys else {
      throw fail("audio_begin/audio_end", "[\(audioBegin), \(audioEnd)) is not a non-empty range inside 0..<\(keys)")
    }
    guard !rows.isEmpty else { throw fail("n_rows", "no rows to explain") }
    if let bad = rows.first(where: { $0 < 0 || $0 >= queries }) {
      throw fail("rows", "row \(bad) is outside 0..<\(queries)")
    }
    func check(_ values: [Float]?, _ dims: [Int], _ field: String) throws {
      guard let values else { return }
      guard values.count == (try Self.count(dims, field: field)) else {
        throw fail(field, "\(values.count) values for shape \(dims)")
      }
      if let bad = values.firstIndex(where: { !$0.isFinite }) { throw fail(field, "value \(bad) is \(values[bad])") }
    }
    try check(cross, [layers, heads, queries, keys], "cross_attention")
    try check(selfAttention, [layers, heads, queries, queries], "self_attention")
    try check(crossGradients, [rows.count, layers, heads, queries, keys], "cross_gradients")
    try check(selfGradients, [rows.count, layers, heads, queries, queries], "self_gradients")
    try check(ablationDeltas, [layers, rows.count], "ablation_deltas")
    if method.needsGradients && crossGradients == nil {
      throw fail("cross_gradients", "method \(method.rawValue) needs the gradients of each explained token")
    }
    if method.needsAblations && ablationDeltas == nil {
      throw fail("ablation_deltas", "method \(method.rawValue) needs per-layer ablation deltas")
    }
    if method.needsModel {
      throw LeafXError.unsupported(
        "method \(method.rawValue) re-runs the model (\(method == .ig ? "gradients with respect to the log-mel input" : "value vectors and attention-output gradients")); captured attention cannot provide them: use leafx_explain with a loaded model")
    }
  }
}

/// `AttributionInputs` over an `ExternalAttentionInput`.
final class ExternalAttentionContext: AttributionInputs {
  let input: ExternalAttentionInput
  let trace: AttentionTrace
  var rows: [Int] { input.rows }
  var windowSeek: Int { 0 }

  init(_ input: ExternalAttentionInput) {
    self.input = input
    let t = input.queries
    let k = input.keys
    let perHeadCross = t * k
    let perHeadSelf = t * t
    var identity = [Float](repeating: 0, count: perHeadSelf)
    for i in 0..<t { identity[i * t + i] = 1 }
    let cross = (0..<input.layers).map { l in
      (0..<input.heads).map { h in
        let base = (l * input.heads + h) * perHeadCross
        return Array(input.cross[base..<(base + perHeadCross)])
      }
    }
    let selfMaps = (0..<input.layers).map { l in
      (0..<input.heads).map { h -> [Float] in
        guard let s = input.selfAttention else { return identity }
        let base = (l * input.heads + h) * perHeadSelf
        return Array(s[base..<(base + perHeadSelf)])
      }
    }
    trace = AttentionTrace(
      tokens: [Int](repeating: -1, count: t), frames: input.audioEnd - input.audioBegin, totalFrames: k,
      rawCross: cross, selfAttention: selfMaps, audioStart: input.audioBegin)
  }

  /// Captured attention comes with one set of per-layer deltas: the caller computes the
  /// ablation the method expects (zeroing for leafx-paper-causal, mean ablation for leafx-causal).
  func meanAblationDeltas() throws -> [[Float]] { try ablationDeltas() }

  func engineWindow() throws -> EngineWindow {
    throw LeafXError.unsupported("ig and ta need the model: captured attention cannot be re-run through the encoder")
  }

  func maskedScorer() throws -> any MaskedScorer {
    throw LeafXError.unsupported("perturbation methods need the model: captured attention cannot be re-run with audio removed")
  }

  func gradients(_ index: Int, of target: GradientTarget) throws -> CroppedGradients {
    guard let grads = input.crossGradients else {
      throw LeafXError.invalidArgument(argument: "cross_gradients", reason: "not given")
    }
    let t = input.queries
    let k = input.keys
    let f = trace.frames
    let cross = (0..<input.layers).map { l in
      (0..<input.heads).map { h -> [Float] in
        let base = ((index * input.layers + l) * input.heads + h) * t * k
        var out = [Float](repeating: 0, count: t * f)
        for r in 0..<t { for j in 0..<f { out[r * f + j] = grads[base + r * k + input.audioBegin + j] } }
        return out
      }
    }
    let selfGrads = (0..<input.layers).map { l in
      (0..<input.heads).map { h -> [Float] in
        guard let s = input.selfGradients else { return [Float](repeating: 0, count: t * t) }
        let base = ((index * input.layers + l) * input.heads + h) * t * t
        return Array(s[base..<(base + t * t)])
      }
    }
    return CroppedGradients(cross: cross, selfAttention: selfGrads)
  }

  func ablationDeltas() throws -> [[Float]] {
    guard let deltas = input.ablationDeltas else {
      throw LeafXError.invalidArgument(argument: "ablation_deltas", reason: "not given")
    }
    let r = input.rows.count
    return (0..<input.layers).map { l in Array(deltas[(l * r)..<((l + 1) * r)]) }
  }
}
