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
