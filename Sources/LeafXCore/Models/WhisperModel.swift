/// A loaded Whisper model: encoder, decoder, tokenizer and generation settings. Immutable
/// after load, so one instance is shared by every thread (docs/design.md, "The C ABI").
public final class WhisperModel: Sendable {
  public let format: ModelFormat
  public let path: String
  /// A short name: the model directory's or file's base name ("tiny.en", "ggml-base").
  public var name: String {
    let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
    let base = trimmed.split(separator: "/").last.map(String.init) ?? trimmed
    return base.hasSuffix(".bin") ? String(base.dropLast(4)) : base
  }
  public let dimensions: WhisperDimensions
  public let encoder: WhisperEncoder
  public let decoder: WhisperDecoder
  public let tokenizer: WhisperTokenizer
  public let generation: GenerationConfig
  /// The mel filterbank: the one stored in the file (ggml) or Whisper's standard bank.
  public let melFilters: MelFilterBank

  public init(checkpoint: WhisperCheckpoint) throws {
    try checkpoint.validate()
    format = checkpoint.format
    path = checkpoint.path
    dimensions = checkpoint.dimensions
    encoder = try WhisperEncoder(checkpoint)
    decoder = try WhisperDecoder(checkpoint)
    tokenizer = try WhisperTokenizer(checkpoint.vocabulary, nVocab: checkpoint.dimensions.nVocab)
    generation = checkpoint.generation
    if let stored = checkpoint.melFilters, stored.shape == [checkpoint.dimensions.nMels, 201] {
      melFilters = MelFilterBank(nMels: checkpoint.dimensions.nMels, weights: stored.values)
    } else {
      melFilters = MelFilterBank(nMels: checkpoint.dimensions.nMels)
    }
  }

  /// Loads a model from a CTranslate2 or Hugging Face directory or a ggml file.
  /// - Throws: `io`/`format` naming the file, tensor and offset at fault.
  public static func load(path: String, format: ModelFormat? = nil) throws -> WhisperModel {
    try WhisperModel(checkpoint: try ModelLoader.load(path: path, format: format))
  }

  /// Log-mel features of 16 kHz PCM for this model (its mel count and filterbank), with
  /// faster-whisper's padding of one hop.
  public func features(_ pcm: [Float]) throws -> MelSpectrogram {
    try pcm.withUnsafeBufferPointer {
      try LogMel.compute($0, options: MelOptions(nMels: dimensions.nMels), filters: melFilters)
    }
  }

  /// The encoder input of the window starting at mel frame `start`: `[n_mels, 3000]`,
  /// zero-padded past `end` as faster-whisper's `pad_or_trim` does.
  public func window(of mel: MelSpectrogram, start: Int, end: Int) -> [Float] {
    let frames = encoder.inputFrames
    var out = [Float](repeating: 0, count: mel.nMels * frames)
    let count = max(0, min(frames, min(end, mel.nFrames) - start))
    mel.values.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for m in 0..<mel.nMels {
          for f in 0..<count { dst[m * frames + f] = src[m * mel.nFrames + start + f] }
        }
      }
    }
    return out
  }
}
