/// GPT-2 / tiktoken pre-tokenization: cuts text into the pieces that BPE encodes separately.
///
/// The behaviour of the regular expression Whisper's encodings use (openai-whisper
/// `whisper/tokenizer.py` `get_encoding`, and the `ByteLevel` pre-tokenizer of the
/// Hugging Face `tokenizer.json` files), matched leftmost-first at each position:
///
/// ```
/// 's|'t|'re|'ve|'m|'ll|'d        contractions (ASCII apostrophe, lower case only)
///  ?\p{L}+                       letters, with at most one leading U+0020 space
///  ?\p{N}+                       numbers, likewise
///  ?[^\s\p{L}\p{N}]+             anything else, likewise
/// \s+(?!\S)                      whitespace not followed by a non-space: a run keeps its
///                                last character for the next piece when text follows
/// \s+                            the remaining single whitespace before text
/// ```
///
/// Implemented by hand over Unicode scalars (no regex engine): `\s` is the Unicode
/// `White_Space` property, `\p{L}` / `\p{N}` are the general categories L* / N*. Every
/// scalar belongs to exactly one piece, so the pieces concatenate back to the text.
enum PreTokenizer {
  /// A scalar's class for the pattern above.
  enum CharacterClass: UInt8 {
    /// `\p{L}`: Lu, Ll, Lt, Lm, Lo.
    case letter
    /// `\p{N}`: Nd, Nl, No.
    case number
    /// `\s`: the `White_Space` property.
    case whitespace
    /// Everything else (punctuation, symbols, marks, controls, emoji).
    case other

    /// The class of `scalar`; ASCII takes a table, the rest Unicode properties.
    init(_ scalar: Unicode.Scalar) {
      let value = scalar.value
      if value < 0x80 {
        self = Self.ascii[Int(value)]
        return
      }
      let properties = scalar.properties
      if properties.isWhitespace {
        self = .whitespace
        return
      }
      switch properties.generalCategory {
      case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
        self = .letter
      case .decimalNumber, .letterNumber, .otherNumber:
        self = .number
      default:
        self = .other
      }
    }

    /// Classes of the 128 ASCII scalars.
    private static let ascii: [CharacterClass] = (0..<128).map { value in
      switch value {
      case 0x41...0x5A, 0x61...0x7A: return .letter
      case 0x30...0x39: return .number
      case 0x09...0x0D, 0x20: return .whitespace
      default: return .other
      }
    }
  }

  /// The pieces of `text`, as ranges into `Array(text.utf8)`.
  ///
  /// - Parameter text: any string; the empty string has no pieces.
  /// - Returns: the UTF-8 bytes of `text` and the byte ranges of its pieces, in order,
  ///   non-empty, covering the bytes exactly.
  static func split(_ text: String) -> (utf8: [UInt8], pieces: [Range<Int>]) {
    let utf8 = Array(text.utf8)
    var scalars: [UInt32] = []
    var classes: [CharacterClass] = []
    var starts: [Int] = []
    scalars.reserveCapacity(utf8.count)
    classes.reserveCapacity(utf8.count)
    starts.reserveCapacity(utf8.count + 1)
    var offset = 0
    for scalar in text.unicodeScalars {
      scalars.append(scalar.value)
      classes.append(CharacterClass(scalar))
      starts.append(offset)
      offset += UTF8.width(scalar)
    }
    starts.append(offset)

    var pieces: [Range<Int>] = []
    pieces.reserveCapacity(scalars.count / 3 + 1)
    var i = 0
    while i < scalars.count {
      let end = pieceEnd(at: i, scalars: scalars, classes: classes)
      pieces.append(starts[i]..<starts[end])
      i = end
    }
    return (utf8, pieces)
  }

  /// The pieces of `text` as strings (for tests and diagnostics).
  static func pieces(_ text: String) -> [String] {
    let (utf8, ranges) = split(text)
    return ranges.map { String(decoding: utf8[$0], as: UTF8.self) }
  }

  /// The scalar index one past the piece that starts at `i` (always greater than `i`).
  private static func pieceEnd(at i: Int, scalars: [UInt32], classes: [CharacterClass]) -> Int {
    let n = scalars.count
    let apostrophe: UInt32 = 0x27
    let space: UInt32 = 0x20

    // 's 't 'm 'd, then 're 've 'll.
    if scalars[i] == apostrophe, i + 1 < n {
      switch scalars[i + 1] {
      case 0x73, 0x74, 0x6D, 0x64: return i + 2  // s t m d
      case 0x72, 0x76:  // r v: 're 've
        if i + 2 < n, scalars[i + 2] == 0x65 { return i + 3 }
      case 0x6C:  // l: 'll
        if i + 2 < n, scalars[i + 2] == 0x6C { return i + 3 }
      default: break
      }
    }

    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
    let start = scalars[i] == space && i + 1 < n ? i + 1 : i
    let runClass = classes[start]
    if runClass != .whitespace {
      var end = start + 1
      while end < n && classes[end] == runClass { end += 1 }
      return end
    }

    // `\s+(?!\S)` then `\s+`.
    var end = i + 1
    while end < n && classes[end] == .whitespace { end += 1 }
    if end < n && end - i >= 2 { return end - 1 }
    return end
  }
}
