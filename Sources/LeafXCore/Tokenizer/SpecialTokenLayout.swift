/// Where Whisper's special tokens sit in a vocabulary of `nVocab` ids.
///
/// openai-whisper appends the specials after the regular (BPE) tokens, in this order
/// (`whisper/tokenizer.py` `get_encoding`):
///
/// ```
/// eot = number of regular tokens        50256 English-only, 50257 multilingual
/// sot = eot + 1
/// languages  sot + 1 ... sot + L        L = 99 (tiny … large-v2), 100 (large-v3: + yue)
/// translate  = sot + 1 + L,  transcribe, startoflm, startofprev, nospeech, notimestamps
/// timestamp_begin = notimestamps + 1    "<|0.00|>", then one token per 0.02 s
/// nVocab = timestamp_begin + 1501       51864 .en, 51865 multilingual, 51866 large-v3
/// ```
///
/// whisper.cpp synthesises the same ids from `n_vocab` alone (`whisper_vocab`:
/// `is_multilingual = n_vocab >= 51865`, `num_languages = n_vocab - 51765 - multilingual`),
/// which `synthesized(nVocab:)` mirrors; `named(_:nVocab:path:)` finds the ids by name in a
/// vocabulary file (CTranslate2 `vocabulary.txt`, Hugging Face `tokenizer.json`).
struct SpecialTokenLayout: Sendable, Equatable {
  /// `<|endoftext|>`; also the number of regular tokens.
  var eot: Int
  /// `<|startoftranscript|>`.
  var sot: Int
  /// `<|translate|>`.
  var translate: Int
  /// `<|transcribe|>`.
  var transcribe: Int
  /// `<|startoflm|>`.
  var startOfLM: Int
  /// `<|startofprev|>`.
  var startOfPrev: Int
  /// `<|nospeech|>` (spelled `<|nocaptions|>` in older files).
  var noSpeech: Int
  /// `<|notimestamps|>`.
  var noTimestamps: Int
  /// `<|0.00|>`: `noTimestamps + 1`, as faster-whisper derives it.
  var timestampBegin: Int
  /// Total number of ids, regular + special + timestamps.
  var nVocab: Int
  /// Language codes present, in `WhisperLanguages` order.
  var languageCodes: [String]
  /// The token of `languageCodes[i]`.
  var languageTokens: [Int]
  /// Names of ids `eot ..< timestampBegin`; timestamp names are computed.
  var names: [String]

  /// Number of timestamp tokens (1501 = 0.00 ... 30.00 s for every released model).
  static let standardTimestampCount = 1501

  /// Largest accepted `notimestamps - eot` (released models have 107 or 108), so that a
  /// corrupt file cannot make the name table huge.
  static let maxSpecialCount = 10_000

  /// The name of special id `id` (`<|endoftext|>`, `<|fr|>`, `<|1.08|>`), or nil when `id`
  /// is not a special id.
  func name(of id: Int) -> String? {
    if id >= eot && id < timestampBegin { return names[id - eot] }
    if id >= timestampBegin && id < nVocab { return Self.timestampName(index: id - timestampBegin) }
    return nil
  }

  /// openai-whisper's spelling of timestamp `index`: `f"<|{index * 0.02:.2f}|>"`, computed in
  /// integer centiseconds so that no rounding can differ.
  static func timestampName(index: Int) -> String {
    let centiseconds = index * 2
    let fraction = centiseconds % 100
    return "<|\(centiseconds / 100).\(fraction < 10 ? "0" : "")\(fraction)|>"
  }

  /// The layout whisper.cpp assumes for a model with `nVocab` outputs (ggml files store only
  /// the regular tokens).
  /// - Throws: `invalidArgument` when `nVocab` implies fewer than 0 or more than 100
  ///   languages (below 51765 or above 51866).
  static func synthesized(nVocab: Int) throws -> Self {
    let multilingual = nVocab >= 51865
    let languageCount = nVocab - 51765 - (multilingual ? 1 : 0)
    guard (0...WhisperLanguages.all.count).contains(languageCount) else {
      throw LeafXError.invalidArgument(
        argument: "n_vocab",
        reason: "\(nVocab) implies \(languageCount) languages; Whisper models have 51765 + L"
          + " (+ 1 if multilingual) tokens with 0 ≤ L ≤ \(WhisperLanguages.all.count)")
    }
    let eot = multilingual ? 50257 : 50256
    let codes = Array(WhisperLanguages.codes.prefix(languageCount))
    var names = ["<|endoftext|>", "<|startoftranscript|>"]
    names += codes.map { "<|\($0)|>" }
    names += [
      "<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>",
      "<|notimestamps|>",
    ]
    let sot = eot + 1
    let translate = sot + 1 + languageCount
    return SpecialTokenLayout(
      eot: eot, sot: sot, translate: translate, transcribe: translate + 1,
      startOfLM: translate + 2, startOfPrev: translate + 3, noSpeech: translate + 4,
      noTimestamps: translate + 5, timestampBegin: translate + 6, nVocab: nVocab,
      languageCodes: codes, languageTokens: codes.indices.map { sot + 1 + $0 }, names: names)
  }

