import Foundation
import Testing

@testable import LeafXCore

/// Malformed vocabularies and out-of-range arguments: a `LeafXError` naming the file, or a
/// defined result; never a trap.
@Suite struct TokenizerMalformedInputTests {
  /// Writes `contents` to a fresh temporary file and returns its path.
  static func temporaryFile(_ contents: String, name: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("leafx-tokenizer-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try contents.write(to: url, atomically: true, encoding: .utf8)
    return url.path
  }

  /// A minimal but complete byte-level vocabulary: the 256 single bytes in GPT-2 spelling.
  static var byteTokens: [String] {
    (0..<256).map { ByteLevelAlphabet.encode([UInt8($0)]) }
  }

  /// Specials in openai order after `eot`, for a 1-language English-only toy vocabulary.
  static let specialNames = [
    "<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|translate|>", "<|transcribe|>",
    "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>",
  ]

  /// A toy tokenizer.json: bytes, plus "ab" and "abc" merged; specials as added tokens.
  static func toyJSON(vocabExtra: String = "", merges: String = #"["a b", "ab c"]"#, added: String? = nil) -> String {
    var vocab = byteTokens.enumerated().map { "\(jsonString($1)): \($0)" }
    vocab.append(#""ab": 256"#)
    vocab.append(#""abc": 257"#)
    let addedTokens =
      added ?? "["
      + specialNames.enumerated().map {
        #"{"id": \#(258 + $0), "content": \#(jsonString($1))}"#
      }.joined(separator: ",") + "]"
    return
      #"{"added_tokens": \#(addedTokens), "model": {"type": "BPE", "vocab": {\#(vocab.joined(separator: ","))\#(vocabExtra)}, "merges": \#(merges)}}"#
  }

  /// `text` as a JSON string literal.
  static func jsonString(_ text: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])
    let array = String(decoding: data, as: UTF8.self)
    return String(array.dropFirst().dropLast())
  }

  @Test func toyVocabularyLoadsAndMerges() throws {
    let tokenizer = try WhisperTokenizer(
      .huggingFaceJSON(path: Self.temporaryFile(Self.toyJSON(), name: "tokenizer.json")))
    #expect(tokenizer.eot == 258)
    #expect(tokenizer.timestampBegin == 267)
    #expect(tokenizer.nVocab == 267 + 1501)
    #expect(tokenizer.allLanguageCodes == ["en"])
    #expect(tokenizer.encode("abc abcab") == [257, 0x20, 257, 256])
    // The same vocabulary as vocabulary.txt: ranks from ids give the same merges here.
    let lines = (Self.byteTokens + ["ab", "abc"] + Self.specialNames).joined(separator: "\n") + "\n"
    let fromLines = try WhisperTokenizer(
      .ctranslate2Vocabulary(path: Self.temporaryFile(lines, name: "vocabulary.txt")))
    #expect(fromLines.encode("abc abcab") == tokenizer.encode("abc abcab"))
    #expect(fromLines.nVocab == 267 + 1501)
    // A given nVocab fixes the timestamp count.
    let short = try WhisperTokenizer(
      .ctranslate2Vocabulary(path: Self.temporaryFile(lines, name: "v.txt")), nVocab: 300)
    #expect(short.timestampCount == 33)
    #expect(short.timestampToken(seconds: 30) == 299)
  }

  @Test func unreadableOrMalformedFilesThrow() throws {
    func expectFailure(_ source: VocabularySource, nVocab: Int? = nil, mentioning: String, _ note: Comment) {
      do {
        _ = try WhisperTokenizer(source, nVocab: nVocab, mergeRanks: .file)
        Issue.record("loaded: \(note)")
      } catch let error as LeafXError {
        #expect(error.description.contains(mentioning), "\(note): \(error)")
      } catch {
        Issue.record("not a LeafXError: \(error)")
      }
    }
    let missing = "/nonexistent/leafx/tokenizer.json"
    expectFailure(.huggingFaceJSON(path: missing), mentioning: missing, "missing file")
    expectFailure(.ctranslate2Vocabulary(path: missing), mentioning: missing, "missing file")

    let cases: [(String, String, Comment)] = [
      ("", "tokenizer.json", "empty file"),
      ("{not json", "tokenizer.json", "not JSON"),
      (#"{"model": {"type": "BPE", "vocab": [1, 2]}}"#, "tokenizer.json", "vocab is a list"),
      (#"{"model": {"type": "Unigram", "vocab": {}}}"#, "Unigram", "wrong model type"),
      (#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}"#, "<|endoftext|>", "no specials"),
      (Self.toyJSON(merges: #"["a b c"]"#), "merge #0", "three-part merge"),
      (Self.toyJSON(merges: #"[["a"]]"#), "merge #0", "one-part merge"),
      (Self.toyJSON(merges: #"[7]"#), "tokenizer.json", "merge is a number"),
      (Self.toyJSON(merges: #"["a q"]"#), "merge #0", "merged token missing"),
      (Self.toyJSON(merges: #"["x y"]"#), "merge #0", "merge tokens missing"),
      (Self.toyJSON(vocabExtra: #", "zz": -4"#), "-4", "negative id"),
      (Self.toyJSON(vocabExtra: #", "zz": 5"#), "appears twice", "duplicate id"),
      (Self.toyJSON(added: #"[{"id": 258, "content": "<|endoftext|>"}]"#), "has no <|", "missing sot"),
      (Self.toyJSON(added: #"[{"id": -1, "content": "<|endoftext|>"}]"#), "-1", "negative special"),
      (Self.toyJSON(added: #"[{"id": 99999999999, "content": "<|endoftext|>"}]"#), "99999999999", "huge special"),
      (
        Self.toyJSON(
          added: "["
            + Self.specialNames.enumerated().map { #"{"id": \#(300 - $0), "content": "\#($1)"}"# }.joined(
              separator: ",") + "]"),
        "tokenizer.json", "specials reversed"
      ),
    ]
    for (contents, mentioning, note) in cases {
      let path = try Self.temporaryFile(contents, name: "tokenizer.json")
      expectFailure(.huggingFaceJSON(path: path), mentioning: mentioning, note)
    }

    // A vocabulary.txt with the bytes but no specials, one without byte 0x41, an empty one.
    let noSpecials = Self.byteTokens.joined(separator: "\n")
    expectFailure(
      .ctranslate2Vocabulary(path: try Self.temporaryFile(noSpecials, name: "v.txt")),
      mentioning: "<|endoftext|>", "no specials")
    var lacking = Self.byteTokens
    lacking[0x41] = "zz"
    let lackingText = (lacking + Self.specialNames).joined(separator: "\n")
    expectFailure(
      .ctranslate2Vocabulary(path: try Self.temporaryFile(lackingText, name: "v.txt")),
      mentioning: "0x41", "missing byte")
    expectFailure(
      .ctranslate2Vocabulary(path: try Self.temporaryFile("", name: "v.txt")),
      mentioning: "v.txt", "empty")
    let good = (Self.byteTokens + Self.specialNames).joined(separator: "\n")
    expectFailure(
      .ctranslate2Vocabulary(path: try Self.temporaryFile(good, name: "v.txt")), nVocab: 260,
      mentioning: "n_vocab", "nVocab leaves no timestamps")

    // ggml: nVocab is required and must describe a Whisper layout.
    let raw = (0..<256).map { [UInt8($0)] }
    expectFailure(.ggmlTokens(raw), mentioning: "nVocab", "no nVocab")
    expectFailure(.ggmlTokens(raw), nVocab: 100, mentioning: "n_vocab", "tiny nVocab")
    expectFailure(.ggmlTokens(raw), nVocab: 60_000, mentioning: "n_vocab", "too many languages")
    expectFailure(.ggmlTokens([]), nVocab: 51864, mentioning: "single byte", "no tokens")
  }

  /// A ggml list shorter than eot (holes) or longer (extra entries) still loads.
  @Test func ggmlTokenCountMismatchLoads() throws {
    let raw = (0..<256).map { [UInt8($0)] } + [Array("ab".utf8)]
    let tokenizer = try WhisperTokenizer(.ggmlTokens(raw), nVocab: 51864)
    #expect(tokenizer.encode("xab") == [0x78, 256])
    #expect(tokenizer.tokenText(300).isEmpty)
    #expect(tokenizer.decode([300, 0x61]) == "a")
    let long = raw + [[UInt8]](repeating: [0x61], count: 60_000)
    let v3 = try WhisperTokenizer(.ggmlTokens(long), nVocab: 51866)
    #expect(v3.tokenText(v3.eot) == "<|endoftext|>")
  }

  /// Truncated and byte-flipped toy files: each load succeeds or throws a `LeafXError`.
  @Test func mutatedFilesLoadOrThrow() throws {
    let json = Array(Self.toyJSON().utf8)
    let lines = Array((Self.byteTokens + ["ab", "abc"] + Self.specialNames).joined(separator: "\n").utf8)
    var generator = SplitMix64(seed: 11)
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("leafx-tokenizer-fuzz-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    for trial in 0..<300 {
      var bytes = trial % 2 == 0 ? json : lines
      if trial % 3 == 0 {
        bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
      } else {
        for _ in 0..<(1 + Int(generator.next() % 4)) where !bytes.isEmpty {
          bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
        }
      }
      let url = directory.appendingPathComponent("vocab-\(trial)")
      try Data(bytes).write(to: url)
      let source: VocabularySource =
        trial % 2 == 0 ? .huggingFaceJSON(path: url.path) : .ctranslate2Vocabulary(path: url.path)
      do {
        let tokenizer = try WhisperTokenizer(source)
        _ = tokenizer.decode(tokenizer.encode("abc zab ÿ"))
      } catch is LeafXError {
      } catch {
        Issue.record("trial \(trial): not a LeafXError: \(error)")
      }
    }
  }

  @Test func outOfRangeIDsNeverTrap() throws {
    let tokenizer = try WhisperTokenizer(
      .huggingFaceJSON(path: Self.temporaryFile(Self.toyJSON(), name: "tokenizer.json")))
    let weird = [-1, Int.min, Int.max, tokenizer.nVocab, tokenizer.nVocab + 5, 1 << 40, 0x61]
    #expect(tokenizer.decode(weird) == "a")
    #expect(tokenizer.decodeWithTimestamps(weird) == "a")
    for id in weird.dropLast() {
      #expect(tokenizer.tokenBytes(id).isEmpty)
      #expect(tokenizer.tokenText(id).isEmpty)
      #expect(!tokenizer.isSpecial(id) && !tokenizer.isTimestamp(id))
      #expect(tokenizer.timestampSeconds(id) == nil)
      #expect(tokenizer.languageCode(token: id) == nil)
    }
    let words = tokenizer.splitToWordTokens(weird, language: "en")
    #expect(words.flatMap(\.tokenIndices) == Array(weird.indices))
    #expect(tokenizer.splitToWordTokens(weird, language: "ja").flatMap(\.tokenIndices) == Array(weird.indices))
    #expect(tokenizer.encode("").isEmpty && tokenizer.decode([]).isEmpty)
  }

  /// Empty files and directories are refused by name before anything is read (an
  /// empty file used to go through `Data(contentsOf:)`, which leaks 4 KB per call in
  /// FoundationEssentials; libFuzzer runs the empty input first on every fuzz run, under LeakSanitizer).
  @Test func emptyFilesAndDirectoriesAreRefusedByName() throws {
    let empty = try Self.temporaryFile("", name: "tokenizer.json")
    let emptyLines = try Self.temporaryFile("", name: "vocabulary.txt")
    for source in [VocabularySource.huggingFaceJSON(path: empty), .ctranslate2Vocabulary(path: emptyLines)] {
      #expect {
        _ = try WhisperTokenizer(source)
      } throws: { error in
        guard case LeafXError.format(let path, _, let reason) = error else { return false }
        return (path == empty || path == emptyLines) && reason.contains("empty")
      }
    }
    let directory = URL(fileURLWithPath: empty).deletingLastPathComponent().path
    #expect {
      _ = try WhisperTokenizer(.huggingFaceJSON(path: directory))
    } throws: { error in
      guard case LeafXError.io(let path, let reason) = error else { return false }
      return path == directory && reason.contains("not a regular file")
    }
  }
}
