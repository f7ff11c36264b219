// CTranslate2 Whisper directories (what faster-whisper users have): `model.bin`
// (`CT2ModelFile`), `config.json`, and `tokenizer.json` or `vocabulary.txt`.
//
// Name mapping to openai-whisper's state-dict names (docs/model-formats.md, "Name mapping", from
// CTranslate2 @ 0d8bcd36 python/ctranslate2/converters/transformers.py `WhisperLoader` and
// converters/utils.py `fuse_linear`):
//
// ```
// encoder/conv{1,2}/{weight,bias}                  encoder.conv{1,2}.{weight,bias}
// encoder/position_encodings/encodings             encoder.positional_embedding
// E/self_attention/linear_0 [3d, d] rows q|k|v     E.attn.{query,key,value}  (k bias dropped)
// E/self_attention/linear_1                        E.attn.out
// E/self_attention/layer_norm/{gamma,beta}         E.attn_ln.{weight,bias}
// E/ffn/linear_{0,1}, E/ffn/layer_norm             E.mlp.{0,2}, E.mlp_ln
// D/attention/linear_0                             D.cross_attn.query
// D/attention/linear_1 [2d, d] rows k|v            D.cross_attn.{key,value}  (k bias dropped)
// D/attention/linear_2, D/attention/layer_norm     D.cross_attn.out, D.cross_attn_ln
// {encoder,decoder}/layer_norm                     encoder.ln_post, decoder.ln
// decoder/embeddings/weight (alias decoder/projection/weight)  decoder.token_embedding.weight
// decoder/position_encodings/encodings             decoder.positional_embedding
// ```
// The key bias of a fused projection is written as zeros by the converter; dropping it is
// exact in any case, since `q·(k + b)` shifts every score of a query row by the same `q·b`
// and softmax is shift-invariant.

/// Reads CTranslate2 Whisper model directories.
public enum CTranslate2Reader: ModelWeightsReader {
  /// `.ctranslate2`.
  public static let format = ModelFormat.ctranslate2

  /// True when `path` is a directory holding a `model.bin`.
  public static func canRead(path: String) -> Bool {
    MappedFile.kind(of: path) == .directory
      && MappedFile.kind(of: MappedFile.join(path, "model.bin")) == .file
  }

  /// Reads and validates the directory at `path`.
  /// - Throws: `io` when a file cannot be read, `format` naming the file, variable and
  ///   offset at fault, `unsupported` for int32 (AWQ) weights.
  public static func read(path: String) throws -> WhisperCheckpoint {
    let checkpoint = try readUnvalidated(path: path)
    try checkpoint.validate()
    return checkpoint
  }

  /// Reads the directory without the final `WhisperCheckpoint.validate()` pass (the caller
  /// runs it: `ModelLoader.load`).
  static func readUnvalidated(path: String) throws -> WhisperCheckpoint {
    guard MappedFile.kind(of: path) == .directory else {
      throw LeafXError.io(path: path, reason: "not a directory (a CTranslate2 model is a directory)")
    }
    let modelPath = MappedFile.join(path, "model.bin")
    let model = try CT2ModelFile(path: modelPath)
    if model.binaryVersion >= 2 && model.specName != "WhisperSpec" {
      throw LeafXError.format(
        path: modelPath, offset: nil, reason: "spec \(model.specName) is not WhisperSpec")
    }
    let dimensions = try dimensions(of: model)
    try dimensions.validate(path: modelPath)
    guard dimensions.nAudioState == dimensions.nTextState else {
      throw LeafXError.format(
        path: modelPath, offset: nil,
        reason: "encoder width \(dimensions.nAudioState) differs from decoder width \(dimensions.nTextState)")
    }
    let tensors = try canonicalTensors(of: model, dimensions: dimensions)
    let vocabulary = try vocabularySource(directory: path)
    let generation = try generationConfig(directory: path)
    return WhisperCheckpoint(
      format: .ctranslate2, path: path, dimensions: dimensions, tensors: tensors,
      melFilters: nil, vocabulary: vocabulary, generation: generation)
  }

