/// Whisper's tokenizer: GPT-2 byte-level BPE over the regular tokens, plus the special
/// tokens (end of text, start of transcript, languages, tasks, timestamps) that follow them.
///
/// Behaves as openai-whisper's `Tokenizer` (`whisper/tokenizer.py`, tiktoken) and
/// faster-whisper's `Tokenizer` (`faster_whisper/tokenizer.py`, Hugging Face `tokenizers`):
/// the same special ids, SOT sequences, suppression list and decodings, and the same ids for
/// the same text — openai-whisper's, or with a `tokenizer.json` and `MergeRanks.file`,
/// faster-whisper's (they differ for multilingual models; see `MergeRanks`).
///
/// ```
/// ids 0 ..< eot                       regular tokens (byte strings)
/// eot, sot, languages, translate, transcribe, startoflm, startofprev, nospeech,
/// notimestamps, timestamp_begin ...   specials (see SpecialTokenLayout)
/// timestamp k = timestamp_begin + k   k · 0.02 s, k = 0 ..< 1501
/// ```
///
/// Immutable and `Sendable`: one instance can serve every thread.
public struct WhisperTokenizer: Sendable {
  /// The task (`WhisperTask`, declared beside the tokenizer), under the name
  /// openai-whisper's `task` argument suggests.
  public typealias Task = WhisperTask

  /// Merge engine and regular token bytes (ids `0..<eot`).
  let bpe: ByteLevelBPE
  /// Ids and names of the special tokens.
  let layout: SpecialTokenLayout
  /// Language token to code.
  private let codeByLanguageToken: [Int: String]
  /// Language code to token.
  private let languageTokenByCode: [String: Int]

  /// Tokens that write speaker tags or non-speech annotations (`♪`, `[`, `(`, `>>`…), which
  /// Whisper suppresses with `suppress_tokens = "-1"`: openai-whisper's `non_speech_tokens`,
  /// sorted ascending.
  public let nonSpeechTokens: [Int]

  /// Where BPE merge priorities come from.
  ///
  /// Every Whisper vocabulary is tiktoken's, whose merge rank *is* the id of the merged token,
  /// so the ids alone define openai-whisper's encoding. A `tokenizer.json` also carries a
  /// merge list, which Hugging Face `tokenizers` (and so faster-whisper) follows. The two agree
  /// for English-only vocabularies; the multilingual `tokenizer.json` files lack the first
  /// merge (`Ġ t`, token 256 `Ġt`), so with `.file` a word such as `" the"` encodes as
  /// `[220, 3322]` (`Ġ`, `the`) where openai-whisper writes `[264]`.
  public enum MergeRanks: Sendable, Equatable {
    /// A `tokenizer.json`'s merge list, as faster-whisper; token ids for sources without one.
    case file
    /// Token ids (tiktoken's ranks), as openai-whisper, for every source.
    case tokenIDs
  }

  /// Loads the tokenizer of a checkpoint.
  /// - Parameters:
  ///   - source: the vocabulary as the weight format stores it.
  ///   - nVocab: the model's output size (`WhisperDimensions.nVocab`). Required for
  ///     `.ggmlTokens`, whose specials are synthesised from it as whisper.cpp does; optional
  ///     for files, where it fixes the number of timestamp tokens (default: all ids in the file,
  ///     and at least 1501 timestamps).
  ///   - mergeRanks: merge priorities for `.huggingFaceJSON`; default `.tokenIDs`, the
  ///     encoding the models were trained with (tiktoken's), so that a forced transcript or an
  ///     initial prompt gives the model the token sequences it knows, whatever the format;
  ///     `.file` reproduces faster-whisper's (different, for multilingual files) ids.
  ///     `vocabulary.txt` and ggml vocabularies always rank by id.
  /// - Throws: `io` when a file cannot be read, `format` when it is malformed (the message
  ///   names the file and the fault), `invalidArgument` for a missing or impossible `nVocab`.
  public init(_ source: VocabularySource, nVocab: Int? = nil, mergeRanks: MergeRanks = .tokenIDs) throws {
    let (bpe, layout) = try VocabularyLoader.load(source, nVocab: nVocab, mergeRanks: mergeRanks)
    self.init(bpe: bpe, layout: layout)
  }

  /// Assembles a tokenizer from its parts and derives the suppression list.
  init(bpe: ByteLevelBPE, layout: SpecialTokenLayout) {
    self.bpe = bpe
    self.layout = layout
    var byToken: [Int: String] = [:]
    var byCode: [String: Int] = [:]
    for (code, token) in zip(layout.languageCodes, layout.languageTokens) {
      byToken[token] = code
      byCode[code] = token
    }
    codeByLanguageToken = byToken
    languageTokenByCode = byCode
    nonSpeechTokens = Self.nonSpeechTokens { Self.encode($0, bpe: bpe) }
  }

