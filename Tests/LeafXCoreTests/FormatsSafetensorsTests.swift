import Foundation
import Testing

@testable import LeafXCore

/// Hugging Face directories: tiny.en converted by Tests/reference/ct2_to_safetensors.py must
/// load to the CT2 tensors bit for bit; synthetic F32/F16/BF16; corrupted headers fail with a
/// `LeafXError`.
@Suite struct FormatsSafetensorsTests {
  /// tiny.en converted by ct2_to_safetensors.py (F16 and F32) loads to the CTranslate2 tensors bit for bit.
  @Test(arguments: [true, false])
  func convertedTinyEnglishMatchesCTranslate2(f16: Bool) throws {
    let directory = try FormatsFixtures.tinySafetensors(f16: f16)
    #expect(try ModelLoader.detectFormat(path: directory) == .safetensors)
    let checkpoint = try ModelLoader.load(path: directory)
    #expect(checkpoint.format == .safetensors)
    let reference = try FormatsFixtures.tinyCT2()
    FormatsFixtures.expectIdenticalTensors(checkpoint, reference)
    #expect(checkpoint.generation.suppressTokens == reference.generation.suppressTokens)
    #expect(checkpoint.generation.suppressTokensAtBegin == reference.generation.suppressTokensAtBegin)
    #expect(checkpoint.generation.alignmentHeads == reference.generation.alignmentHeads)
    #expect(checkpoint.generation.languageTokens == reference.generation.languageTokens)
    guard case .huggingFaceJSON(let path) = checkpoint.vocabulary else {
      Issue.record("vocabulary should be tokenizer.json")
      return
    }
    #expect(path == directory + "/tokenizer.json")
  }

  /// Synthetic F32, F16 and BF16 files round-trip exactly.
  @Test(arguments: [StoredDType.f32, .f16, .bf16])
  func syntheticRoundTripsExactly(dtype: StoredDType) throws {
    let model = SyntheticWhisper(seed: 5)
    let directory = try FormatsFixtures.makeDirectory("hf-\(dtype)")
    try model.writeSafetensors(directory: directory, dtype: dtype)
    let checkpoint = try ModelLoader.load(path: directory)
    #expect(checkpoint.dimensions == SyntheticWhisper.dimensions)
    FormatsFixtures.expectIdenticalTensors(checkpoint, model.checkpoint(format: .safetensors))
    #expect(checkpoint.generation.suppressTokensAtBegin == [3, 10])
    #expect(checkpoint.generation.alignmentHeads == [[0, 1]])
  }

  /// Canonical names map to the Hugging Face names of convert_openai_to_hf.py.
  @Test func huggingFaceNames() {
    #expect(SafetensorsReader.hfName(canonical: "encoder.blocks.3.attn.query.weight") == "model.encoder.layers.3.self_attn.q_proj.weight")
    #expect(SafetensorsReader.hfName(canonical: "decoder.blocks.0.cross_attn.out.bias") == "model.decoder.layers.0.encoder_attn.out_proj.bias")
    #expect(SafetensorsReader.hfName(canonical: "decoder.blocks.1.cross_attn_ln.weight") == "model.decoder.layers.1.encoder_attn_layer_norm.weight")
    #expect(SafetensorsReader.hfName(canonical: "encoder.blocks.0.attn_ln.bias") == "model.encoder.layers.0.self_attn_layer_norm.bias")
    #expect(SafetensorsReader.hfName(canonical: "encoder.blocks.0.mlp.0.weight") == "model.encoder.layers.0.fc1.weight")
    #expect(SafetensorsReader.hfName(canonical: "decoder.blocks.2.mlp.2.bias") == "model.decoder.layers.2.fc2.bias")
    #expect(SafetensorsReader.hfName(canonical: "decoder.blocks.2.mlp_ln.weight") == "model.decoder.layers.2.final_layer_norm.weight")
    #expect(SafetensorsReader.hfName(canonical: "encoder.ln_post.weight") == "model.encoder.layer_norm.weight")
    #expect(SafetensorsReader.hfName(canonical: "decoder.ln.bias") == "model.decoder.layer_norm.bias")
    #expect(SafetensorsReader.hfName(canonical: "encoder.conv2.bias") == "model.encoder.conv2.bias")
    #expect(SafetensorsReader.hfName(canonical: "encoder.positional_embedding") == "model.encoder.embed_positions.weight")
    #expect(SafetensorsReader.hfName(canonical: "decoder.token_embedding.weight") == "model.decoder.embed_tokens.weight")
  }

  /// Truncation at every cut point is a format error.
  @Test func truncationAtEveryCutPointIsAFormatError() throws {
    let model = SyntheticWhisper()
    let directory = try FormatsFixtures.makeDirectory("hf-truncated")
    try model.writeSafetensors(directory: directory, dtype: .f16)
    let bytes = model.safetensorsFile(dtype: .f16)
    for cut in FormatsFixtures.cutPoints(size: bytes.count) {
      try FormatsFixtures.write(Array(bytes[..<cut]), to: directory + "/model.safetensors")
      let error = FormatsFixtures.expectLeafXError("model.safetensors cut at \(cut)") {
        _ = try ModelLoader.load(path: directory)
      }
      if case .format = error {} else { Issue.record("cut at \(cut): \(String(describing: error))") }
    }
  }

