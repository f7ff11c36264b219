import Foundation
import Testing

@testable import LeafXCore

/// WhisperTokenizer against the Hugging Face `tokenizers` library and faster-whisper's
/// `Tokenizer` on the real tiny.en (English-only) and base (multilingual) vocabularies. The
/// reference values come from `Tests/reference/tokenizer_reference.py`.
@Suite struct TokenizerTests {
  /// Both models of the fixture.
  static let models = ["tiny.en", "base"]

  @Test func preTokenizerMatchesHuggingFaceByteLevel() throws {
    let reference = try TokenizerFixtures.reference()
    for (text, expected) in zip(reference.texts, reference.pretokenize) {
      let (utf8, ranges) = PreTokenizer.split(text)
      let pieces = ranges.map { ByteLevelAlphabet.encode(utf8[$0]) }
      #expect(pieces == expected, "pieces of \(text.debugDescription)")
      #expect(ranges.map(\.count).reduce(0, +) == utf8.count)
    }
  }

  /// `tokenizer.json` with its merge list gives the ids of Hugging Face `tokenizers`
  /// (faster-whisper's encode).
  @Test(arguments: models) func encodeMatchesTokenizersLibrary(model: String) throws {
    let texts = try TokenizerFixtures.reference().texts
    let reference = try TokenizerFixtures.reference(model)
    let tokenizer = try TokenizerFixtures.json(model)
    for (text, ids) in zip(texts, reference.encode) {
      #expect(tokenizer.encode(text) == ids, "\(text.debugDescription)")
    }
  }

  /// Ranking merges by token id (vocabulary.txt, ggml, or tokenizer.json with `.tokenIDs`)
  /// gives the ids of openai-whisper's tiktoken encoding.
  @Test(arguments: models) func encodeByIDMatchesTiktoken(model: String) throws {
    let texts = try TokenizerFixtures.reference().texts
    let openai = try TokenizerFixtures.openAIReference(model)
    let fromLines = try TokenizerFixtures.lines(model)
    let fromJSON = try TokenizerFixtures.jsonByID(model)
    for (text, ids) in zip(texts, openai.encode) {
      #expect(fromLines.encode(text) == ids, "vocabulary.txt: \(text.debugDescription)")
      #expect(fromJSON.encode(text) == ids, "tokenizer.json by id: \(text.debugDescription)")
    }
  }

  @Test(arguments: models) func decodeMatchesFasterWhisper(model: String) throws {
    let reference = try TokenizerFixtures.reference(model)
    for tokenizer in [try TokenizerFixtures.json(model), try TokenizerFixtures.lines(model)] {
      for entry in reference.decode {
        #expect(tokenizer.decode(entry.ids) == entry.text, "ids \(entry.ids)")
      }
    }
  }

  @Test(arguments: models) func roundTrip(model: String) throws {
    let texts = try TokenizerFixtures.reference().texts + tokenizerCorpus
    for tokenizer in [try TokenizerFixtures.json(model), try TokenizerFixtures.lines(model)] {
      for text in texts {
        let ids = tokenizer.encode(text)
        #expect(ids.allSatisfy { $0 >= 0 && $0 < tokenizer.eot })
        #expect(tokenizer.decode(ids) == text, "\(text.debugDescription)")
        #expect(ids.map(tokenizer.tokenBytes).joined().elementsEqual(text.utf8))
      }
    }
  }

  /// The claim behind `.ctranslate2Vocabulary`, `.ggmlTokens` and `.tokenIDs`: merging by the
  /// lowest id of the merged token (tiktoken's ranks) gives the ids of the merge list in
  /// `tokenizer.json`. Holds exactly for the English-only vocabulary, checked on a corpus of
  /// several scripts and on the text of every vocabulary token.
  @Test func idRanksEqualMergeListForEnglishOnly() throws {
    let byList = try TokenizerFixtures.json("tiny.en")
    let byID = try TokenizerFixtures.lines("tiny.en")
    let mismatches = Self.mismatches(byList, byID)
    #expect(mismatches.isEmpty, "\(mismatches.count) texts encode differently: \(mismatches.prefix(10))")
    #expect(byID.nonSpeechTokens == byList.nonSpeechTokens)
  }