  // MARK: - Dimensions

  /// Hyper-parameters from tensor shapes and the `num_heads` scalars.
  ///
  /// ```
  /// n_audio_state, n_mels = encoder/conv1/weight.shape[0], [1]
  /// n_audio_ctx           = encoder/position_encodings/encodings.shape[0]
  /// n_vocab, n_text_state = decoder/embeddings/weight.shape
  /// n_text_ctx            = decoder/position_encodings/encodings.shape[0]
  /// n_*_layer             = number of distinct layer_{i} scopes
  /// n_*_head              = {encoder,decoder}/num_heads (else state / 64, Whisper's head width)
  /// ```
  static func dimensions(of model: CT2ModelFile) throws -> WhisperDimensions {
    let path = model.file.path
    /// The shape of `name`, which must have rank `rank`.
    func shape(_ name: String, rank: Int) throws -> [Int] {
      let variable = try model.require(name)
      guard variable.shape.count == rank else {
        throw LeafXError.format(
          path: path, offset: variable.offset,
          reason: "\(name) has shape \(variable.shape), expected rank \(rank)")
      }
      return variable.shape
    }
    let conv1 = try shape("encoder/conv1/weight", rank: 3)
    let audioPositions = try shape("encoder/position_encodings/encodings", rank: 2)
    let embeddingName =
      model.variable("decoder/embeddings/weight") != nil
      ? "decoder/embeddings/weight" : "decoder/projection/weight"
    let embeddings = try shape(embeddingName, rank: 2)
    let textPositions = try shape("decoder/position_encodings/encodings", rank: 2)
    let audioState = conv1[0]
    let textState = embeddings[1]
    let audioHeads = try model.integerScalar("encoder/num_heads") ?? max(audioState / 64, 1)
    let textHeads = try model.integerScalar("decoder/num_heads") ?? max(textState / 64, 1)
    return WhisperDimensions(
      nMels: conv1[1], nAudioCtx: audioPositions[0], nAudioState: audioState,
      nAudioHead: audioHeads, nAudioLayer: layerCount(model, scope: "encoder"),
      nVocab: embeddings[0], nTextCtx: textPositions[0], nTextState: textState,
      nTextHead: textHeads, nTextLayer: layerCount(model, scope: "decoder"))
  }

  /// Number of distinct `scope/layer_{i}/` prefixes (gaps show up later as missing tensors).
  static func layerCount(_ model: CT2ModelFile, scope: String) -> Int {
    let prefix = scope + "/layer_"
    var indices = Set<Substring>()
    for name in model.variables.keys where name.hasPrefix(prefix) {
      let rest = name.dropFirst(prefix.count)
      guard let slash = rest.firstIndex(of: "/") else { continue }
      let digits = rest[..<slash]
      if !digits.isEmpty && digits.allSatisfy({ $0.isASCII && $0.isNumber }) { indices.insert(digits) }
    }
    return indices.count
  }

  // MARK: - Tensors

