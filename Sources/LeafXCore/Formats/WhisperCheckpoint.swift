/// The weight file formats leafx reads (docs/design.md, "Model formats").
public enum ModelFormat: String, Sendable, CaseIterable {
  /// CTranslate2 directory: model.bin, config.json, vocabulary.txt / tokenizer.json.
  case ctranslate2
  /// whisper.cpp ggml `.bin` (legacy "ggml" magic).
  case ggml
  /// Hugging Face directory: model.safetensors, config.json, tokenizer.json.
  case safetensors
}

/// Where the tokenizer's vocabulary comes from, by format.
public enum VocabularySource: Sendable {
  /// A Hugging Face `tokenizer.json` (byte-level BPE with merges and added tokens).
  case huggingFaceJSON(path: String)
  /// CTranslate2's `vocabulary.txt`: one token per line, line index = id, GPT-2
  /// byte-to-unicode form (`Ġ` for a space).
  case ctranslate2Vocabulary(path: String)
  /// Raw token bytes stored in a ggml file for the regular ids 0..<count; special tokens
  /// are synthesised from `nVocab` as whisper.cpp does.
  case ggmlTokens([[UInt8]])
}

/// Generation settings stored beside the weights (CTranslate2 and Hugging Face
/// config.json); nil fields are derived from the tokenizer as openai-whisper does.
public struct GenerationConfig: Sendable, Equatable {
  /// Tokens suppressed at every step (openai-whisper's `suppress_tokens="-1"` set).
  public var suppressTokens: [Int]?
  /// Tokens suppressed at the first sampled step (space and EOT).
  public var suppressTokensAtBegin: [Int]?
  /// `[layer, head]` pairs of the cross-attention heads used for DTW word timing.
  public var alignmentHeads: [[Int]]?
  /// Language code to token id, for multilingual models.
  public var languageTokens: [String: Int]?

  public init(
    suppressTokens: [Int]? = nil, suppressTokensAtBegin: [Int]? = nil,
    alignmentHeads: [[Int]]? = nil, languageTokens: [String: Int]? = nil
  ) {
    self.suppressTokens = suppressTokens
    self.suppressTokensAtBegin = suppressTokensAtBegin
    self.alignmentHeads = alignmentHeads
    self.languageTokens = languageTokens
  }
}

/// A loaded Whisper checkpoint, independent of the file format it came from.
///
/// Tensor names are openai-whisper's state-dict names (the names whisper.cpp's ggml files
/// use), with separate query/key/value projections; readers of fused formats split them.
/// Key projections have no bias. Shapes are numpy order: Linear `[out, in]`, Conv1D
/// `[out, in, 3]`, biases `[n]`, positional embeddings `[n_ctx, n_state]`.
///
/// ```
/// encoder.conv1.weight [d, n_mels, 3]   encoder.conv1.bias [d]
/// encoder.conv2.weight [d, d, 3]        encoder.conv2.bias [d]
/// encoder.positional_embedding [n_audio_ctx, d]
/// encoder.blocks.{i}.attn.{query,key,value,out}.weight [d, d]   (.bias [d], no key bias)
/// encoder.blocks.{i}.attn_ln.{weight,bias} [d]
/// encoder.blocks.{i}.mlp.0.weight [4d, d]  .mlp.0.bias [4d]  .mlp.2.weight [d, 4d]  .mlp.2.bias [d]
/// encoder.blocks.{i}.mlp_ln.{weight,bias} [d]
/// encoder.ln_post.{weight,bias} [d]
/// decoder.token_embedding.weight [n_vocab, d]   decoder.positional_embedding [n_text_ctx, d]
/// decoder.blocks.{i}.attn.* / attn_ln.* / cross_attn.* / cross_attn_ln.* / mlp.* / mlp_ln.*
/// decoder.ln.{weight,bias} [d]
/// ```
public struct WhisperCheckpoint: Sendable {
  public var format: ModelFormat
  /// The path the checkpoint was loaded from (file or directory).
  public var path: String
  public var dimensions: WhisperDimensions
  /// Canonical name (above) to tensor.
  public var tensors: [String: Tensor]
  /// Mel filterbank stored in the file (ggml), `[n_mels, 201]`; nil means compute it.
  public var melFilters: Tensor?
  public var vocabulary: VocabularySource
  public var generation: GenerationConfig

