// Hugging Face Whisper directories: `model.safetensors`, `config.json` (WhisperConfig),
// `tokenizer.json`, optionally `generation_config.json`.
//
// safetensors (huggingface/safetensors docs, "Format"):
// ```
// u64 N                          little-endian header length
// u8  header[N]                  JSON {name: {"dtype", "shape", "data_offsets": [begin, end]},
//                                      "__metadata__": {...}}
// u8  data[...]                  offsets relative to byte 8 + N, row-major
// ```
// Names (transformers src/transformers/models/whisper/convert_openai_to_hf.py, modeling_whisper.py):
// ```
// model.encoder.conv{1,2}.*                  encoder.conv{1,2}.*
// model.{encoder,decoder}.embed_positions.weight   {encoder,decoder}.positional_embedding
// model.decoder.embed_tokens.weight (or proj_out.weight)   decoder.token_embedding.weight
// model.X.layers.{i}.self_attn.{q,k,v,out}_proj    X.blocks.{i}.attn.{query,key,value,out}
// model.X.layers.{i}.self_attn_layer_norm          X.blocks.{i}.attn_ln
// model.decoder.layers.{i}.encoder_attn.*_proj     decoder.blocks.{i}.cross_attn.*
// model.decoder.layers.{i}.encoder_attn_layer_norm decoder.blocks.{i}.cross_attn_ln
// model.X.layers.{i}.fc1 / fc2 / final_layer_norm  X.blocks.{i}.mlp.0 / mlp.2 / mlp_ln
// model.encoder.layer_norm / model.decoder.layer_norm   encoder.ln_post / decoder.ln
// ```
// Names without the `model.` prefix (a bare WhisperModel) are accepted too. A key bias, which
// openai and HF models do not have, would be dropped (exact: softmax is shift-invariant).

/// Reads Hugging Face Whisper directories.
public enum SafetensorsReader: ModelWeightsReader {
  /// `.safetensors`.
  public static let format = ModelFormat.safetensors

  /// True when `path` is a directory holding a `model.safetensors`.
  public static func canRead(path: String) -> Bool {
    MappedFile.kind(of: path) == .directory
      && MappedFile.kind(of: MappedFile.join(path, "model.safetensors")) == .file
  }

  /// Reads and validates the directory at `path`.
  /// - Throws: `io` when a file cannot be read, `format` naming the file, tensor and offset
  ///   at fault, `unsupported` for dtypes other than F32, F16, BF16.
  public static func read(path: String) throws -> WhisperCheckpoint {
    let checkpoint = try readUnvalidated(path: path)
    try checkpoint.validate()
    return checkpoint
  }

  /// One header entry, located in the file.
  struct Entry {
    /// Stored type.
    var dtype: StoredDType
    /// Row-major shape.
    var shape: [Int]
    /// Element count.
    var count: Int
    /// Absolute byte offset in the file.
    var offset: Int
    /// Byte length.
    var byteCount: Int
  }

  /// The header as JSON: every key except `__metadata__` is a tensor.
  private struct RawHeader: Decodable {
    /// A tensor's header record.
    struct RawEntry: Decodable {
      /// `"F32"`, `"F16"`, `"BF16"`, ...
      var dtype: String
      /// Row-major shape.
      var shape: [Int]
      /// `[begin, end)` relative to the data section.
      var data_offsets: [Int]
    }
    /// A JSON key.
    struct Key: CodingKey {
      /// The key text.
      var stringValue: String
      /// Unused.
      var intValue: Int? { nil }
      /// A key from text.
      init(stringValue: String) { self.stringValue = stringValue }
      /// Not used: header keys are strings.
      init?(intValue: Int) { nil }
    }
    /// Tensor records by name.
    var entries: [String: RawEntry] = [:]

