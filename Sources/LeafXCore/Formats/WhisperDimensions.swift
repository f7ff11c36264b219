/// Hyper-parameters of a Whisper model, named as openai-whisper's `ModelDimensions`.
///
/// Read from the weight file (shapes and headers), never assumed from a size name, so that
/// tiny … large-v3 and turbo (4 decoder layers, 32 encoder layers) all load.
public struct WhisperDimensions: Sendable, Equatable, Codable {
  public var nMels: Int
  public var nAudioCtx: Int
  public var nAudioState: Int
  public var nAudioHead: Int
  public var nAudioLayer: Int
  public var nVocab: Int
  public var nTextCtx: Int
  public var nTextState: Int
  public var nTextHead: Int
  public var nTextLayer: Int

  public init(
    nMels: Int, nAudioCtx: Int, nAudioState: Int, nAudioHead: Int, nAudioLayer: Int,
    nVocab: Int, nTextCtx: Int, nTextState: Int, nTextHead: Int, nTextLayer: Int
  ) {
    self.nMels = nMels
    self.nAudioCtx = nAudioCtx
    self.nAudioState = nAudioState
    self.nAudioHead = nAudioHead
    self.nAudioLayer = nAudioLayer
    self.nVocab = nVocab
    self.nTextCtx = nTextCtx
    self.nTextState = nTextState
    self.nTextHead = nTextHead
    self.nTextLayer = nTextLayer
  }

  /// Multilingual models have 51865 (or, large-v3, 51866) tokens; English-only 51864.
  public var isMultilingual: Bool { nVocab >= 51865 }

  /// Throws `format` when the values cannot describe a Whisper model (zero or negative
  /// sizes, widths not divisible by the head count, absurd sizes).
  public func validate(path: String) throws {
    let fields: [(String, Int, ClosedRange<Int>)] = [
      ("n_mels", nMels, 1...512), ("n_audio_ctx", nAudioCtx, 1...100_000),
      ("n_audio_state", nAudioState, 1...16384), ("n_audio_head", nAudioHead, 1...256),
      ("n_audio_layer", nAudioLayer, 1...256), ("n_vocab", nVocab, 1...1_000_000),
      ("n_text_ctx", nTextCtx, 1...100_000), ("n_text_state", nTextState, 1...16384),
      ("n_text_head", nTextHead, 1...256), ("n_text_layer", nTextLayer, 1...256),
    ]
    for (name, value, range) in fields where !range.contains(value) {
      throw LeafXError.format(path: path, offset: nil, reason: "\(name) = \(value) is outside \(range)")
    }
    if nAudioState % nAudioHead != 0 || nTextState % nTextHead != 0 {
      throw LeafXError.format(
        path: path, offset: nil,
        reason: "state width not divisible by the head count (audio \(nAudioState)/\(nAudioHead), text \(nTextState)/\(nTextHead))")
    }
  }
}
