import Foundation
import Testing

@testable import LeafXCore

/// Shared inputs of the tokenizer tests: the real model vocabularies (from `make models`) and
/// the reference fixture written by `Tests/reference/tokenizer_reference.py`.
enum TokenizerFixtures {
  /// A failure whose message tells the reader what to do.
  struct Missing: Error, CustomStringConvertible {
    /// What is missing and how to get it.
    var description: String
  }

  /// The model cache: `$LEAFX_MODELS`, default `~/.cache/leafx/models` (as the Makefile).
  static var modelsDirectory: String {
    if let dir = ProcessInfo.processInfo.environment["LEAFX_MODELS"], !dir.isEmpty { return dir }
    return NSHomeDirectory() + "/.cache/leafx/models"
  }

  /// Path of `file` in model `name`'s directory.
  /// - Throws: `Missing` (failing the test, never skipping it) when the file is absent.
  static func modelFile(_ name: String, _ file: String) throws -> String {
    let path = "\(modelsDirectory)/\(name)/\(file)"
    guard FileManager.default.fileExists(atPath: path) else {
      throw Missing(description: "\(path) is missing: run `make models` to fetch the real Whisper vocabularies")
    }
    return path
  }

  /// `Tests/LeafXCoreTests/Fixtures/tokenizer_reference.json`, located from this file.
  static let fixturePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/tokenizer_reference.json").path

  /// The decoded fixture (field names as the script writes them).
  struct Reference: Decodable {
    /// Ids and faster-whisper's decoding.
    struct Decoded: Decodable {
      var ids: [Int]
      var text: String
    }
    /// `sot_sequence` for a language and task.
    struct SOTSequence: Decodable {
      var language: String
      var task: String
      var ids: [Int]
    }
    /// `split_to_word_tokens` of `tokens`.
    struct Words: Decodable {
      var language: String
      var tokens: [Int]
      var words: [String]
      var word_tokens: [[Int]]
    }
    /// openai-whisper's tiktoken-based reference.
    struct OpenAI: Decodable {
      /// Ids per fixture text.
      var encode: [[Int]]
      var non_speech_tokens: [Int]
      var sot_sequences: [SOTSequence]
      var words: [Words]
    }
    /// Everything about one model.
    struct Model: Decodable {
      var n_vocab: Int
      var multilingual: Bool
      var specials: [String: Int]
      var sot_sequences: [SOTSequence]
      var non_speech_tokens: [Int]
      /// Ids per fixture text (Hugging Face `tokenizers`).
      var encode: [[Int]]
      var decode: [Decoded]
      var words: [Words]
      var openai: OpenAI?
    }
    var tokenizers: String
    var faster_whisper: String
    var texts: [String]
    /// GPT-2 spelled pieces per text.
    var pretokenize: [[String]]
    var models: [String: Model]
  }

  /// Loads the fixture.
  static func reference() throws -> Reference {
    guard let data = FileManager.default.contents(atPath: fixturePath) else {
      throw Missing(description: "\(fixturePath) is missing: run Tests/reference/tokenizer_reference.py")
    }
    return try JSONDecoder().decode(Reference.self, from: data)
  }

  /// The model entry `name` of the fixture.
  static func reference(_ name: String) throws -> Reference.Model {
    guard let model = try reference().models[name] else {
      throw Missing(description: "fixture has no model \(name): rerun Tests/reference/tokenizer_reference.py")
    }
    return model
  }

  /// The openai-whisper (tiktoken) part of model `name`'s fixture entry.
  static func openAIReference(_ name: String) throws -> Reference.OpenAI {
    guard let openai = try reference(name).openai else {
      throw Missing(
        description:
          "fixture lacks the openai-whisper reference: rerun Tests/reference/tokenizer_reference.py with --openai-whisper"
      )
    }
    return openai
  }

  /// Tokenizers are loaded once per process (a tokenizer.json takes ~0.2 s to parse).
  private static let cache = TokenizerCache()

  /// The tokenizer of model `name` from `tokenizer.json`.
  static func json(_ name: String) throws -> WhisperTokenizer {
    try cache.get("\(name)/json") {
      try WhisperTokenizer(.huggingFaceJSON(path: modelFile(name, "tokenizer.json")), mergeRanks: .file)
    }
  }

