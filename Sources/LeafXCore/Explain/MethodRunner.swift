/// What the gradients are taken of.
enum GradientTarget: Hashable {
  /// log p(y_t) under the full softmax (LEAF-X).
  case logProb
  /// The raw logit of y_t (Chefer's grad-rollout).
  case logit
}

/// What the methods read about one window: the attention trace, the explained rows, and on
/// demand each explained token's gradients and the per-layer ablation deltas. Implemented by
/// leafx's own engine (WindowContext) and by attention captured elsewhere (ExternalAttention).
protocol AttributionInputs: AnyObject {
  var trace: AttentionTrace { get }
  var rows: [Int] { get }
  var windowSeek: Int { get }
  /// Gradients of explained token `k`, cropped like the trace.
  func gradients(_ k: Int, of target: GradientTarget) throws -> CroppedGradients
  /// `[layer][k]`: increase of token k's NLL when layer l's cross-attention output is zeroed.
  func ablationDeltas() throws -> [[Float]]
  /// `[layer][k]`: increase of token k's NLL when, per head, row t of layer l's cross-attention
  /// is replaced by the mean of rows 0…t, prompt included (`LayerAblation.mean`, the product
  /// LEAF-X's causal check).
  func meanAblationDeltas() throws -> [[Float]]
  /// Scores the explained tokens with audio frames removed (perturbation methods).
  func maskedScorer() throws -> any MaskedScorer
  /// leafx's own model, tape and input for the window (`ig`, `ta`).
  func engineWindow() throws -> EngineWindow
}

/// Everything the methods may need about one window of leafx's own engine, computed lazily
/// and at most once: the attention trace, and per explained token the gradients and
/// ablation deltas.
final class WindowContext: AttributionInputs {
  let model: WhisperModel
  /// Decoder input: prompt + written tokens.
  let input: [Int]
  /// Rows that predicted the explained tokens, and those tokens.
  let rows: [Int]
  let targets: [Int]
  let audio: WhisperDecoder.AudioContext
  let audioFrames: Int
  let windowSeek: Int
  /// The window's encoder input `[n_mels, inputFrames]`, computed on demand, and the
  /// recording's silence value (MaskedScoring.silenceValue).
  let melWindow: () throws -> (mel: [Float], silence: Float)

  init(
    model: WhisperModel, input: [Int], rows: [Int], targets: [Int], audio: WhisperDecoder.AudioContext,
    audioFrames: Int, windowSeek: Int, melWindow: @escaping () throws -> (mel: [Float], silence: Float)
  ) {
    self.melWindow = melWindow
    self.model = model
    self.input = input
    self.rows = rows
    self.targets = targets
    self.audio = audio
    self.audioFrames = audioFrames
    self.windowSeek = windowSeek
  }

  /// The teacher-forced pass, recorded for the backward pass.
  lazy var tape: DecoderTape = DecoderTape.record(decoder: model.decoder, tokens: input, audio: audio)

  /// The attention trace of that pass, cropped to the audio frames.
  lazy var trace: AttentionTrace = AttentionTrace(
    tokens: input, frames: audioFrames, totalFrames: audio.frames, rawCross: tape.crossAttention,
    selfAttention: tape.selfAttention)

  private var gradientCache: [GradientTarget: [Int: CroppedGradients]] = [:]

  /// Gradients of explained token `k` (row `rows[k]`), cropped to the audio frames.
  func gradients(_ k: Int, of target: GradientTarget) throws -> CroppedGradients {
    if let cached = gradientCache[target]?[k] { return cached }
    try checkCancelled()
    let row = rows[k]
    let token = targets[k]
    let full =
      target == .logProb
      ? tape.gradientsOfLogProb(row: row, token: token, decoder: model.decoder, audio: audio)
      : tape.gradientsOfLogit(row: row, token: token, decoder: model.decoder, audio: audio)
    let t = input.count
    let f = trace.frames
    let total = audio.frames
    let cross = full.crossAttention.map { heads in
      heads.map { g in
        var out = [Float](repeating: 0, count: t * f)
        for r in 0..<t { for j in 0..<f { out[r * f + j] = g[r * total + j] } }
        return out
      }
    }
    let result = CroppedGradients(cross: cross, selfAttention: full.selfAttention)
    gradientCache[target, default: [:]][k] = result
    return result
  }

  /// Δ_l(t) per layer and explained token for each way of knocking out a layer's
  /// cross-attention (LayerAblation), each computed once.
  func ablationDeltas() throws -> [[Float]] { try deltas(.zero) }
  func flattenedDeltas() throws -> [[Float]] { try deltas(.flatten) }
  func meanAblationDeltas() throws -> [[Float]] { try deltas(.mean) }

