import FoundationEssentials

/// Reads a Whisper vocabulary in each format leafx supports into a merge engine and a
/// special-token layout.
///
/// ```
/// tokenizer.json   model.vocab {GPT-2 spelling: id}, model.merges ("a b" or ["a", "b"]),
///                  added_tokens [{id, content}] for the specials      → HF merge ranks
///                                                                        (or ranks = ids)
/// vocabulary.txt   line i = token i in GPT-2 spelling, specials as <|…|> → ranks = ids
/// ggml tokens      raw bytes of ids 0..<n; specials synthesised from n_vocab → ranks = ids
/// ```
///
/// Ranks = ids is tiktoken's convention (a merge's rank is the id of the token it makes). The
/// tests check it against openai-whisper's tiktoken ids and against the `tokenizer.json` merge
/// lists: identical for English-only vocabularies, while the multilingual lists lack their
/// first merge (see `WhisperTokenizer.MergeRanks`).
/// Every field of a file is validated; malformed input is a `LeafXError`, never a trap.
enum VocabularyLoader {
  /// Loads `source`.
  /// - Parameters:
  ///   - source: where the vocabulary is.
  ///   - nVocab: the model's output size; required for ggml tokens.
  ///   - mergeRanks: for `tokenizer.json`, its merge list or the token ids.
  /// - Returns: the merge engine over the regular tokens and the special layout.
  /// - Throws: `io`, `format` or `invalidArgument` naming the file and the fault.
  static func load(
    _ source: VocabularySource, nVocab: Int?, mergeRanks: WhisperTokenizer.MergeRanks
  ) throws -> (ByteLevelBPE, SpecialTokenLayout) {
    switch source {
    case .huggingFaceJSON(let path):
      return try loadHuggingFace(path: path, nVocab: nVocab, mergeRanks: mergeRanks)
    case .ctranslate2Vocabulary(let path): return try loadLines(path: path, nVocab: nVocab)
    case .ggmlTokens(let tokens): return try loadGGML(tokens: tokens, nVocab: nVocab)
    }
  }

  /// Label used in messages about ggml vocabularies, which carry no path of their own.
  static let ggmlLabel = "ggml vocabulary"

  /// The largest token id accepted from a file, so that a corrupt id cannot allocate a huge
  /// table (released vocabularies stop below 52,000).
  static let maxTokenID = 1 << 22

  // MARK: - Hugging Face tokenizer.json

  /// The parts of `tokenizer.json` the tokenizer needs.
  private struct HuggingFaceFile: Decodable {
    /// One entry of `added_tokens`.
    struct AddedToken: Decodable {
      /// The token id.
      var id: Int
      /// The token text, e.g. `<|endoftext|>`.
      var content: String
    }

    /// One entry of `model.merges`: `"Ġ t"` (older files) or `["Ġ", "t"]` (newer files).
    enum MergeEntry: Decodable {
      /// Space-separated pair.
      case joined(String)
      /// Two-element array.
      case pair([String])

      /// Decodes either spelling.
      init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
          self = .joined(text)
        } else {
          self = .pair(try container.decode([String].self))
        }
      }