  /// The converted tiny.en model.safetensors cut in its header, its middle and before its
  /// last byte.
  @Test func truncatedRealFileIsAFormatError() throws {
    let source = try FormatsFixtures.tinySafetensors(f16: true)
    let bytes = try FormatsFixtures.read(source + "/model.safetensors")
    let directory = try FormatsFixtures.makeDirectory("hf-real-truncated")
    for name in ["config.json", "tokenizer.json"] {
      try FileManager.default.copyItem(atPath: source + "/" + name, toPath: directory + "/" + name)
    }
    for cut in [6, 5000, bytes.count / 2, bytes.count - 1] {
      try FormatsFixtures.write(Array(bytes[..<cut]), to: directory + "/model.safetensors")
      let error = FormatsFixtures.expectLeafXError("tiny.en model.safetensors cut at \(cut)") {
        _ = try ModelLoader.load(path: directory)
      }
      if case .format = error {} else { Issue.record("cut at \(cut): \(String(describing: error))") }
    }
  }

  /// Flipped bytes never crash.
  @Test func flippedBytesNeverCrash() throws {
    let model = SyntheticWhisper()
    let directory = try FormatsFixtures.makeDirectory("hf-flipped")
    try model.writeSafetensors(directory: directory, dtype: .bf16)
    let bytes = model.safetensorsFile(dtype: .bf16)
    var generator = SystemRandomNumberGenerator()
    let positions = Array(0..<16) + (0..<300).map { _ in Int.random(in: 0..<bytes.count, using: &generator) }
    for position in positions {
      var corrupt = bytes
      corrupt[position] ^= [0xFF, 0x01, 0x10][position % 3]
      try FormatsFixtures.write(corrupt, to: directory + "/model.safetensors")
      do {
        _ = try ModelLoader.load(path: directory)
      } catch is LeafXError {
      } catch {
        Issue.record("flip at \(position): \(error) is not a LeafXError")
      }
    }
  }

  /// Lying headers are rejected.
  @Test func lyingHeadersAreRejected() throws {
    let directory = try FormatsFixtures.makeDirectory("hf-lies")
    try SyntheticWhisper().writeSafetensors(directory: directory, dtype: .f32)
    func file(_ header: String, data: Int = 64, length: UInt64? = nil) -> [UInt8] {
      var w = ByteWriter()
      w.u64(length ?? UInt64(header.utf8.count))
      w.raw(Array(header.utf8))
      w.raw([UInt8](repeating: 0, count: data))
      return w.bytes
    }
    let cases: [(String, [UInt8], String)] = [
      ("header length past the end", file("{}", length: 1 << 40), "header length"),
      ("header length u64 max", file("{}", length: .max), "header length"),
      ("not JSON", file("{\"a\":"), "JSON"),
      ("offsets past the data", file(#"{"x":{"dtype":"F32","shape":[32],"data_offsets":[0,128]}}"#), "outside"),
      ("reversed offsets", file(#"{"x":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#), "outside"),
      ("negative offsets", file(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#), "outside"),
      ("size disagrees with shape", file(#"{"x":{"dtype":"F16","shape":[4],"data_offsets":[0,16]}}"#), "does not fill"),
      ("overflowing shape", file(#"{"x":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#), "invalid shape"),
      ("negative shape", file(#"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#), "invalid shape"),
      ("three offsets", file(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#), "data_offsets"),
      ("unknown dtype", file(#"{"x":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}"#), "unknown dtype"),
      ("int dtype", file(#"{"x":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#), "I64"),
      ("missing field", file(#"{"x":{"dtype":"F32","shape":[1]}}"#), "data_offsets"),
      ("valid header, no tensors", file(#"{"__metadata__":{"format":"pt"}}"#), "missing"),
      ("empty file", [], "header length"),
    ]
    for (what, bytes, message) in cases {
      try FormatsFixtures.write(bytes, to: directory + "/model.safetensors")
      let error = FormatsFixtures.expectLeafXError(what) { _ = try ModelLoader.load(path: directory) }
      #expect(String(describing: error).contains(message), "\(what): \(String(describing: error))")
    }
  }

  /// Config types are checked.
  @Test func configTypesAreChecked() throws {
    let directory = try FormatsFixtures.makeDirectory("hf-config")
    try SyntheticWhisper().writeSafetensors(directory: directory, dtype: .f32)
    try FormatsFixtures.write(Array(#"{"d_model": "wide"}"#.utf8), to: directory + "/config.json")
    let error = FormatsFixtures.expectLeafXError("string d_model") { _ = try ModelLoader.load(path: directory) }
    #expect(String(describing: error).contains("d_model"))
    try FormatsFixtures.write(Array(#"{"d_model": 32, "encoder_attention_heads": 3}"#.utf8), to: directory + "/config.json")
    let heads = FormatsFixtures.expectLeafXError("heads not dividing") { _ = try ModelLoader.load(path: directory) }
    #expect(String(describing: heads).contains("divisible"))
  }
}
