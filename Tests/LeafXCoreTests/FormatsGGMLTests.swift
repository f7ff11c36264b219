import Foundation
import Testing

@testable import LeafXCore

/// whisper.cpp ggml files: tiny.en converted by ct2_to_ggml.py must load to the CT2
/// tensors bit for bit; synthetic quantized files; corrupted files fail with a `LeafXError`.
@Suite struct FormatsGGMLTests {
  /// tiny.en converted by ct2_to_ggml.py (f16 and --f32) loads to the CTranslate2 tensors bit for bit.
  @Test(arguments: [false, true])
  func convertedTinyEnglishMatchesCTranslate2(f32: Bool) throws {
    let path = try FormatsFixtures.tinyGGML(f32: f32)
    #expect(try ModelLoader.detectFormat(path: path) == .ggml)
    let checkpoint = try ModelLoader.load(path: path)
    #expect(checkpoint.format == .ggml)
    FormatsFixtures.expectIdenticalTensors(checkpoint, try FormatsFixtures.tinyCT2())
    let mel = try #require(checkpoint.melFilters)
    #expect(mel.shape == [80, 201])
    #expect(mel.values.allSatisfy { $0 >= 0 && $0.isFinite } && mel.values.contains { $0 > 0 })
    guard case .ggmlTokens(let tokens) = checkpoint.vocabulary else {
      Issue.record("vocabulary should be the ggml tokens")
      return
    }
    #expect(tokens.count == 50256)
    #expect(tokens[0] == Array("!".utf8) && tokens[220] == [0x20] && tokens[383] == Array(" The".utf8) && tokens[464] == Array("The".utf8))
  }

  /// Synthetic files with every supported weight type load within one quantization step.
  @Test(arguments: [StoredDType.f32, .f16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0])
  func syntheticWeightTypesLoad(type: StoredDType) throws {
    let model = SyntheticWhisper(seed: 3)
    let (bytes, bounds) = model.ggmlFile(weightType: type)
    let path = try FormatsFixtures.makeDirectory("ggml-\(type)") + "/model.bin"
    try FormatsFixtures.write(bytes, to: path)
    let checkpoint = try ModelLoader.load(path: path)
    #expect(checkpoint.dimensions == SyntheticWhisper.dimensions)
    #expect(checkpoint.tensors["encoder.conv1.bias"]?.shape == [32])
    #expect(checkpoint.melFilters?.shape == [4, 201])
    for (name, tensor) in model.tensors {
      let loaded = try #require(checkpoint.tensors[name])
      #expect(loaded.shape == tensor.shape, "\(name)")
      let error = zip(loaded.values, tensor.values).map { abs($0 - $1) }.max() ?? 0
      let bound = bounds[name] ?? 0
      #expect(error <= bound * 1.01 + (bound > 0 ? 1e-3 : 0), "\(name) (\(type)): error \(error), step \(bound)")
    }
  }

  /// Truncation at every cut point is a format error.
  @Test func truncationAtEveryCutPointIsAFormatError() throws {
    let (bytes, _) = SyntheticWhisper().ggmlFile(weightType: .q5_0)
    let path = try FormatsFixtures.makeDirectory("ggml-truncated") + "/model.bin"
    for cut in FormatsFixtures.cutPoints(size: bytes.count) {
      try FormatsFixtures.write(Array(bytes[..<cut]), to: path)
      let error = FormatsFixtures.expectLeafXError("ggml cut at \(cut)") {
        _ = try ModelLoader.load(path: path, format: .ggml)
      }
      if case .format = error {} else { Issue.record("cut at \(cut): \(String(describing: error))") }
    }
  }

  /// Truncated real file is a format error.
  @Test func truncatedRealFileIsAFormatError() throws {
    let bytes = try FormatsFixtures.read(try FormatsFixtures.tinyGGML(f32: false))
    let path = try FormatsFixtures.makeDirectory("ggml-real-truncated") + "/tiny.bin"
    for cut in [40, 64_376 + 1000, bytes.count / 2, bytes.count - 1] {
      try FormatsFixtures.write(Array(bytes[..<cut]), to: path)
      FormatsFixtures.expectLeafXError("tiny.en ggml cut at \(cut)") { _ = try ModelLoader.load(path: path) }
    }
  }

  /// Flipped bytes never crash.
  @Test func flippedBytesNeverCrash() throws {
    let (bytes, _) = SyntheticWhisper().ggmlFile(weightType: .q4_1)
    let path = try FormatsFixtures.makeDirectory("ggml-flipped") + "/model.bin"
    var generator = SystemRandomNumberGenerator()
    // The header, the tail of the mel bank and the vocabulary, the first tensor records,
    // then random positions.
    let vocabularyStart = 48 + 8 + 4 * 4 * 201
    let positions =
      Array(0..<56) + Array((vocabularyStart - 8)..<(vocabularyStart + 120))
      + (0..<120).map { _ in Int.random(in: 0..<bytes.count, using: &generator) }
    for position in positions {
      for mask: UInt8 in [0xFF, 0x40] {
        var corrupt = bytes
        corrupt[position] ^= mask
        try FormatsFixtures.write(corrupt, to: path)
        do {
          _ = try ModelLoader.load(path: path, format: .ggml)
        } catch is LeafXError {
        } catch {
          Issue.record("flip at \(position): \(error) is not a LeafXError")
        }
      }
    }
  }

