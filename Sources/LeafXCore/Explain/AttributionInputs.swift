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

/// What the input-gradient and relevance methods need of leafx's own engine for one window.
struct EngineWindow {
  let model: WhisperModel
  /// Decoder input: prompt + written tokens.
  let input: [Int]
  /// Rows predicting the explained tokens, and those tokens.
  let rows: [Int]
  let targets: [Int]
  /// 20 ms audio frames of the window.
  let frames: Int
  /// The window's cross keys and values, and its recorded teacher-forced pass.
  let audio: WhisperDecoder.AudioContext
  let tape: DecoderTape
  /// The window's encoder input `[n_mels, inputFrames]` and the recording's silence value,
  /// computed on demand (only `ig` reads them).
  let melWindow: () throws -> (mel: [Float], silence: Float)
}