  /// Every canonical tensor, widened to float32, fused projections split.
  static func canonicalTensors(of model: CT2ModelFile, dimensions d: WhisperDimensions) throws -> [String: Tensor] {
    var tensors: [String: Tensor] = [:]
    let path = model.file.path

    /// Widens `ct2` whole into `canonical`.
    func copy(_ canonical: String, _ ct2: String) throws {
      tensors[canonical] = try model.widen(try model.require(ct2), rows: nil)
    }
    /// Splits `ct2` (`[parts*width, ...]`) into `parts` row blocks; nil names are dropped.
    func split(_ ct2: String, width: Int, into names: [String?], rank: Int) throws {
      let variable = try model.require(ct2)
      let expected = rank == 2 ? [names.count * width, width] : [names.count * width]
      guard variable.shape == expected else {
        throw LeafXError.format(
          path: path, offset: variable.offset,
          reason: "\(ct2) has shape \(variable.shape), expected \(expected)")
      }
      for (part, name) in names.enumerated() {
        guard let name else { continue }
        tensors[name] = try model.widen(variable, rows: (part * width)..<((part + 1) * width))
      }
    }
    /// LayerNorm `gamma`/`beta` -> `weight`/`bias`.
    func layerNorm(_ canonical: String, _ ct2: String) throws {
      try copy(canonical + ".weight", ct2 + "/gamma")
      try copy(canonical + ".bias", ct2 + "/beta")
    }
    /// Linear or Conv1D `weight` and `bias`.
    func linear(_ canonical: String, _ ct2: String) throws {
      try copy(canonical + ".weight", ct2 + "/weight")
      try copy(canonical + ".bias", ct2 + "/bias")
    }
    /// Fused q|k|v `linear_0`, output `linear_1`, and the block's pre-norm.
    func selfAttention(_ canonical: String, _ ct2: String, width: Int) throws {
      let names = ["query", "key", "value"].map { "\(canonical).\($0)" }
      try split(ct2 + "/linear_0/weight", width: width, into: names.map { $0 + ".weight" }, rank: 2)
      try split(ct2 + "/linear_0/bias", width: width, into: [names[0] + ".bias", nil, names[2] + ".bias"], rank: 1)
      try linear(canonical + ".out", ct2 + "/linear_1")
      try layerNorm(canonical + "_ln", ct2 + "/layer_norm")
    }
    /// `ffn/linear_0`, `ffn/linear_1` and their pre-norm.
    func feedForward(_ canonical: String, _ ct2: String) throws {
      try linear(canonical + ".mlp.0", ct2 + "/linear_0")
      try linear(canonical + ".mlp.2", ct2 + "/linear_1")
      try layerNorm(canonical + ".mlp_ln", ct2 + "/layer_norm")
    }

    for conv in ["conv1", "conv2"] { try linear("encoder.\(conv)", "encoder/\(conv)") }
    try copy("encoder.positional_embedding", "encoder/position_encodings/encodings")
    for i in 0..<d.nAudioLayer {
      try selfAttention("encoder.blocks.\(i).attn", "encoder/layer_\(i)/self_attention", width: d.nAudioState)
      try feedForward("encoder.blocks.\(i)", "encoder/layer_\(i)/ffn")
    }
    try layerNorm("encoder.ln_post", "encoder/layer_norm")

    let embedding = model.variable("decoder/embeddings/weight") != nil ? "decoder/embeddings/weight" : "decoder/projection/weight"
    try copy("decoder.token_embedding.weight", embedding)
    try copy("decoder.positional_embedding", "decoder/position_encodings/encodings")
    for i in 0..<d.nTextLayer {
      let block = "decoder.blocks.\(i)"
      let scope = "decoder/layer_\(i)"
      try selfAttention("\(block).attn", "\(scope)/self_attention", width: d.nTextState)
      let cross = "\(block).cross_attn"
      try linear("\(cross).query", "\(scope)/attention/linear_0")
      try split(
        "\(scope)/attention/linear_1/weight", width: d.nTextState,
        into: ["\(cross).key.weight", "\(cross).value.weight"], rank: 2)
      try split(
        "\(scope)/attention/linear_1/bias", width: d.nTextState, into: [nil, "\(cross).value.bias"], rank: 1)
      try linear("\(cross).out", "\(scope)/attention/linear_2")
      try layerNorm("\(block).cross_attn_ln", "\(scope)/attention/layer_norm")
      try feedForward(block, "\(scope)/ffn")
    }
    try layerNorm("decoder.ln", "decoder/layer_norm")
    return tensors
  }

  // MARK: - Side files