  /// Lying tensor records are rejected.
  @Test func lyingTensorRecordsAreRejected() throws {
    let (valid, _) = SyntheticWhisper().ggmlFile(weightType: .f16)
    // Everything before the first tensor record.
    let recordsStart = 48 + 8 + 4 * 4 * 201 + 4 + 10 * 5
    let prefix = Array(valid[..<recordsStart])
    func record(nDims: Int32 = 1, nameLength: Int32? = nil, type: Int32 = 0, ne: [Int32] = [32], name: String = "decoder.ln.bias", data: Int = 128) -> [UInt8] {
      var w = ByteWriter()
      w.i32(nDims)
      w.i32(nameLength ?? Int32(name.utf8.count))
      w.i32(type)
      for n in ne { w.i32(n) }
      w.raw(Array(name.utf8))
      w.raw([UInt8](repeating: 0, count: data))
      return w.bytes
    }
    let cases: [(String, [UInt8], String)] = [
      ("n_dims 0", record(nDims: 0, ne: []), "n_dims"),
      ("n_dims 5", record(nDims: 5, ne: [1, 1, 1, 1, 32]), "n_dims"),
      ("negative name length", record(nameLength: -1), "name length"),
      ("huge name length", record(nameLength: .max), "name length"),
      ("zero ne", record(ne: [0]), "ne[0]"),
      ("negative ne", record(ne: [-32]), "ne[0]"),
      ("overflowing ne", record(nDims: 4, ne: [.max, .max, .max, .max]), "overflows"),
      ("data past the end", record(ne: [64]), "data of tensor"),
      ("unknown type", record(type: 4), "unknown ggml tensor type"),
      ("negative type", record(type: -1), "unknown ggml tensor type"),
      ("k-quant type", record(type: 12, ne: [256]), "ggml type 12"),
      ("q4_0 row not a multiple of 32", record(type: 2, ne: [16], data: 9), "block size"),
      ("duplicated name", record() + record(), "twice"),
      ("invalid UTF-8 name", record(name: "\u{FFFF}x").map { $0 == 0xEF ? 0xFF : $0 }, "UTF-8"),
      ("record cut after the type", Array(record()[..<12]), "ne[0]"),
    ]
    let path = try FormatsFixtures.makeDirectory("ggml-lies") + "/model.bin"
    for (what, tail, message) in cases {
      try FormatsFixtures.write(prefix + tail, to: path)
      let error = FormatsFixtures.expectLeafXError(what) { _ = try ModelLoader.load(path: path, format: .ggml) }
      #expect(String(describing: error).contains(message), "\(what): \(String(describing: error))")
    }
    // Header lies: mel n_fft, mel rows, vocabulary count, token length, state widths, ftype.
    func patched(_ offset: Int, _ value: Int32) -> [UInt8] {
      var bytes = valid
      withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
      return bytes
    }
    let headerCases: [(String, [UInt8], String)] = [
      ("n_fft 200", patched(52, 200), "n_fft"),
      ("n_mel 5", patched(48, 5), "rows"),
      ("n_mels 0", patched(40, 0), "n_mels"),
      ("n_vocab negative", patched(4, -5), "n_vocab"),
      ("n_audio_head not dividing the width", patched(16, 5), "divisible"),
      ("n_text_state differs", patched(28, 64), "differs"),
      ("ftype 99", patched(44, 99), "ftype"),
      ("vocabulary larger than n_vocab", patched(recordsStart - 54, 13), "vocabulary holds"),
      ("token length past the end", patched(recordsStart - 50, .max), "token 0"),
      ("bad magic", patched(0, 0x6767_6d6d), "magic"),
    ]
    for (what, bytes, message) in headerCases {
      try FormatsFixtures.write(bytes, to: path)
      let error = FormatsFixtures.expectLeafXError(what) { _ = try ModelLoader.load(path: path, format: .ggml) }
      #expect(String(describing: error).contains(message), "\(what): \(String(describing: error))")
    }
  }

  /// Missing tensor is named.
  @Test func missingTensorIsNamed() throws {
    let (valid, _) = SyntheticWhisper().ggmlFile(weightType: .f32)
    // Drop the last record: names are written sorted, so it is encoder.positional_embedding
    // (2 dims, f32 [6, 32]).
    let lastRecordSize = 4 * 3 + 4 * 2 + "encoder.positional_embedding".utf8.count + 6 * 32 * 4
    let path = try FormatsFixtures.makeDirectory("ggml-missing") + "/model.bin"
    try FormatsFixtures.write(Array(valid[..<(valid.count - lastRecordSize)]), to: path)
    let error = FormatsFixtures.expectLeafXError("missing tensor") { _ = try ModelLoader.load(path: path) }
    #expect(String(describing: error).contains("positional_embedding"))
  }
}