      /// The two halves, or nil when the entry is not exactly two tokens.
      var halves: (String, String)? {
        switch self {
        case .joined(let text):
          let parts = text.split(separator: " ", omittingEmptySubsequences: false)
          return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        case .pair(let parts):
          return parts.count == 2 ? (parts[0], parts[1]) : nil
        }
      }
    }

    /// The `model` object.
    struct Model: Decodable {
      /// `"BPE"` for Whisper.
      var type: String?
      /// Token spelling to id.
      var vocab: [String: Int]
      /// Merge rules in priority order.
      var merges: [MergeEntry]?
    }

    /// `added_tokens`.
    var addedTokens: [AddedToken]?
    /// `model`.
    var model: Model

    /// JSON names.
    enum CodingKeys: String, CodingKey {
      case addedTokens = "added_tokens"
      case model
    }
  }

  /// Loads a Hugging Face `tokenizer.json`.
  private static func loadHuggingFace(
    path: String, nVocab: Int?, mergeRanks: WhisperTokenizer.MergeRanks
  ) throws -> (ByteLevelBPE, SpecialTokenLayout) {
    let data = try readFile(path)
    let file: HuggingFaceFile
    do {
      file = try JSONDecoder().decode(HuggingFaceFile.self, from: data)
    } catch {
      throw LeafXError.format(path: path, offset: nil, reason: "not a tokenizer.json: \(error)")
    }
    if let type = file.model.type, type != "BPE" {
      throw LeafXError.unsupported("\(path): tokenizer model type \(type) (Whisper uses BPE)")
    }

    var idByName: [String: Int] = [:]
    for (text, id) in file.model.vocab where looksSpecial(text) { idByName[text] = id }
    for token in file.addedTokens ?? [] { idByName[token.content] = token.id }
    addLegacyLanguageNames(&idByName)
    for (name, id) in idByName where !(0...maxTokenID).contains(id) {
      throw LeafXError.format(path: path, offset: nil, reason: "token \(name) has id \(id)")
    }
    let layout = try SpecialTokenLayout.named(idByName, nVocab: nVocab, path: path)

    var tokens = [[UInt8]](repeating: [], count: layout.eot)
    var filled = [Bool](repeating: false, count: layout.eot)
    for (text, id) in file.model.vocab {
      guard id >= 0 else {
        throw LeafXError.format(path: path, offset: nil, reason: "token \(text) has id \(id)")
      }
      guard id < layout.eot else { continue }
      if filled[id] {
        throw LeafXError.format(path: path, offset: nil, reason: "token id \(id) appears twice")
      }
      filled[id] = true
      tokens[id] = regularBytes(text)
    }

    if mergeRanks == .tokenIDs {
      return (try ByteLevelBPE(tokensRankedByID: tokens, path: path), layout)
    }
    var merges: [(left: Int, right: Int, merged: Int)] = []
    merges.reserveCapacity(file.model.merges?.count ?? 0)
    for (index, entry) in (file.model.merges ?? []).enumerated() {
      guard let (left, right) = entry.halves else {
        throw LeafXError.format(path: path, offset: nil, reason: "merge #\(index) is not two tokens")
      }
      guard let leftID = file.model.vocab[left], let rightID = file.model.vocab[right],
        let mergedID = file.model.vocab[left + right]
      else {
        throw LeafXError.format(
          path: path, offset: nil,
          reason: "merge #\(index) '\(left) \(right)' names a token not in model.vocab")
      }
      merges.append((leftID, rightID, mergedID))
    }
    let bpe = try ByteLevelBPE(tokens: tokens, merges: merges, path: path)
    return (bpe, layout)
  }

  // MARK: - CTranslate2 vocabulary.txt

  /// Loads a CTranslate2 `vocabulary.txt` (one token per `\n`-terminated line).
  private static func loadLines(
    path: String, nVocab: Int?
  ) throws -> (ByteLevelBPE, SpecialTokenLayout) {
    let data = try readFile(path)
    var lines: [String] = []
    var lineStart = 0
    let bytes = [UInt8](data)
    for (index, byte) in bytes.enumerated() where byte == 0x0A {
      lines.append(String(decoding: bytes[lineStart..<index], as: UTF8.self))
      lineStart = index + 1
    }
    if lineStart < bytes.count {
      lines.append(String(decoding: bytes[lineStart...], as: UTF8.self))
    }
    guard lines.count <= maxTokenID else {
      throw LeafXError.format(path: path, offset: nil, reason: "\(lines.count) lines is too many")
    }

    var idByName: [String: Int] = [:]
    for (id, text) in lines.enumerated() where looksSpecial(text) && idByName[text] == nil {
      idByName[text] = id
    }
    addLegacyLanguageNames(&idByName)
    let layout = try SpecialTokenLayout.named(idByName, nVocab: nVocab, path: path)
    guard layout.eot <= lines.count else {
      throw LeafXError.format(path: path, offset: nil, reason: "<|endoftext|> is past the end")
    }
    let tokens = lines[..<layout.eot].map(regularBytes)
    let bpe = try ByteLevelBPE(tokensRankedByID: tokens, path: path)
    return (bpe, layout)
  }

  // MARK: - ggml

  /// Builds the tokenizer from whisper.cpp's raw token bytes; the specials follow from
  /// `nVocab`. Entries at or past `eot` are ignored (they are special slots); missing regular
  /// ids are empty tokens, as whisper.cpp tolerates them.
  private static func loadGGML(
    tokens: [[UInt8]], nVocab: Int?
  ) throws -> (ByteLevelBPE, SpecialTokenLayout) {
    guard let nVocab else {
      throw LeafXError.invalidArgument(
        argument: "nVocab", reason: "required to synthesise the special tokens of a ggml vocabulary")
    }
    let layout = try SpecialTokenLayout.synthesized(nVocab: nVocab)
    var regular = Array(tokens.prefix(layout.eot))
    if regular.count < layout.eot {
      regular += [[UInt8]](repeating: [], count: layout.eot - regular.count)
    }
    let bpe = try ByteLevelBPE(tokensRankedByID: regular, path: ggmlLabel)
    return (bpe, layout)
  }

  // MARK: - Helpers

  /// Old spellings of language tokens, to the current code: the English-only vocabularies
  /// converted for Hugging Face (and CTranslate2 from them) write Hebrew as `<|iw|>` where
  /// openai-whisper's `LANGUAGES` says `he`.
  static let legacyLanguageCodes = ["iw": "he"]

  /// Renames each legacy-spelled language token to its current name (`<|iw|>` becomes
  /// `<|he|>`), unless the current name is present itself.
  private static func addLegacyLanguageNames(_ idByName: inout [String: Int]) {
    for (legacy, code) in legacyLanguageCodes {
      if idByName["<|\(code)|>"] == nil, let id = idByName.removeValue(forKey: "<|\(legacy)|>") {
        idByName["<|\(code)|>"] = id
      }
    }
  }

  /// True for spellings of the form `<|…|>` (special tokens; no regular token looks so).
  private static func looksSpecial(_ text: String) -> Bool {
    text.utf8.count >= 4 && text.hasPrefix("<|") && text.hasSuffix("|>")
  }

  /// The raw bytes of a regular token written in GPT-2's unicode spelling; a spelling with
  /// characters outside that alphabet stands for its own UTF-8 bytes (as the `tokenizers`
  /// ByteLevel decoder treats it).
  private static func regularBytes(_ text: String) -> [UInt8] {
    ByteLevelAlphabet.decode(text) ?? Array(text.utf8)
  }

  /// Largest vocabulary file accepted, in bytes (tokenizer.json is ~2.5 MB).
  static let maxFileSize = 64 << 20

  /// The contents of `path`, read through `MappedFile` (as `JSONFile` reads side files), so
  /// the size limit is checked before anything is copied. `Data(contentsOf:)` was used here
  /// before; FoundationEssentials leaks a 4 KB read buffer on every call for an empty file
  /// (found by Fuzz/Targets/FuzzTokenizer.swift under LeakSanitizer).
  /// - Throws: `io` naming the file when it cannot be read, `format` when it is empty or over
  ///   `maxFileSize`.
  private static func readFile(_ path: String) throws -> Data {
    let file = try MappedFile(path: path)
    guard file.count > 0 else {
      throw LeafXError.format(path: path, offset: 0, reason: "empty file (0 bytes), not a vocabulary")
    }
    guard file.count <= maxFileSize else {
      throw LeafXError.format(
        path: path, offset: nil, reason: "\(file.count) bytes is too large for a vocabulary")
    }
    return Data(bytes: file.bytes.baseAddress!, count: file.count)
  }
}
