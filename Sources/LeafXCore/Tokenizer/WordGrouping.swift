/// One word as Whisper groups tokens: its text and the tokens that write it.
public struct WordTokens: Sendable, Equatable {
  /// The decoded text, with its leading space if any (`" fellow"`); a special token keeps its
  /// name (`<|endoftext|>`).
  public var text: String
  /// The token ids, in order.
  public var tokens: [Int]
  /// Positions of those tokens in the sequence that was grouped (consecutive).
  public var tokenIndices: [Int]

  /// A word from its parts.
  public init(text: String, tokens: [Int], tokenIndices: [Int]) {
    self.text = text
    self.tokens = tokens
    self.tokenIndices = tokenIndices
  }

  /// The same word with its positions moved by `offset` (into a longer sequence).
  public func offsetBy(_ offset: Int) -> WordTokens {
    WordTokens(text: text, tokens: tokens, tokenIndices: tokenIndices.map { $0 + offset })
  }
}

/// Whisper's grouping of tokens into words, used for word timestamps and per-word
/// attributions (openai-whisper `whisper/tokenizer.py` `split_to_word_tokens`, same as
/// faster-whisper's):
///
/// ```
/// language in {zh, ja, th, lo, my, yue}:   split_tokens_on_unicode
/// otherwise:                               split_tokens_on_spaces
///
/// split_tokens_on_unicode: grow a run of tokens until its decoding has no U+FFFD, or its
///   first U+FFFD is also U+FFFD at that character position of the whole decoding (a real
///   invalid byte, not a character cut between tokens); the run is one unit.
/// split_tokens_on_spaces: a unit starts a new word when its first token is special, its
///   text starts with " ", its stripped text is a substring of Python's
///   string.punctuation (the empty string is), or it is the first; otherwise it joins the
///   previous word.
/// ```
///
/// Decoding here is `decodeWithTimestamps` (specials by name), as openai-whisper's. A trailing
/// run that never becomes a unit (not reachable for UTF-8, kept for safety) is the last word,
/// so every token belongs to exactly one word.
extension WhisperTokenizer {
  /// Groups `tokens` into words the way Whisper does for `language`.
  /// - Parameters:
  ///   - tokens: token ids (text tokens, optionally with specials such as a final `eot`).
  ///   - language: code or name of the spoken language; nil means English.
  /// - Returns: words covering every token once, in order.
  public func splitToWordTokens(_ tokens: [Int], language: String?) -> [WordTokens] {
    let code = language.map { WhisperLanguages.code(for: $0) ?? $0 } ?? "en"
    if WhisperLanguages.withoutSpaces.contains(code) { return splitTokensOnUnicode(tokens) }
    return splitTokensOnSpaces(tokens)
  }

  /// Runs of tokens that decode to whole Unicode characters (`split_tokens_on_unicode`).
  public func splitTokensOnUnicode(_ tokens: [Int]) -> [WordTokens] {
    let replacement: Unicode.Scalar = "\u{FFFD}"
    let full = Array(decodeWithTimestamps(tokens).unicodeScalars)
    var words: [WordTokens] = []
    var bytes: [UInt8] = []
    var start = 0
    var offset = 0
    for (index, token) in tokens.enumerated() {
      appendBytes(of: token, to: &bytes)
      let decoded = String(decoding: bytes, as: UTF8.self)
      var length = 0
      var firstReplacement: Int? = nil
      for scalar in decoded.unicodeScalars {
        if scalar == replacement && firstReplacement == nil { firstReplacement = length }
        length += 1
      }
      if let position = firstReplacement.map({ $0 + offset }) {
        guard position < full.count && full[position] == replacement else { continue }
      }
      words.append(
        WordTokens(
          text: decoded, tokens: Array(tokens[start...index]), tokenIndices: Array(start...index)))
      bytes.removeAll(keepingCapacity: true)
      start = index + 1
      offset += length
    }
    if start < tokens.count {
      words.append(
        WordTokens(
          text: String(decoding: bytes, as: UTF8.self), tokens: Array(tokens[start...]),
          tokenIndices: Array(start..<tokens.count)))
    }
    return words
  }

  /// Units of `splitTokensOnUnicode` joined into space-separated words
  /// (`split_tokens_on_spaces`).
  public func splitTokensOnSpaces(_ tokens: [Int]) -> [WordTokens] {
    var words: [WordTokens] = []
    for unit in splitTokensOnUnicode(tokens) {
      let special = unit.tokens.first.map { $0 >= eot } ?? false
      let withSpace = unit.text.unicodeScalars.first == " "
      let punctuation = Self.isPunctuationSubstring(Self.pythonStripped(unit.text))
      if special || withSpace || punctuation || words.isEmpty {
        words.append(unit)
      } else {
        words[words.count - 1].text += unit.text
        words[words.count - 1].tokens += unit.tokens
        words[words.count - 1].tokenIndices += unit.tokenIndices
      }
    }
    return words
  }

  /// Python's `string.punctuation`.
  static let pythonPunctuation = Array("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".utf8)

  /// Python's `text in string.punctuation`: a substring test by code points, true for "".
  static func isPunctuationSubstring(_ scalars: [Unicode.Scalar]) -> Bool {
    guard scalars.count <= pythonPunctuation.count else { return false }
    guard scalars.allSatisfy({ $0.isASCII }) else { return false }
    let needle = scalars.map { UInt8($0.value) }
    if needle.isEmpty { return true }
    let haystack = pythonPunctuation
    for start in 0...(haystack.count - needle.count)
    where haystack[start..<(start + needle.count)].elementsEqual(needle) {
      return true
    }
    return false
  }

  /// Python's `str.strip()`: drops leading and trailing characters for which `str.isspace()`
  /// holds (Unicode `White_Space`, plus U+001C...U+001F).
  static func pythonStripped(_ text: String) -> [Unicode.Scalar] {
    func isSpace(_ scalar: Unicode.Scalar) -> Bool {
      scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }
    let scalars = Array(text.unicodeScalars)
    guard let first = scalars.firstIndex(where: { !isSpace($0) }),
      let last = scalars.lastIndex(where: { !isSpace($0) })
    else { return [] }
    return Array(scalars[first...last])
  }
}
