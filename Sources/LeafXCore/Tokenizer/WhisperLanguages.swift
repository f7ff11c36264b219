/// Whisper's languages: codes in token order, English names, and the name aliases
/// openai-whisper accepts.
///
/// The order is openai-whisper's `LANGUAGES` (`whisper/tokenizer.py`, commit 0efe52a): the
/// language token of entry `i` is `sot + 1 + i`. Models up to large-v2 have the first 99;
/// large-v3 (51866 tokens) adds `yue` as the 100th.
public enum WhisperLanguages {
  /// `(code, English name)` in token order.
  public static let all: [(code: String, name: String)] = [
    ("en", "english"), ("zh", "chinese"), ("de", "german"), ("es", "spanish"),
    ("ru", "russian"), ("ko", "korean"), ("fr", "french"), ("ja", "japanese"),
    ("pt", "portuguese"), ("tr", "turkish"), ("pl", "polish"), ("ca", "catalan"),
    ("nl", "dutch"), ("ar", "arabic"), ("sv", "swedish"), ("it", "italian"),
    ("id", "indonesian"), ("hi", "hindi"), ("fi", "finnish"), ("vi", "vietnamese"),
    ("he", "hebrew"), ("uk", "ukrainian"), ("el", "greek"), ("ms", "malay"),
    ("cs", "czech"), ("ro", "romanian"), ("da", "danish"), ("hu", "hungarian"),
    ("ta", "tamil"), ("no", "norwegian"), ("th", "thai"), ("ur", "urdu"),
    ("hr", "croatian"), ("bg", "bulgarian"), ("lt", "lithuanian"), ("la", "latin"),
    ("mi", "maori"), ("ml", "malayalam"), ("cy", "welsh"), ("sk", "slovak"),
    ("te", "telugu"), ("fa", "persian"), ("lv", "latvian"), ("bn", "bengali"),
    ("sr", "serbian"), ("az", "azerbaijani"), ("sl", "slovenian"), ("kn", "kannada"),
    ("et", "estonian"), ("mk", "macedonian"), ("br", "breton"), ("eu", "basque"),
    ("is", "icelandic"), ("hy", "armenian"), ("ne", "nepali"), ("mn", "mongolian"),
    ("bs", "bosnian"), ("kk", "kazakh"), ("sq", "albanian"), ("sw", "swahili"),
    ("gl", "galician"), ("mr", "marathi"), ("pa", "punjabi"), ("si", "sinhala"),
    ("km", "khmer"), ("sn", "shona"), ("yo", "yoruba"), ("so", "somali"),
    ("af", "afrikaans"), ("oc", "occitan"), ("ka", "georgian"), ("be", "belarusian"),
    ("tg", "tajik"), ("sd", "sindhi"), ("gu", "gujarati"), ("am", "amharic"),
    ("yi", "yiddish"), ("lo", "lao"), ("uz", "uzbek"), ("fo", "faroese"),
    ("ht", "haitian creole"), ("ps", "pashto"), ("tk", "turkmen"), ("nn", "nynorsk"),
    ("mt", "maltese"), ("sa", "sanskrit"), ("lb", "luxembourgish"), ("my", "myanmar"),
    ("bo", "tibetan"), ("tl", "tagalog"), ("mg", "malagasy"), ("as", "assamese"),
    ("tt", "tatar"), ("haw", "hawaiian"), ("ln", "lingala"), ("ha", "hausa"),
    ("ba", "bashkir"), ("jw", "javanese"), ("su", "sundanese"), ("yue", "cantonese"),
  ]

  /// The codes in token order.
  public static let codes: [String] = all.map(\.code)

  /// Extra names openai-whisper's `TO_LANGUAGE_CODE` accepts, to their codes.
  static let aliases: [String: String] = [
    "burmese": "my", "valencian": "ca", "flemish": "nl", "haitian": "ht",
    "letzeburgesch": "lb", "pushto": "ps", "panjabi": "pa", "moldavian": "ro",
    "moldovan": "ro", "sinhalese": "si", "castilian": "es", "mandarin": "zh",
  ]

  /// Name or alias (lower case) to code.
  private static let codeByName: [String: String] = {
    var table = aliases
    for (code, name) in all { table[name] = code }
    return table
  }()

  /// Languages that do not separate words with spaces; Whisper groups their tokens into
  /// words at Unicode character boundaries (`split_to_word_tokens`).
  public static let withoutSpaces: Set<String> = ["zh", "ja", "th", "lo", "my", "yue"]

  /// The code for a code, English name or alias, case-insensitively, as openai-whisper's
  /// `get_tokenizer` resolves its `language` argument ("German", "de", "castilian").
  /// - Returns: the code, or nil when Whisper has no such language.
  public static func code(for language: String) -> String? {
    let key = language.lowercased()
    if codes.contains(key) { return key }
    return codeByName[key]
  }

  /// The English name of `code`, or nil.
  public static func name(of code: String) -> String? {
    all.first { $0.code == code }?.name
  }
}
