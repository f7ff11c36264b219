import Testing

@testable import LeafXCore

/// Word grouping against faster-whisper's `split_to_word_tokens` (fixture) and the rules of
/// openai-whisper's `split_tokens_on_unicode` / `split_tokens_on_spaces`.
@Suite struct WordGroupingTests {
  /// The fixture's word groups: same token groups; same text for words that do not start
  /// with a special token (faster-whisper's decode drops special names, openai's and ours keep
  /// them).
  @Test(arguments: TokenizerTests.models) func matchesFasterWhisper(model: String) throws {
    let reference = try TokenizerFixtures.reference(model)
    let tokenizer = try TokenizerFixtures.json(model)
    #expect(!reference.words.isEmpty)
    for entry in reference.words {
      let words = tokenizer.splitToWordTokens(entry.tokens, language: entry.language)
      #expect(words.map(\.tokens) == entry.word_tokens, "\(entry.language): \(entry.words)")
      for (word, text) in zip(words, entry.words) where word.tokens[0] < tokenizer.eot {
        #expect(word.text == text)
      }
      #expect(words.flatMap(\.tokenIndices) == Array(entry.tokens.indices))
    }
  }

  /// openai-whisper's word groups of its own (tiktoken) token ids, texts included: special
  /// tokens keep their names there too.
  @Test(arguments: TokenizerTests.models) func matchesOpenAIWhisper(model: String) throws {
    let openai = try TokenizerFixtures.openAIReference(model)
    let tokenizer = try TokenizerFixtures.lines(model)
    #expect(!openai.words.isEmpty)
    for entry in openai.words {
      #expect(tokenizer.encode(String(tokenizer.decode(entry.tokens))) + [tokenizer.eot] == entry.tokens)
      let words = tokenizer.splitToWordTokens(entry.tokens, language: entry.language)
      #expect(words.map(\.tokens) == entry.word_tokens, "\(entry.language): \(entry.words)")
      #expect(words.map(\.text) == entry.words)
    }
  }

  @Test func englishWordsStartAtSpacesAndPunctuation() throws {
    let tokenizer = try TokenizerFixtures.json("tiny.en")
    let tokens = tokenizer.encode(" Hello, world! It's fine-ish.") + [tokenizer.eot]
    let words = tokenizer.splitToWordTokens(tokens, language: nil)
    #expect(words.map(\.text) == [" Hello", ",", " world", "!", " It's", " fine", "-ish", ".", "<|endoftext|>"])
    for word in words {
      #expect(word.tokens == word.tokenIndices.map { tokens[$0] })
      #expect(tokenizer.decodeWithTimestamps(word.tokens) == word.text)
    }
  }

  /// A multi-token character stays in one unit; languages without spaces split per unit.
  @Test func unicodeUnitsKeepCharactersWhole() throws {
    let tokenizer = try TokenizerFixtures.json("base")
    let text = "我们🎉去北京"
    let tokens = tokenizer.encode(text)
    let units = tokenizer.splitTokensOnUnicode(tokens)
    #expect(units.map(\.text).joined() == text)
    #expect(units.allSatisfy { !$0.text.contains("\u{FFFD}") })
    #expect(units.contains { $0.text == "🎉" && $0.tokens.count > 1 })
    #expect(tokenizer.splitToWordTokens(tokens, language: "zh") == units)
    #expect(tokenizer.splitToWordTokens(tokens, language: "Japanese") == units)
    // With spaces ("en") the CJK units join into one word: none starts with a space.
    #expect(tokenizer.splitToWordTokens(tokens, language: "en").count == 1)
  }

  /// A token that is an invalid byte in the whole sequence too is a unit of its own.
  @Test func genuinelyInvalidBytesAreUnits() throws {
    let tokenizer = try TokenizerFixtures.json("base")
    let emoji = tokenizer.encode("🎉")
    try #require(emoji.count >= 2)
    let tokens = [emoji[0]] + tokenizer.encode(" ok")  // truncated emoji, then text
    let units = tokenizer.splitTokensOnUnicode(tokens)
    #expect(units.map(\.tokenIndices) == [[0], [1]])
    #expect(units[0].text.unicodeScalars.allSatisfy { $0 == "\u{FFFD}" })
    #expect(tokenizer.splitTokensOnUnicode([]).isEmpty)
    #expect(tokenizer.splitToWordTokens([], language: "en").isEmpty)
  }

  @Test func pythonStringRules() {
    #expect(WhisperTokenizer.isPunctuationSubstring([]))
    #expect(WhisperTokenizer.isPunctuationSubstring(Array(",".unicodeScalars)))
    #expect(WhisperTokenizer.isPunctuationSubstring(Array(",-.".unicodeScalars)))
    #expect(WhisperTokenizer.isPunctuationSubstring(Array("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)))
    #expect(!WhisperTokenizer.isPunctuationSubstring(Array("...".unicodeScalars)))
    #expect(!WhisperTokenizer.isPunctuationSubstring(Array("?!".unicodeScalars)))
    #expect(!WhisperTokenizer.isPunctuationSubstring(Array("a".unicodeScalars)))
    #expect(!WhisperTokenizer.isPunctuationSubstring(Array("。".unicodeScalars)))
    #expect(WhisperTokenizer.pythonStripped(" \t\u{1C}x y\u{3000}\n") == Array("x y".unicodeScalars))
    #expect(WhisperTokenizer.pythonStripped(" \u{85}\u{A0} ").isEmpty)
    #expect(WhisperTokenizer.pythonStripped("\u{200B}x") == Array("\u{200B}x".unicodeScalars))
  }
}
