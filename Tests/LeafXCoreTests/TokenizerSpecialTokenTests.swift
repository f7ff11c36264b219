import Foundation
import Testing

@testable import LeafXCore

/// Special tokens, languages, SOT sequences, timestamps and the non-speech suppression list,
/// against faster-whisper and openai-whisper (fixture) and the ids DESIGN and whisper.cpp state.
@Suite struct TokenizerSpecialTokenTests {
  /// Both models of the fixture.
  static let models = TokenizerTests.models

  @Test(arguments: models) func specialTokens(model: String) throws {
    let reference = try TokenizerFixtures.reference(model)
    for tokenizer in [try TokenizerFixtures.json(model), try TokenizerFixtures.lines(model)] {
      try Self.expectSpecials(tokenizer, reference)
    }
    let tokenizer = try TokenizerFixtures.json(model)
    let shift = model == "base" ? 1 : 0
    let expected = [50256, 50257, 50357, 50358, 50359, 50360, 50361, 50362, 50363].map { $0 + shift }
    let actual = [
      tokenizer.eot, tokenizer.sot, tokenizer.translate, tokenizer.transcribe, tokenizer.startOfLM,
      tokenizer.startOfPrev, tokenizer.noSpeech, tokenizer.noTimestamps, tokenizer.timestampBegin,
    ]
    #expect(actual == expected)
    #expect(tokenizer.isMultilingual == (model == "base"))
    #expect(tokenizer.isSpecial(tokenizer.eot) && !tokenizer.isSpecial(tokenizer.eot - 1))
    #expect(!tokenizer.isSpecial(tokenizer.nVocab))
  }

  /// The fixture's special ids (faster-whisper's), 1501 timestamps and 99 languages.
  static func expectSpecials(
    _ tokenizer: WhisperTokenizer, _ reference: TokenizerFixtures.Reference.Model
  ) throws {
    let s = reference.specials
    #expect(tokenizer.nVocab == reference.n_vocab)
    #expect(tokenizer.eot == s["eot"])
    #expect(tokenizer.sot == s["sot"])
    #expect(tokenizer.translate == s["translate"])
    #expect(tokenizer.transcribe == s["transcribe"])
    #expect(tokenizer.startOfLM == s["sot_lm"])
    #expect(tokenizer.startOfPrev == s["sot_prev"])
    #expect(tokenizer.noSpeech == s["no_speech"])
    #expect(tokenizer.noTimestamps == s["no_timestamps"])
    #expect(tokenizer.timestampBegin == s["timestamp_begin"])
    #expect(tokenizer.timestampCount == 1501)
    #expect(tokenizer.allLanguageCodes == Array(WhisperLanguages.codes.prefix(99)))
    #expect(tokenizer.allLanguageTokens == Array((tokenizer.sot + 1)...(tokenizer.sot + 99)))
  }