  /// `tokenizer.json` if present, else `vocabulary.txt`.
  /// - Throws: `format` when neither exists.
  static func vocabularySource(directory: String) throws -> VocabularySource {
    let tokenizer = MappedFile.join(directory, "tokenizer.json")
    if MappedFile.kind(of: tokenizer) == .file { return .huggingFaceJSON(path: tokenizer) }
    let vocabulary = MappedFile.join(directory, "vocabulary.txt")
    if MappedFile.kind(of: vocabulary) == .file { return .ctranslate2Vocabulary(path: vocabulary) }
    if MappedFile.kind(of: MappedFile.join(directory, "vocabulary.json")) == .file {
      throw LeafXError.unsupported(
        "\(directory): vocabulary.json without tokenizer.json is not supported; add tokenizer.json")
    }
    throw LeafXError.format(
      path: directory, offset: nil, reason: "no vocabulary: looked for tokenizer.json and vocabulary.txt")
  }

  /// The fields of CTranslate2's Whisper `config.json` that leafx uses.
  private struct Config: Decodable {
    /// Suppressed at every step.
    var suppressIds: [Int]?
    /// Suppressed at the first step.
    var suppressIdsBegin: [Int]?
    /// `[layer, head]` pairs for DTW timing.
    var alignmentHeads: [[Int]]?
    /// Token ids of the language tokens.
    var langIds: [Int]?

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
      case suppressIds = "suppress_ids", suppressIdsBegin = "suppress_ids_begin"
      case alignmentHeads = "alignment_heads", langIds = "lang_ids"
    }
  }

  /// `config.json` as a `GenerationConfig` (defaults when the file is absent). Language ids
  /// are named through the vocabulary (`<|de|>` -> "de"); ids that are not language tokens
  /// there are left out.
  /// - Throws: `format` when config.json is not valid JSON of the expected types.
  static func generationConfig(directory: String) throws -> GenerationConfig {
    let path = MappedFile.join(directory, "config.json")
    guard MappedFile.kind(of: path) != .missing else { return GenerationConfig() }
    let config = try JSONFile.decode(Config.self, path: path)
    var languages: [String: Int]?
    if let ids = config.langIds, !ids.isEmpty {
      let names = try tokenTexts(ids: Set(ids), directory: directory)
      var map: [String: Int] = [:]
      for id in ids {
        if let text = names[id], let code = languageCode(text) { map[code] = id }
      }
      languages = map.isEmpty ? nil : map
    }
    return GenerationConfig(
      suppressTokens: config.suppressIds, suppressTokensAtBegin: config.suppressIdsBegin,
      alignmentHeads: config.alignmentHeads, languageTokens: languages)
  }

  /// `"<|de|>"` -> `"de"`; nil for any other token.
  static func languageCode(_ token: String) -> String? {
    guard token.hasPrefix("<|"), token.hasSuffix("|>"), token.count > 4 else { return nil }
    let code = token.dropFirst(2).dropLast(2)
    guard code.count <= 8, code.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") }) else { return nil }
    return String(code)
  }

  /// The token text of each id in `ids`, from vocabulary.txt (line index = id) or else the
  /// `added_tokens` of tokenizer.json; empty when neither is there.
  static func tokenTexts(ids: Set<Int>, directory: String) throws -> [Int: String] {
    var texts: [Int: String] = [:]
    let vocabulary = MappedFile.join(directory, "vocabulary.txt")
    if MappedFile.kind(of: vocabulary) == .file {
      let file = try MappedFile(path: vocabulary)
      var line = 0
      var start = 0
      let bytes = file.bytes
      for index in 0...bytes.count where index == bytes.count || bytes[index] == 0x0A {
        if ids.contains(line) {
          let text = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
          texts[line] = String(decoding: text, as: UTF8.self)
        }
        line += 1
        start = index + 1
      }
      return texts
    }
    let tokenizer = MappedFile.join(directory, "tokenizer.json")
    if MappedFile.kind(of: tokenizer) == .file {
      /// The part of tokenizer.json that names special tokens.
      struct Tokenizer: Decodable {
        /// One added token.
        struct Added: Decodable {
          /// Token id.
          var id: Int
          /// Token text.
          var content: String
        }
        /// Special and added tokens.
        var added_tokens: [Added]?
      }
      for token in try JSONFile.decode(Tokenizer.self, path: tokenizer).added_tokens ?? [] where ids.contains(token.id) {
        texts[token.id] = token.content
      }
    }
    return texts
  }
}