  /// The tokenizer of model `name` from `tokenizer.json` with tiktoken ranks (token ids).
  static func jsonByID(_ name: String) throws -> WhisperTokenizer {
    try cache.get("\(name)/json-ids") {
      try WhisperTokenizer(.huggingFaceJSON(path: modelFile(name, "tokenizer.json")), mergeRanks: .tokenIDs)
    }
  }

  /// The tokenizer of model `name` from `vocabulary.txt`.
  static func lines(_ name: String) throws -> WhisperTokenizer {
    try cache.get("\(name)/lines") {
      try WhisperTokenizer(.ctranslate2Vocabulary(path: modelFile(name, "vocabulary.txt")))
    }
  }

  /// The raw token bytes a ggml file of model `name` stores (ids `0..<eot`), built from
  /// `tokenizer.json` with an independent copy of GPT-2's `bytes_to_unicode`.
  static func ggmlTokens(_ name: String) throws -> [[UInt8]] {
    let path = try modelFile(name, "tokenizer.json")
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    guard let model = object?["model"] as? [String: Any], let vocab = model["vocab"] as? [String: Int]
    else { throw Missing(description: "\(path) has no model.vocab") }
    var byteOf: [Character: UInt8] = [:]
    var extra = 0
    for byte in 0..<256 {
      let printable =
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte)
        || (0xAE...0xFF).contains(byte)
      let scalar = printable ? byte : 256 + extra
      if !printable { extra += 1 }
      byteOf[Character(Unicode.Scalar(UInt32(scalar))!)] = UInt8(byte)
    }
    let eot = vocab["<|endoftext|>"] ?? 0
    var tokens = [[UInt8]](repeating: [], count: eot)
    for (text, id) in vocab where id < eot {
      tokens[id] = text.map { byteOf[$0] ?? 0 }
    }
    return tokens
  }
}

/// A process-wide, thread-safe memo of loaded tokenizers (tests run in parallel).
final class TokenizerCache: @unchecked Sendable {
  /// Guards `values`.
  private let lock = NSLock()
  /// Key to tokenizer.
  private var values: [String: WhisperTokenizer] = [:]

  /// The tokenizer under `key`, built by `make` on first use.
  func get(_ key: String, _ make: () throws -> WhisperTokenizer) throws -> WhisperTokenizer {
    lock.lock()
    defer { lock.unlock() }
    if let value = values[key] { return value }
    let value = try make()
    values[key] = value
    return value
  }
}

/// Texts beyond the fixture for consistency checks between vocabulary sources: an English
/// paragraph with LibriSpeech-style capitals, punctuation and numbers, and other scripts.
let tokenizerCorpus: [String] = [
  """
  And so, my fellow Americans: ask not what your country can do for you — ask what you can do \
  for your country. My fellow citizens of the world: ask not what America will do for you, but \
  what together we can do for the freedom of man. In 1961, 3.5 million people listened; \
  they'd heard it before, hadn't they? "We'll see," she said... (laughs) [MUSIC] >> Next!
  """,
  "THERE'S IRON THEY SAY IN ALL OUR BLOOD AND A GRAIN OR TWO PERHAPS IS GOOD BUT HIS HE MAKES ME HARSHLY FEEL",
  "Der schnelle braune Fuchs springt über den faulen Hund. Ça va très bien, merci ! ¿Qué tal?",
  "Съешь же ещё этих мягких французских булок, да выпей чаю. Γαζέες καὶ μυρτιὲς δὲν θὰ βρῶ.",
  "我能吞下玻璃而不伤身体。私はガラスを食べられます。それは私を傷つけません。나는 유리를 먹을 수 있어요.",
  "ฉันกินกระจกได้ แต่มันไม่ทำให้ฉันเจ็บ  मैं काँच खा सकता हूँ और मुझे उससे कोई चोट नहीं पहुंचती.",
  "  \t\n\n code_like(x) => { return x ** 2; } // 0x1F 1e-9 #hashtag @user https://example.com/a?b=c&d=e ",
  "😀😃😄😁 🤖🧠 🏳️‍🌈 ☕️ ✔︎ ∑∫√∞ ≠ ≤ ≥ ← → ↔ ©®™ § ¶ † ‡ • ‰ ′ ″ ‴",
]