  /// The multilingual `tokenizer.json` lacks the first merge, `Ġ t` (token 256 `Ġt` is made by
  /// no rule), so the `tokenizers` library spells every word starting with " t" differently
  /// from tiktoken. With that one merge put back in front, the merge list and the id ranks
  /// agree on everything: it is the only difference.
  @Test func multilingualMergeListLacksOnlyTheFirstMerge() throws {
    let path = try TokenizerFixtures.modelFile("base", "tokenizer.json")
    let byList = try TokenizerFixtures.json("base")
    let byID = try TokenizerFixtures.lines("base")
    #expect(byList.encode(" the") == [220, 3322])
    #expect(byID.encode(" the") == [264])
    let differing = Self.mismatches(byList, byID)
    #expect(!differing.isEmpty && differing.allSatisfy { $0.contains(" t") })

    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    let model = try #require((object as? [String: Any])?["model"] as? [String: Any])
    let vocab = try #require(model["vocab"] as? [String: Int])
    let merges = try #require(model["merges"] as? [String])
    #expect(!merges.contains("Ġ t") && vocab["Ġt"] == 256)
    var rules: [(left: Int, right: Int, merged: Int)] = [(vocab["Ġ"]!, vocab["t"]!, 256)]
    for merge in merges {
      let halves = merge.split(separator: " ").map(String.init)
      rules.append((vocab[halves[0]]!, vocab[halves[1]]!, vocab[halves[0] + halves[1]]!))
    }
    let tokens = (0..<byList.eot).map { Array(byList.tokenBytes($0)) }
    let repaired = WhisperTokenizer(
      bpe: try ByteLevelBPE(tokens: tokens, merges: rules, path: path), layout: byList.layout)
    let remaining = Self.mismatches(repaired, byID)
    #expect(remaining.isEmpty, "\(remaining.count) texts still differ: \(remaining.prefix(10))")
  }

  /// Texts (the corpus, every valid-UTF-8 token, and a concatenation of tokens) that `a` and
  /// `b` encode differently.
  static func mismatches(_ a: WhisperTokenizer, _ b: WhisperTokenizer) -> [String] {
    var texts = tokenizerCorpus
    var joined = ""
    for id in 0..<a.eot {
      guard let text = String(validating: a.tokenBytes(id), as: UTF8.self) else { continue }
      texts.append(text)
      if id % 7 == 0 { joined += text }
    }
    texts.append(joined)
    return texts.filter { a.encode($0) != b.encode($0) }
  }

  /// whisper.cpp's raw token list (built from tokenizer.json) with specials synthesised from
  /// n_vocab: same bytes, decodings, special ids and (tiktoken) encodings.
  @Test(arguments: models) func ggmlTokensMatchTokenizerJSON(model: String) throws {
    let texts = try TokenizerFixtures.reference().texts
    let reference = try TokenizerFixtures.reference(model)
    let openai = try TokenizerFixtures.openAIReference(model)
    let fromJSON = try TokenizerFixtures.json(model)
    let ggml = try WhisperTokenizer(
      .ggmlTokens(TokenizerFixtures.ggmlTokens(model)), nVocab: reference.n_vocab)
    #expect(ggml.eot == fromJSON.eot)
    let differing = (0..<fromJSON.eot).filter { ggml.tokenBytes($0) != fromJSON.tokenBytes($0) }
    #expect(differing.isEmpty, "tokens \(differing.prefix(10)) differ")
    for entry in reference.decode {
      #expect(ggml.decode(entry.ids) == entry.text)
    }
    for (text, ids) in zip(texts, openai.encode) {
      #expect(ggml.encode(text) == ids, "\(text.debugDescription)")
    }
    #expect(ggml.nonSpeechTokens == openai.non_speech_tokens)
    try TokenizerSpecialTokenTests.expectSpecials(ggml, reference)
  }

  /// The merge loops agree: the heap (long pieces) and the linear scan (short pieces), on
  /// random byte strings, including invalid UTF-8 and repeated patterns.
  @Test(arguments: models) func heapAndScanMergeAgree(model: String) throws {
    let bpe = try TokenizerFixtures.json(model).bpe
    var generator = SplitMix64(seed: 7)
    let alphabet = Array("aaabcdeeeinorstthh ÿé日本".utf8)
    for trial in 0..<300 {
      let length = 1 + Int(generator.next() % 300)
      let piece: [UInt8] = (0..<length).map { _ in
        trial % 3 == 0
          ? UInt8(truncatingIfNeeded: generator.next()) : alphabet[Int(generator.next() % UInt64(alphabet.count))]
      }
      var scan: [Int] = []
      var heap: [Int] = []
      var scratch = ByteLevelBPE.Scratch()
      bpe.encode(piece[...], into: &scan, scratch: &scratch, strategy: .scan)
      bpe.encode(piece[...], into: &heap, scratch: &scratch, strategy: .heap)
      #expect(scan == heap, "trial \(trial)")
      var bytes: [UInt8] = []
      for id in heap { bpe.appendBytes(of: id, to: &bytes) }
      #expect(bytes == piece)
    }
  }

  /// Not a timing assertion (docs/design.md, "Performance"): encodes ~5000 words once, and reports
  /// the time.
  @Test func encodesThousandsOfWords() throws {
    let tokenizer = try TokenizerFixtures.json("base")
    let text = String(repeating: tokenizerCorpus.joined(separator: " "), count: 12)
    let clock = ContinuousClock()
    var ids: [Int] = []
    let elapsed = clock.measure { ids = tokenizer.encode(text) }
    let words = text.split(separator: " ").count
    print("encode: \(words) words, \(ids.count) tokens in \(elapsed)")
    #expect(tokenizer.decode(ids) == text)
  }
}

/// A small deterministic generator for the tests (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
  /// The state.
  var state: UInt64
  /// Seeds the generator.
  init(seed: UInt64) { state = seed }
  /// The next 64 random bits.
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