  @Test(arguments: models) func sotSequences(model: String) throws {
    let reference = try TokenizerFixtures.reference(model)
    let openai = try TokenizerFixtures.openAIReference(model)
    let tokenizer = try TokenizerFixtures.json(model)
    for entry in reference.sot_sequences + openai.sot_sequences {
      let task = try #require(WhisperTask(rawValue: entry.task))
      #expect(try tokenizer.sotSequence(language: entry.language, task: task) == entry.ids)
    }
    if tokenizer.isMultilingual {
      #expect(try tokenizer.sotSequence(language: nil, task: .translate) == [tokenizer.sot, tokenizer.translate])
      #expect(
        try tokenizer.sotSequence(language: "German", task: .transcribe)
          == [tokenizer.sot, tokenizer.sot + 3, tokenizer.transcribe])
      #expect(
        try tokenizer.sotSequence(language: "castilian", task: .transcribe)[1] == tokenizer.languageToken(code: "es"))
      #expect(throws: LeafXError.self) { try tokenizer.sotSequence(language: "klingon", task: .transcribe) }
      #expect(throws: LeafXError.self) { try tokenizer.sotSequence(language: "yue", task: .transcribe) }
    } else {
      #expect(try tokenizer.sotSequence(language: "klingon", task: .translate) == [tokenizer.sot])
    }
  }

  /// faster-whisper's and openai-whisper's `non_speech_tokens` (they agree on both models).
  @Test(arguments: models) func nonSpeechTokens(model: String) throws {
    let reference = try TokenizerFixtures.reference(model)
    let openai = try TokenizerFixtures.openAIReference(model)
    #expect(try TokenizerFixtures.json(model).nonSpeechTokens == reference.non_speech_tokens)
    #expect(try TokenizerFixtures.lines(model).nonSpeechTokens == openai.non_speech_tokens)
  }

  @Test(arguments: models) func languages(model: String) throws {
    for tokenizer in [try TokenizerFixtures.json(model), try TokenizerFixtures.lines(model)] {
      #expect(tokenizer.allLanguageCodes.count == 99)
      #expect(tokenizer.languageToken(code: "en") == tokenizer.sot + 1)
      // English-only files spell Hebrew <|iw|>; it is `he` in openai-whisper's LANGUAGES.
      #expect(tokenizer.languageToken(code: "he") == tokenizer.sot + 21)
      #expect(tokenizer.tokenText(tokenizer.sot + 21) == "<|he|>")
      #expect(tokenizer.languageToken(code: "su") == tokenizer.sot + 99)
      #expect(tokenizer.languageToken(code: "yue") == nil)
      #expect(tokenizer.languageCode(token: tokenizer.sot + 3) == "de")
      #expect(tokenizer.languageCode(token: tokenizer.translate) == nil)
      #expect(tokenizer.tokenText(tokenizer.sot + 2) == "<|zh|>")
    }
  }

  /// Every special and timestamp name equals its line of vocabulary.txt (timestamps in
  /// openai's `f"<|{i * 0.02:.2f}|>"` spelling), and seconds convert both ways.
  @Test(arguments: models) func timestampTokens(model: String) throws {
    let tokenizer = try TokenizerFixtures.json(model)
    let lines = try String(
      contentsOfFile: TokenizerFixtures.modelFile(model, "vocabulary.txt"), encoding: .utf8
    ).split(separator: "\n", omittingEmptySubsequences: false)
    for id in tokenizer.eot..<tokenizer.nVocab where tokenizer.tokenText(id) != lines[id] {
      if lines[id] == "<|iw|>" && tokenizer.tokenText(id) == "<|he|>" { continue }
      Issue.record("token \(id): \(tokenizer.tokenText(id)) vs \(lines[id])")
    }
    let begin = tokenizer.timestampBegin
    #expect(tokenizer.tokenText(begin + 54) == "<|1.08|>")
    #expect(tokenizer.timestampSeconds(begin + 54) == 54 * 0.02)
    #expect(tokenizer.timestampSeconds(tokenizer.noTimestamps) == nil)
    #expect(tokenizer.timestampToken(seconds: 1.08) == begin + 54)
    #expect(tokenizer.timestampToken(seconds: 1.089) == begin + 54)
    #expect(tokenizer.timestampToken(seconds: 30) == tokenizer.nVocab - 1)
    #expect(tokenizer.timestampToken(seconds: 1e300) == tokenizer.nVocab - 1)
    #expect(tokenizer.timestampToken(seconds: .infinity) == tokenizer.nVocab - 1)
    #expect(tokenizer.timestampToken(seconds: -3) == begin)
    #expect(tokenizer.timestampToken(seconds: .nan) == begin)
    #expect(tokenizer.timestampToken(seconds: -.infinity) == begin)
  }

  /// large-v3 (51866 ids) has `yue` as a 100th language, which shifts translate … by one.
  @Test func largeV3LayoutFromNVocab() throws {
    let tokens = try TokenizerFixtures.ggmlTokens("base")
    let v3 = try WhisperTokenizer(.ggmlTokens(tokens), nVocab: 51866)
    #expect(v3.isMultilingual)
    #expect(v3.allLanguageCodes.count == 100 && v3.allLanguageCodes.last == "yue")
    #expect(v3.languageToken(code: "yue") == 50358)
    let actual = [
      v3.eot, v3.sot, v3.translate, v3.transcribe, v3.startOfLM, v3.startOfPrev, v3.noSpeech,
      v3.noTimestamps, v3.timestampBegin,
    ]
    #expect(actual == [50257, 50258, 50359, 50360, 50361, 50362, 50363, 50364, 50365])
    #expect(try v3.sotSequence(language: "yue", task: .translate) == [50258, 50358, 50359])
    #expect(v3.timestampCount == 1501)

    let english = try WhisperTokenizer(.ggmlTokens(TokenizerFixtures.ggmlTokens("tiny.en")), nVocab: 51864)
    #expect(!english.isMultilingual && english.eot == 50256 && english.timestampBegin == 50363)
    #expect(english.tokenText(50361) == "<|nospeech|>")
    #expect(english.tokenText(50363 + 1500) == "<|30.00|>")
  }

  @Test(arguments: models) func tokenTextAndBytes(model: String) throws {
    let tokenizer = try TokenizerFixtures.json(model)
    let ids = tokenizer.encode(" hello")
    #expect(ids.count == 1 && tokenizer.tokenText(ids[0]) == " hello")
    #expect(tokenizer.tokenText(tokenizer.eot) == "<|endoftext|>")
    #expect(tokenizer.tokenBytes(tokenizer.eot) == Array("<|endoftext|>".utf8))
    #expect(tokenizer.tokenText(tokenizer.sot) == "<|startoftranscript|>")
    #expect(
      tokenizer.decodeWithTimestamps([tokenizer.sot] + ids + [tokenizer.timestampBegin + 50])
        == "<|startoftranscript|> hello<|1.00|>")
    // The first token of a 4-byte emoji is a partial character.
    let emoji = tokenizer.encode("🎉")
    #expect(emoji.count > 1 && tokenizer.tokenText(emoji[0]).contains("\u{FFFD}"))
  }
}