  public init(
    format: ModelFormat, path: String, dimensions: WhisperDimensions, tensors: [String: Tensor],
    melFilters: Tensor? = nil, vocabulary: VocabularySource, generation: GenerationConfig = GenerationConfig()
  ) {
    self.format = format
    self.path = path
    self.dimensions = dimensions
    self.tensors = tensors
    self.melFilters = melFilters
    self.vocabulary = vocabulary
    self.generation = generation
  }

  /// Every tensor name and shape a checkpoint with `dimensions` must hold.
  public static func expectedShapes(_ d: WhisperDimensions) -> [String: [Int]] {
    var shapes: [String: [Int]] = [:]
    let a = d.nAudioState
    let t = d.nTextState
    shapes["encoder.conv1.weight"] = [a, d.nMels, 3]
    shapes["encoder.conv1.bias"] = [a]
    shapes["encoder.conv2.weight"] = [a, a, 3]
    shapes["encoder.conv2.bias"] = [a]
    shapes["encoder.positional_embedding"] = [d.nAudioCtx, a]
    func attention(_ prefix: String, _ n: Int) {
      for projection in ["query", "key", "value", "out"] {
        shapes["\(prefix).\(projection).weight"] = [n, n]
        if projection != "key" { shapes["\(prefix).\(projection).bias"] = [n] }
      }
    }
    func block(_ prefix: String, _ n: Int, cross: Bool) {
      attention("\(prefix).attn", n)
      shapes["\(prefix).attn_ln.weight"] = [n]
      shapes["\(prefix).attn_ln.bias"] = [n]
      if cross {
        attention("\(prefix).cross_attn", n)
        shapes["\(prefix).cross_attn_ln.weight"] = [n]
        shapes["\(prefix).cross_attn_ln.bias"] = [n]
      }
      shapes["\(prefix).mlp.0.weight"] = [4 * n, n]
      shapes["\(prefix).mlp.0.bias"] = [4 * n]
      shapes["\(prefix).mlp.2.weight"] = [n, 4 * n]
      shapes["\(prefix).mlp.2.bias"] = [n]
      shapes["\(prefix).mlp_ln.weight"] = [n]
      shapes["\(prefix).mlp_ln.bias"] = [n]
    }
    for i in 0..<d.nAudioLayer { block("encoder.blocks.\(i)", a, cross: false) }
    shapes["encoder.ln_post.weight"] = [a]
    shapes["encoder.ln_post.bias"] = [a]
    shapes["decoder.token_embedding.weight"] = [d.nVocab, t]
    shapes["decoder.positional_embedding"] = [d.nTextCtx, t]
    for i in 0..<d.nTextLayer { block("decoder.blocks.\(i)", t, cross: true) }
    shapes["decoder.ln.weight"] = [t]
    shapes["decoder.ln.bias"] = [t]
    return shapes
  }

  /// Throws `format` naming the first missing tensor, wrong shape or non-finite value.
  public func validate() throws {
    for (name, shape) in Self.expectedShapes(dimensions).sorted(by: { $0.key < $1.key }) {
      guard let tensor = tensors[name] else {
        throw LeafXError.format(path: path, offset: nil, reason: "tensor \(name) is missing")
      }
      guard tensor.shape == shape else {
        throw LeafXError.format(
          path: path, offset: nil, reason: "tensor \(name) has shape \(tensor.shape), expected \(shape)")
      }
      let bad = tensor.values.withUnsafeBufferPointer { values -> Int? in
        for i in values.indices where !values[i].isFinite { return i }
        return nil
      }
      if let bad {
        throw LeafXError.format(
          path: path, offset: nil, reason: "tensor \(name) holds \(tensor.values[bad]) at element \(bad)")
      }
    }
  }
}

/// A reader of one weight format.
public protocol ModelWeightsReader {
  /// The format this reader handles.
  static var format: ModelFormat { get }
  /// True when `path` looks like this format (a cheap check of names and magic bytes).
  static func canRead(path: String) -> Bool
  /// Memory-maps `path`, validates every header field, shape, dtype and offset against the
  /// file size before touching data, and widens every tensor to float32.
  /// - Throws: `io` for unreadable files, `format` naming the file, tensor and offset.
  static func read(path: String) throws -> WhisperCheckpoint
}