  // MARK: - Special ids

  /// Number of ids the model scores: regular + special + timestamp tokens.
  public var nVocab: Int { layout.nVocab }
  /// `<|endoftext|>`; every id at or above it is special.
  public var eot: Int { layout.eot }
  /// `<|startoftranscript|>`.
  public var sot: Int { layout.sot }
  /// `<|translate|>`.
  public var translate: Int { layout.translate }
  /// `<|transcribe|>`.
  public var transcribe: Int { layout.transcribe }
  /// `<|startoflm|>` (openai-whisper's `sot_lm`).
  public var startOfLM: Int { layout.startOfLM }
  /// `<|startofprev|>` (`sot_prev`): precedes the previous window's text in a prompt.
  public var startOfPrev: Int { layout.startOfPrev }
  /// `<|nospeech|>` (`<|nocaptions|>` in older files); its probability at the first step is
  /// Whisper's no-speech probability.
  public var noSpeech: Int { layout.noSpeech }
  /// `<|notimestamps|>`.
  public var noTimestamps: Int { layout.noTimestamps }
  /// `<|0.00|>`, the first timestamp token (`notimestamps + 1`).
  public var timestampBegin: Int { layout.timestampBegin }

  /// True for models that know several languages (`nVocab >= 51865`), as openai-whisper's
  /// `ModelDimensions`-based `is_multilingual`.
  public var isMultilingual: Bool { nVocab >= 51865 }

  /// True for the special ids `eot ..< nVocab` (including timestamps).
  public func isSpecial(_ id: Int) -> Bool { id >= eot && id < nVocab }

  // MARK: - Languages

  /// Language codes of the vocabulary's language tokens in openai-whisper's `LANGUAGES` order:
  /// 99 up to large-v2 (English-only vocabularies carry them too), 100 with `yue` for
  /// large-v3.
  public var allLanguageCodes: [String] { layout.languageCodes }

  /// The language tokens, parallel to `allLanguageCodes` (openai-whisper's
  /// `all_language_tokens`).
  public var allLanguageTokens: [Int] { layout.languageTokens }

  /// The token of language `code` (`"de"` → `<|de|>`), or nil when the vocabulary has none.
  public func languageToken(code: String) -> Int? { languageTokenByCode[code] }

  /// The code of language token `token`, or nil when `token` is not a language token.
  public func languageCode(token: Int) -> String? { codeByLanguageToken[token] }

  /// The prompt prefix that starts every window, as openai-whisper's `sot_sequence`:
  ///
  /// ```
  /// multilingual:  [sot, <|language|>, <|task|>]   or [sot, <|task|>] without a language
  /// English-only:  [sot]                           (language and task do not apply)
  /// ```
  /// - Parameters:
  ///   - language: a code, English name or alias (`"de"`, `"German"`, `"castilian"`), or nil
  ///     to leave the language to be detected.
  ///   - task: transcribe or translate.
  /// - Throws: `invalidArgument` for a language Whisper or this vocabulary does not know.
  public func sotSequence(language: String?, task: Task) throws -> [Int] {
    guard isMultilingual else { return [sot] }
    var sequence = [sot]
    if let language {
      guard let code = WhisperLanguages.code(for: language), let token = languageToken(code: code)
      else {
        throw LeafXError.invalidArgument(
          argument: "language",
          reason: "'\(language)' is not one of this model's \(allLanguageCodes.count) languages")
      }
      sequence.append(token)
    }
    sequence.append(task == .transcribe ? transcribe : translate)
    return sequence
  }

  // MARK: - Timestamps

  /// Seconds between consecutive timestamp tokens (Whisper's `time_precision`).
  public static let secondsPerTimestamp = 0.02

  /// Number of timestamp tokens (1501 for released models: 0.00 ... 30.00 s).
  public var timestampCount: Int { nVocab - timestampBegin }

  /// True for the timestamp tokens `timestampBegin ..< nVocab`.
  public func isTimestamp(_ id: Int) -> Bool { id >= timestampBegin && id < nVocab }

  /// The time a timestamp token stands for, `(id - timestampBegin) · 0.02` s, or nil when
  /// `id` is not a timestamp token.
  public func timestampSeconds(_ id: Int) -> Double? {
    guard isTimestamp(id) else { return nil }
    return Double(id - timestampBegin) * Self.secondsPerTimestamp
  }

  /// The timestamp token nearest to `seconds`, clamped to the first and last timestamp
  /// (NaN gives the first).
  public func timestampToken(seconds: Double) -> Int {
    let steps = (seconds / Self.secondsPerTimestamp).rounded()
    guard steps > 0 else { return timestampBegin }  // also NaN and -inf
    let last = timestampCount - 1
    guard steps < Double(last) else { return timestampBegin + last }  // also +inf
    return timestampBegin + Int(steps)
  }

