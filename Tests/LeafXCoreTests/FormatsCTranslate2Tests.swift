import Foundation
import Testing

@testable import LeafXCore

/// CTranslate2 directories: the real tiny.en and base weights, synthetic round trips
/// (f16, int8 with scales), and corrupted files that must fail with a `LeafXError`.
@Suite struct FormatsCTranslate2Tests {
  /// tiny.en loads with 80 mels, 1500 audio positions, width 384, 6 heads, 4+4 layers, 51864 tokens.
  @Test func tinyEnglishLoadsWithItsDimensions() throws {
    let checkpoint = try FormatsFixtures.tinyCT2()
    #expect(checkpoint.format == .ctranslate2)
    #expect(
      checkpoint.dimensions
        == WhisperDimensions(
          nMels: 80, nAudioCtx: 1500, nAudioState: 384, nAudioHead: 6, nAudioLayer: 4, nVocab: 51864,
          nTextCtx: 448, nTextState: 384, nTextHead: 6, nTextLayer: 4))
    #expect(checkpoint.tensors.count == WhisperCheckpoint.expectedShapes(checkpoint.dimensions).count)
    #expect(checkpoint.melFilters == nil)
    guard case .huggingFaceJSON(let tokenizer) = checkpoint.vocabulary else {
      Issue.record("vocabulary should come from tokenizer.json, got \(checkpoint.vocabulary)")
      return
    }
    #expect(tokenizer.hasSuffix("/tokenizer.json"))
    let generation = checkpoint.generation
    #expect(generation.suppressTokensAtBegin == [220, 50256])
    #expect(generation.suppressTokens?.count == 90)
    #expect(generation.alignmentHeads?.count == 8 && generation.alignmentHeads?.first == [1, 0])
  }

  /// base (multilingual) loads with width 512, 8 heads, 6+6 layers, 51865 tokens, named language ids.
  @Test func baseLoadsWithItsDimensions() throws {
    let checkpoint = try ModelLoader.load(path: try FormatsFixtures.modelDirectory("base"))
    #expect(
      checkpoint.dimensions
        == WhisperDimensions(
          nMels: 80, nAudioCtx: 1500, nAudioState: 512, nAudioHead: 8, nAudioLayer: 6, nVocab: 51865,
          nTextCtx: 448, nTextState: 512, nTextHead: 8, nTextLayer: 6))
    #expect(checkpoint.dimensions.isMultilingual)
    #expect(checkpoint.generation.languageTokens?["en"] == 50259)
    #expect(checkpoint.generation.languageTokens?["de"] == 50261)
    #expect(checkpoint.generation.languageTokens?.count == 99)
    #expect(checkpoint.generation.suppressTokensAtBegin == [220, 50257])
  }

  /// Synthetic float16 round trips exactly.
  @Test func syntheticFloat16RoundTripsExactly() throws {
    let model = SyntheticWhisper()
    let directory = try FormatsFixtures.makeDirectory("ct2-synthetic")
    let expected = try model.writeCT2(directory: directory)
    #expect(expected == model.tensors)
    #expect(try ModelLoader.detectFormat(path: directory) == .ctranslate2)
    let checkpoint = try ModelLoader.load(path: directory)
    #expect(checkpoint.dimensions == SyntheticWhisper.dimensions)
    FormatsFixtures.expectIdenticalTensors(checkpoint, model.checkpoint(format: .ctranslate2))
    guard case .ctranslate2Vocabulary = checkpoint.vocabulary else {
      Issue.record("without tokenizer.json the vocabulary is vocabulary.txt")
      return
    }
    #expect(checkpoint.generation.languageTokens == ["de": 11])
    #expect(checkpoint.generation.suppressTokens == [1, 2])
    // The model.bin file itself is accepted too.
    let again = try ModelLoader.load(path: directory + "/model.bin")
    #expect(again.tensors == checkpoint.tensors)
  }

  /// int8 weights with a `_scale` companion are divided by it, row by row.
  @Test func int8WeightsAreDividedByTheirScales() throws {
    let model = SyntheticWhisper(seed: 7)
    let directory = try FormatsFixtures.makeDirectory("ct2-int8")
    let expected = try model.writeCT2(directory: directory, int8: true)
    let checkpoint = try CTranslate2Reader.read(path: directory)
    var mismatched: [String] = []
    for (name, tensor) in expected where checkpoint.tensors[name] != tensor { mismatched.append(name) }
    #expect(mismatched.isEmpty, "int8 tensors differ: \(mismatched.sorted().prefix(5))")
    // Quantized, so not the float originals, but close.
    let query = checkpoint.tensors["encoder.blocks.0.attn.query.weight"]!
    let original = model.tensors["encoder.blocks.0.attn.query.weight"]!
    #expect(query != original)
    #expect(zip(query.values, original.values).allSatisfy { abs($0 - $1) <= 1.0 / 127 })
  }

  /// Truncation at every cut point is a format error.
  @Test func truncationAtEveryCutPointIsAFormatError() throws {
    let (bytes, _) = SyntheticWhisper().ct2ModelBin()
    let directory = try FormatsFixtures.makeDirectory("ct2-truncated")
    try SyntheticWhisper().writeCT2(directory: directory)
    for cut in FormatsFixtures.cutPoints(size: bytes.count) {
      try FormatsFixtures.write(Array(bytes[..<cut]), to: directory + "/model.bin")
      let error = FormatsFixtures.expectLeafXError("model.bin cut at \(cut)") {
        _ = try ModelLoader.load(path: directory, format: .ctranslate2)
      }
      if case .format = error {} else { Issue.record("cut at \(cut): \(String(describing: error))") }
    }
  }

  /// The real tiny.en model.bin cut in its header, its middle and before its last byte.
  @Test func truncatedRealFileIsAFormatError() throws {
    let bytes = try FormatsFixtures.read(try FormatsFixtures.modelDirectory("tiny.en") + "/model.bin")
    let directory = try FormatsFixtures.makeDirectory("ct2-real-truncated")
    for cut in [30, 5000, bytes.count / 2, bytes.count - 1] {
      try FormatsFixtures.write(Array(bytes[..<cut]), to: directory + "/model.bin")
      let error = FormatsFixtures.expectLeafXError("tiny.en model.bin cut at \(cut)") {
        _ = try ModelLoader.load(path: directory)
      }
      if case .format = error {} else { Issue.record("cut at \(cut): \(String(describing: error))") }
    }
  }

  /// Flipped bytes never crash.
  @Test func flippedBytesNeverCrash() throws {
    let (bytes, _) = SyntheticWhisper().ct2ModelBin()
    let directory = try FormatsFixtures.makeDirectory("ct2-flipped")
    try SyntheticWhisper().writeCT2(directory: directory)
    var generator = SystemRandomNumberGenerator()
    // Every byte of the first 300 (header and first records), then random positions.
    let positions = Array(0..<min(300, bytes.count)) + (0..<100).map { _ in Int.random(in: 0..<bytes.count, using: &generator) }
    for position in positions {
      for mask: UInt8 in [0xFF, 0x80] {
        var corrupt = bytes
        corrupt[position] ^= mask
        try FormatsFixtures.write(corrupt, to: directory + "/model.bin")
        do {
          _ = try ModelLoader.load(path: directory)
        } catch is LeafXError {
        } catch {
          Issue.record("flip at \(position): \(error) is not a LeafXError")
        }
      }
    }
  }

  /// Lying header fields are rejected.
  @Test func lyingHeaderFieldsAreRejected() throws {
    let directory = try FormatsFixtures.makeDirectory("ct2-lies")
    try SyntheticWhisper().writeCT2(directory: directory)
    func header(version: UInt32 = 6, count: UInt32, record: (inout ByteWriter) -> Void) -> [UInt8] {
      var w = ByteWriter()
      w.u32(version)
      w.ct2String("WhisperSpec")
      w.u32(3)
      w.u32(count)
      record(&w)
      return w.bytes
    }
    let cases: [(String, [UInt8], String)] = [
      ("version 7", header(version: 7, count: 0) { _ in }, "binary_version"),
      ("version 0", header(version: 0, count: 0) { _ in }, "binary_version"),
      ("4 billion variables", header(count: .max) { _ in }, "variable name"),
      ("num_bytes past the end", header(count: 1) { w in
        w.ct2String("x"); w.u8(1); w.u32(4); w.u8(0); w.u32(16); w.raw([0, 0, 0, 0])
      }, "data of x"),
      ("num_bytes disagrees with shape", header(count: 1) { w in
        w.ct2String("x"); w.u8(1); w.u32(4); w.u8(0); w.u32(8); w.raw([UInt8](repeating: 0, count: 8))
      }, "declares 8 bytes"),
      ("overflowing shape", header(count: 1) { w in
        w.ct2String("x"); w.u8(4); for _ in 0..<4 { w.u32(.max) }; w.u8(0); w.u32(0)
      }, "overflows"),
      ("unknown dtype", header(count: 1) { w in w.ct2String("x"); w.u8(0); w.u8(9); w.u32(4); w.raw([0, 0, 0, 0]) }, "unknown dtype id"),
      ("string without NUL", header(count: 1) { w in w.u16(2); w.raw([0x78, 0x78]) }, "NUL-terminated"),
      ("zero-length string", header(count: 1) { w in w.u16(0) }, "length 0"),
      ("invalid UTF-8 name", header(count: 1) { w in w.u16(3); w.raw([0xFF, 0xFE, 0]) }, "UTF-8"),
      ("dangling alias", header(count: 0) { w in w.u32(1); w.ct2String("a"); w.ct2String("b") }, "not a variable"),
      ("trailing bytes", header(count: 0) { w in w.u32(0); w.raw([1, 2, 3]) }, "unexpected bytes"),
      ("no variables", header(count: 0) { w in w.u32(0) }, "missing"),
      ("empty file", [], "binary_version"),
    ]
    for (what, bytes, message) in cases {
      try FormatsFixtures.write(bytes, to: directory + "/model.bin")
      let error = FormatsFixtures.expectLeafXError(what) { _ = try ModelLoader.load(path: directory) }
      #expect(String(describing: error).contains(message), "\(what): \(String(describing: error))")
    }
  }

  /// Bad config and missing vocabulary are reported.
  @Test func badConfigAndMissingVocabularyAreReported() throws {
    let directory = try FormatsFixtures.makeDirectory("ct2-side-files")
    try SyntheticWhisper().writeCT2(directory: directory)
    try FormatsFixtures.write(Array(#"{"suppress_ids": "all"}"#.utf8), to: directory + "/config.json")
    let config = FormatsFixtures.expectLeafXError("config with a string for suppress_ids") {
      _ = try ModelLoader.load(path: directory)
    }
    #expect(String(describing: config).contains("suppress_ids"))
    try FormatsFixtures.write(Array("{}".utf8), to: directory + "/config.json")
    try FileManager.default.removeItem(atPath: directory + "/vocabulary.txt")
    let vocabulary = FormatsFixtures.expectLeafXError("no vocabulary") { _ = try ModelLoader.load(path: directory) }
    #expect(String(describing: vocabulary).contains("vocabulary.txt"))
  }
}