  /// The layout of a vocabulary file, found by token names.
  /// - Parameters:
  ///   - idByName: special token names (`<|endoftext|>`, `<|de|>`, …) to ids.
  ///   - nVocab: the model's output count when known; nil takes
  ///     `max(largest id + 1, timestampBegin + 1501)` (Hugging Face files list no timestamps).
  ///   - path: the file, for error messages.
  /// - Throws: `format` when a required special is missing or out of order;
  ///   `invalidArgument` when `nVocab` leaves no room for timestamps.
  static func named(_ idByName: [String: Int], nVocab: Int?, path: String) throws -> Self {
    func id(_ name: String, or alternative: String? = nil) throws -> Int {
      if let id = idByName[name] ?? alternative.flatMap({ idByName[$0] }) { return id }
      throw LeafXError.format(path: path, offset: nil, reason: "the vocabulary has no \(name) token")
    }
    let eot = try id("<|endoftext|>")
    let noTimestamps = try id("<|notimestamps|>")
    guard eot >= 0, eot < noTimestamps, noTimestamps - eot <= maxSpecialCount else {
      throw LeafXError.format(
        path: path, offset: nil,
        reason:
          "<|endoftext|> = \(eot) and <|notimestamps|> = \(noTimestamps) do not bound a special-token block of 1...\(maxSpecialCount) ids"
      )
    }
    var layout = SpecialTokenLayout(
      eot: eot, sot: try id("<|startoftranscript|>"), translate: try id("<|translate|>"),
      transcribe: try id("<|transcribe|>"), startOfLM: try id("<|startoflm|>"),
      startOfPrev: try id("<|startofprev|>"), noSpeech: try id("<|nospeech|>", or: "<|nocaptions|>"),
      noTimestamps: noTimestamps, timestampBegin: noTimestamps + 1, nVocab: 0,
      languageCodes: [], languageTokens: [], names: [])
    let named: [(String, Int)] = [
      ("<|startoftranscript|>", layout.sot), ("<|translate|>", layout.translate),
      ("<|transcribe|>", layout.transcribe), ("<|startoflm|>", layout.startOfLM),
      ("<|startofprev|>", layout.startOfPrev), ("<|nospeech|>", layout.noSpeech),
    ]
    for (name, value) in named where !(eot < value && value < noTimestamps) {
      throw LeafXError.format(
        path: path, offset: nil,
        reason: "\(name) = \(value) is outside <|endoftext|> = \(eot) ... <|notimestamps|> = \(noTimestamps)")
    }
    for code in WhisperLanguages.codes {
      if let token = idByName["<|\(code)|>"], eot < token, token < noTimestamps {
        layout.languageCodes.append(code)
        layout.languageTokens.append(token)
      }
    }

    let largest = idByName.values.max() ?? 0
    let total = nVocab ?? max(largest + 1, layout.timestampBegin + standardTimestampCount)
    guard total > layout.timestampBegin, total <= 10_000_000 else {
      throw LeafXError.invalidArgument(
        argument: "n_vocab",
        reason: "\(total) leaves no timestamp tokens after <|notimestamps|> = \(noTimestamps) in \(path)")
    }
    layout.nVocab = total

    var names = (eot..<layout.timestampBegin).map { "<|special_\($0)|>" }
    for (name, value) in idByName where value >= eot && value < layout.timestampBegin {
      // Two names for one id: keep the lexicographically smallest, so the result is stable.
      let slot = value - eot
      if names[slot].hasPrefix("<|special_") || name < names[slot] { names[slot] = name }
    }
    layout.names = names
    return layout
  }
}