    /// Decodes every tensor record, skipping `__metadata__`.
    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Key.self)
      for key in container.allKeys where key.stringValue != "__metadata__" {
        entries[key.stringValue] = try container.decode(RawEntry.self, forKey: key)
      }
    }
  }

  /// Parses and checks the header of `file`: every entry's dtype, shape and offsets against
  /// the data section.
  /// - Throws: `format` naming the tensor and offset, `unsupported` for other dtypes.
  static func readHeader(_ file: MappedFile) throws -> [String: Entry] {
    var cursor = file.cursor()
    let length = try cursor.u64("header length")
    guard length <= UInt64(min(cursor.remaining, JSONFile.maximumSize)) else {
      throw cursor.error(
        "header length \(length) exceeds the \(cursor.remaining) bytes that follow (or the \(JSONFile.maximumSize)-byte limit)",
        at: 0)
    }
    let header = try cursor.bytes(Int(length), "header")
    let raw = try JSONFile.decode(RawHeader.self, bytes: header, path: file.path, offset: 8)
    let dataStart = cursor.offset
    let dataSize = cursor.remaining
    var entries: [String: Entry] = [:]
    for (name, entry) in raw.entries {
      /// A `format` error naming this tensor.
      func fail(_ reason: String) -> LeafXError {
        .format(path: file.path, offset: 8, reason: "tensor \(name): \(reason)")
      }
      let dtype: StoredDType
      switch entry.dtype {
      case "F32": dtype = .f32
      case "F16": dtype = .f16
      case "BF16": dtype = .bf16
      case "F64", "I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64", "BOOL", "F8_E4M3", "F8_E5M2":
        throw LeafXError.unsupported("\(file.path): tensor \(name) has dtype \(entry.dtype) (leafx reads F32, F16, BF16)")
      default: throw fail("unknown dtype \"\(entry.dtype)\"")
      }
      guard entry.shape.count <= 8, let count = CheckedSize.elementCount(entry.shape) else {
        throw fail("invalid shape \(entry.shape)")
      }
      guard entry.data_offsets.count == 2 else { throw fail("data_offsets must hold 2 values") }
      let begin = entry.data_offsets[0]
      let end = entry.data_offsets[1]
      guard begin >= 0, begin <= end, end <= dataSize else {
        throw fail("data_offsets [\(begin), \(end)] are outside the \(dataSize)-byte data section")
      }
      guard let byteCount = dtype.byteCount(elements: count), byteCount == end - begin else {
        throw fail("shape \(entry.shape) of \(entry.dtype) does not fill \(end - begin) bytes")
      }
      entries[name] = Entry(dtype: dtype, shape: entry.shape, count: count, offset: dataStart + begin, byteCount: byteCount)
    }
    return entries
  }

  /// The fields of `config.json` (WhisperConfig) and `generation_config.json` that leafx uses.
  private struct Config: Decodable {
    /// Mel bins.
    var num_mel_bins: Int?
    /// Encoder positions (1500).
    var max_source_positions: Int?
    /// Width of both stacks.
    var d_model: Int?
    /// Encoder heads.
    var encoder_attention_heads: Int?
    /// Encoder blocks.
    var encoder_layers: Int?
    /// Vocabulary size.
    var vocab_size: Int?
    /// Decoder positions (448).
    var max_target_positions: Int?
    /// Decoder heads.
    var decoder_attention_heads: Int?
    /// Decoder blocks.
    var decoder_layers: Int?
    /// Suppressed at every step.
    var suppress_tokens: [Int]?
    /// Suppressed at the first step.
    var begin_suppress_tokens: [Int]?
    /// `[layer, head]` pairs for DTW timing.
    var alignment_heads: [[Int]]?
    /// `"<|de|>"` to token id (generation_config.json).
    var lang_to_id: [String: Int]?
  }

  /// Reads the directory without the final `WhisperCheckpoint.validate()` pass.
  static func readUnvalidated(path: String) throws -> WhisperCheckpoint {
    guard MappedFile.kind(of: path) == .directory else {
      throw LeafXError.io(path: path, reason: "not a directory (a Hugging Face model is a directory)")
    }
    let file = try MappedFile(path: MappedFile.join(path, "model.safetensors"))
    let entries = try readHeader(file)
    let configPath = MappedFile.join(path, "config.json")
    let config = MappedFile.kind(of: configPath) == .missing ? nil : try JSONFile.decode(Config.self, path: configPath)
    let generationPath = MappedFile.join(path, "generation_config.json")
    let generation =
      MappedFile.kind(of: generationPath) == .missing ? nil : try JSONFile.decode(Config.self, path: generationPath)

    /// The entry called `hfName`, with or without the `model.` prefix.
    func entry(_ hfName: String) -> Entry? {
      entries[hfName] ?? (hfName.hasPrefix("model.") ? entries[String(hfName.dropFirst(6))] : nil)
    }
    let tokenEmbedding = entry("model.decoder.embed_tokens.weight") ?? entry("proj_out.weight")
    /// `value` from config.json, else `shape[axis]` of the tensor that shows it.
    func dimension(_ value: Int?, _ name: String, _ shape: [Int]?, _ axis: Int) throws -> Int {
      if let value { return value }
      guard let shape, axis < shape.count else {
        throw LeafXError.format(
          path: file.path, offset: nil, reason: "cannot tell \(name): config.json lacks it and its tensor is missing")
      }
      return shape[axis]
    }
    let conv1 = entry("model.encoder.conv1.weight")?.shape
    let audioState = try dimension(config?.d_model, "d_model", conv1, 0)
    let textState = try dimension(config?.d_model, "d_model", tokenEmbedding?.shape, 1)
    let dimensions = WhisperDimensions(
      nMels: try dimension(config?.num_mel_bins, "num_mel_bins", conv1, 1),
      nAudioCtx: try dimension(
        config?.max_source_positions, "max_source_positions", entry("model.encoder.embed_positions.weight")?.shape, 0),
      nAudioState: audioState,
      nAudioHead: config?.encoder_attention_heads ?? max(audioState / 64, 1),
      nAudioLayer: config?.encoder_layers ?? layerCount(entries, scope: "encoder"),
      nVocab: try dimension(config?.vocab_size, "vocab_size", tokenEmbedding?.shape, 0),
      nTextCtx: try dimension(
        config?.max_target_positions, "max_target_positions", entry("model.decoder.embed_positions.weight")?.shape, 0),
      nTextState: textState,
      nTextHead: config?.decoder_attention_heads ?? max(textState / 64, 1),
      nTextLayer: config?.decoder_layers ?? layerCount(entries, scope: "decoder"))
    try dimensions.validate(path: config == nil ? file.path : configPath)

    var tensors: [String: Tensor] = [:]
    for name in WhisperCheckpoint.expectedShapes(dimensions).keys {
      let hf = hfName(canonical: name)
      let found = name == "decoder.token_embedding.weight" ? tokenEmbedding : entry(hf)
      guard let found else {
        throw LeafXError.format(path: file.path, offset: nil, reason: "tensor \(hf) (for \(name)) is missing")
      }
      let source = UnsafeRawBufferPointer(rebasing: file.bytes[found.offset..<(found.offset + found.byteCount)])
      tensors[name] = Tensor(
        shape: found.shape, values: try DTypeWidening.widen(source, as: found.dtype, count: found.count))
    }

    var languages: [String: Int]?
    if let map = generation?.lang_to_id ?? config?.lang_to_id {
      var codes: [String: Int] = [:]
      for (token, id) in map {
        if let code = CTranslate2Reader.languageCode(token) { codes[code] = id }
      }
      languages = codes.isEmpty ? nil : codes
    }
    let settings = GenerationConfig(
      suppressTokens: config?.suppress_tokens ?? generation?.suppress_tokens,
      suppressTokensAtBegin: config?.begin_suppress_tokens ?? generation?.begin_suppress_tokens,
      alignmentHeads: config?.alignment_heads ?? generation?.alignment_heads,
      languageTokens: languages)
    let tokenizer = MappedFile.join(path, "tokenizer.json")
    guard MappedFile.kind(of: tokenizer) == .file else {
      throw LeafXError.format(path: path, offset: nil, reason: "no vocabulary: tokenizer.json is missing")
    }
    return WhisperCheckpoint(
      format: .safetensors, path: path, dimensions: dimensions, tensors: tensors, melFilters: nil,
      vocabulary: .huggingFaceJSON(path: tokenizer), generation: settings)
  }

  /// Number of distinct `[model.]scope.layers.{i}.` prefixes.
  static func layerCount(_ entries: [String: Entry], scope: String) -> Int {
    var indices = Set<Substring>()
    for name in entries.keys {
      let bare = name.hasPrefix("model.") ? name.dropFirst(6) : Substring(name)
      let prefix = scope + ".layers."
      guard bare.hasPrefix(prefix) else { continue }
      let rest = bare.dropFirst(prefix.count)
      if let dot = rest.firstIndex(of: "."), !rest[..<dot].isEmpty { indices.insert(rest[..<dot]) }
    }
    return indices.count
  }

  /// The Hugging Face name of a canonical (openai-whisper) tensor name.
  static func hfName(canonical: String) -> String {
    switch canonical {
    case "encoder.positional_embedding": return "model.encoder.embed_positions.weight"
    case "decoder.positional_embedding": return "model.decoder.embed_positions.weight"
    case "decoder.token_embedding.weight": return "model.decoder.embed_tokens.weight"
    default: break
    }
    var parts = canonical.split(separator: ".").map(String.init)
    guard parts.count >= 3 else { return "model." + canonical }
    if parts[1] == "ln_post" || parts[1] == "ln" {
      return "model.\(parts[0]).layer_norm.\(parts[2])"
    }
    guard parts[1] == "blocks", parts.count >= 5 else { return "model." + canonical }
    parts[1] = "layers"
    let projections = ["query": "q_proj", "key": "k_proj", "value": "v_proj", "out": "out_proj"]
    let tail: [String]
    switch parts[3] {
    case "attn": tail = ["self_attn", projections[parts[4]] ?? parts[4]] + parts.dropFirst(5)
    case "cross_attn": tail = ["encoder_attn", projections[parts[4]] ?? parts[4]] + parts.dropFirst(5)
    case "attn_ln": tail = ["self_attn_layer_norm"] + parts.dropFirst(4)
    case "cross_attn_ln": tail = ["encoder_attn_layer_norm"] + parts.dropFirst(4)
    case "mlp_ln": tail = ["final_layer_norm"] + parts.dropFirst(4)
    case "mlp": tail = [parts[4] == "0" ? "fc1" : "fc2"] + parts.dropFirst(5)
    default: tail = Array(parts.dropFirst(3))
    }
    return (["model"] + parts[0..<3] + tail).joined(separator: ".")
  }
}