  // MARK: - Text

  /// Encodes text into regular token ids, without special tokens: a literal
  /// `"<|endoftext|>"` in `text` is encoded as ordinary characters (tiktoken's
  /// `encode_ordinary`).
  ///
  /// Pre-tokenizes with the GPT-2 pattern, then merges each piece's bytes (`ByteLevelBPE`).
  public func encode(_ text: String) -> [Int] { Self.encode(text, bpe: bpe) }

  /// `encode` with an explicit merge engine (usable before `self` is complete).
  static func encode(_ text: String, bpe: ByteLevelBPE) -> [Int] {
    let (utf8, pieces) = PreTokenizer.split(text)
    var ids: [Int] = []
    ids.reserveCapacity(utf8.count / 3 + 1)
    var scratch = ByteLevelBPE.Scratch()
    for piece in pieces { bpe.encode(utf8[piece], into: &ids, scratch: &scratch) }
    return ids
  }

  /// Decodes regular tokens into text. Special ids (`>= eot`) and ids outside the vocabulary
  /// (negative, `>= nVocab`) are skipped, as faster-whisper's `decode`; byte sequences that are
  /// not valid UTF-8 become U+FFFD per maximal ill-formed subsequence, as Python's
  /// `bytes.decode("utf-8", errors="replace")` in openai-whisper.
  public func decode(_ ids: [Int]) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(ids.count * 4)
    for id in ids where id < eot { bpe.appendBytes(of: id, to: &bytes) }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Decodes tokens keeping the special ones by name (`<|startoftranscript|>`, `<|1.08|>`), as
  /// openai-whisper's `decode_with_timestamps`. Ids outside the vocabulary are skipped.
  public func decodeWithTimestamps(_ ids: [Int]) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(ids.count * 4)
    for id in ids { appendBytes(of: id, to: &bytes) }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// The bytes of token `id`: raw bytes for a regular token (possibly part of a UTF-8
  /// character), the UTF-8 name for a special token (`<|endoftext|>`), empty for an id outside
  /// `0..<nVocab`.
  public func tokenBytes(_ id: Int) -> [UInt8] {
    if id >= 0 && id < eot { return Array(bpe.tokenBytes(id)) }
    return layout.name(of: id).map { Array($0.utf8) } ?? []
  }

  /// The text of token `id` (`tokenBytes` decoded; a partial UTF-8 character shows as
  /// U+FFFD); empty for an id outside `0..<nVocab`.
  public func tokenText(_ id: Int) -> String {
    if id >= 0 && id < eot { return String(decoding: bpe.tokenBytes(id), as: UTF8.self) }
    return layout.name(of: id) ?? ""
  }

  /// Appends `tokenBytes(id)` to `output` without an intermediate array.
  func appendBytes(of id: Int, to output: inout [UInt8]) {
    if id >= 0 && id < eot {
      bpe.appendBytes(of: id, to: &output)
    } else if let name = layout.name(of: id) {
      output.append(contentsOf: name.utf8)
    }
  }

  // MARK: - Suppression

  /// openai-whisper's `non_speech_tokens` over an encoder:
  ///
  /// ```
  /// symbols = each of  " # ( ) * + / : ; < = > @ [ \ ] ^ _ ` { | } ~ 「 」 『 』
  ///           and      << >> <<< >>> -- --- -( -[ (' (" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪
  /// misc    = ♩ ♪ ♫ ♬ ♭ ♮ ♯   (U+2640...U+267F: their first token is safe to suppress)
  /// result  = { encode(" -")[0], encode(" '")[0] }     (word-initial hyphen and quote)
  ///         ∪ { t[0] : s in symbols ∪ misc, t in [encode(s), encode(" " + s)],
  ///                     t has one token, or s is in misc }
  /// ```
  /// - Returns: the ids, sorted ascending.
  static func nonSpeechTokens(encode: (String) -> [Int]) -> [Int] {
    var symbols = "\"#()*+/:;<=>@[\\]^_`{|}~「」『』".unicodeScalars.map { String($0) }
    symbols += "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪"
      .split(separator: " ").map(String.init)
    let miscellaneous = ["♩", "♪", "♫", "♬", "♭", "♮", "♯"]
    var result = Set<Int>()
    for prefix in [" -", " '"] {
      if let first = encode(prefix).first { result.insert(first) }
    }
    for symbol in symbols + miscellaneous {
      let isMiscellaneous = miscellaneous.contains(symbol)
      for tokens in [encode(symbol), encode(" " + symbol)] {
        if let first = tokens.first, tokens.count == 1 || isMiscellaneous { result.insert(first) }
      }
    }
    return result.sorted()
  }
}