  private var deltaCache: [LayerAblation: [[Float]]] = [:]

  /// Polled before each backward and ablated pass (a few ms to tens of ms each), so that an
  /// abort stops an explanation within one of them; throws `LeafXError.cancelled`.
  var checkCancelled: () throws -> Void = {}

  private var scorer: EngineMaskedScorer?

  func maskedScorer() throws -> any MaskedScorer {
    if let scorer { return scorer }
    let (mel, silence) = try melWindow()
    let made = EngineMaskedScorer(
      model: model, input: input, rows: rows, targets: targets, melWindow: mel, frames: audioFrames, silence: silence)
    made.beforeEachBatch = checkCancelled
    scorer = made
    return made
  }

  private func deltas(_ ablation: LayerAblation) throws -> [[Float]] {
    if let cached = deltaCache[ablation] { return cached }
    let computed = try ablation.deltas(
      decoder: model.decoder, input: input, audio: audio, audioFrames: audioFrames, rows: rows, targets: targets,
      reference: tape, beforeEachLayer: checkCancelled)
    deltaCache[ablation] = computed
    return computed
  }

  func engineWindow() -> EngineWindow {
    EngineWindow(
      model: model, input: input, rows: rows, targets: targets, frames: audioFrames, audio: audio, tape: tape,
      melWindow: melWindow)
  }
}

/// Runs one attribution method over a window: returns, per explained row, a non-negative
/// (unnormalised) map over the window's audio frames.
struct MethodRunner {
  let options: ExplainOptions

  func attributions(_ context: any AttributionInputs) throws -> [[Float]] {
    let trace = context.trace
    let rows = context.rows
    let layers = options.layers(of: trace.layers)
    switch options.method {
    case .raa:
      return rows.map { RawAttention.attribution(trace, row: $0, layers: (trace.layers - 1)..<trace.layers) }
    case .raaMean:
      return rows.map { RawAttention.attribution(trace, row: $0, layers: 0..<trace.layers) }
    case .rollout:
      return AttentionRollout.attributions(trace, rows: rows, layers: layers)
    case .leafxPaper:
      return LeafXPaper.attributions(trace, rows: rows, layers: layers, options: options)
    case .leafx, .leafxGrad, .leafxCausal, .leafxCausalMeanHeads, .leafxCausalOneLayer, .leafxCausalNoGradient,
      .leafxCausalNoFootprint:
      let recipe = LeafX.recipe(for: options.method)
      return try LeafX.attributions(
        trace, rows: rows, layers: layers, recipe: recipe, options: options,
        gradients: { try context.gradients($0, of: .logProb) },
        deltas: recipe.causal ? try context.meanAblationDeltas() : nil)
    case .random:
      return RandomAttribution.attributions(
        rows: rows, frames: trace.frames, seed: options.seed, windowSeek: context.windowSeek)
    case .gradRollout:
      return try rows.indices.map { k in
        GradientRollout.attribution(trace, row: rows[k], gradients: try context.gradients(k, of: .logit), layers: layers)
      }
    case .leafxPaperGrad:
      return try rows.indices.map { k in
        LeafXPaper.attribution(
          trace, row: rows[k], gradients: try context.gradients(k, of: .logProb), layers: layers, options: options,
          ablationDeltas: nil)
      }
    case .leafxPaperCausal:
      let deltas = try context.ablationDeltas()
      return try rows.indices.map { k in
        LeafXPaper.attribution(
          trace, row: rows[k], gradients: try context.gradients(k, of: .logProb), layers: layers, options: options,
          ablationDeltas: deltas.map { $0[k] })
      }
    case .ig:
      return try IntegratedGradients.attributions(try context.engineWindow(), steps: options.steps)
    case .ta:
      return TransformerAttribution.attributions(try context.engineWindow(), frames: trace.frames, layers: layers)
    case .specmask:
      return try SpectrogramOcclusion.attributions(
        try context.maskedScorer(), window: options.occlusionWindow, stride: options.occlusionStride)
    case .lime:
      return try LIME.attributions(
        try context.maskedScorer(), segmentFrames: options.segmentFrames, samples: options.samples,
        seed: windowSeed(context))
    case .kernelshap:
      return try KernelSHAP.attributions(
        try context.maskedScorer(), segmentFrames: options.segmentFrames, samples: options.samples,
        seed: windowSeed(context))
    }
  }

  /// The seed mixed with the window's start, so windows draw different masks (as `random`).
  private func windowSeed(_ context: any AttributionInputs) -> UInt64 {
    options.seed &+ UInt64(truncatingIfNeeded: context.windowSeek) &* 0x9E37_79B9
  }
}
