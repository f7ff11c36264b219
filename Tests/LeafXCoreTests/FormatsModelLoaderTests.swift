import Foundation
import Testing

@testable import LeafXCore

/// Format detection and the errors for paths that are not models.
@Suite struct FormatsModelLoaderTests {
  /// Detects each format.
  @Test func detectsEachFormat() throws {
    let model = SyntheticWhisper()
    let ct2 = try FormatsFixtures.makeDirectory("detect-ct2")
    try model.writeCT2(directory: ct2)
    let hf = try FormatsFixtures.makeDirectory("detect-hf")
    try model.writeSafetensors(directory: hf, dtype: .f16)
    let ggml = try FormatsFixtures.makeDirectory("detect-ggml") + "/ggml-synthetic.bin"
    try FormatsFixtures.write(model.ggmlFile(weightType: .f16).bytes, to: ggml)
    #expect(try ModelLoader.detectFormat(path: ct2) == .ctranslate2)
    #expect(try ModelLoader.detectFormat(path: ct2 + "/") == .ctranslate2)
    #expect(try ModelLoader.detectFormat(path: hf) == .safetensors)
    #expect(try ModelLoader.detectFormat(path: hf + "/model.safetensors") == .safetensors)
    #expect(try ModelLoader.detectFormat(path: ggml) == .ggml)
    #expect(CTranslate2Reader.canRead(path: ct2) && !CTranslate2Reader.canRead(path: hf))
    #expect(SafetensorsReader.canRead(path: hf) && !SafetensorsReader.canRead(path: ggml))
    #expect(GGMLReader.canRead(path: ggml) && !GGMLReader.canRead(path: ct2 + "/model.bin"))
    for path in [ct2, hf, ggml, hf + "/model.safetensors"] {
      let checkpoint = try ModelLoader.load(path: path)
      #expect(checkpoint.dimensions == SyntheticWhisper.dimensions, "\(path)")
    }
  }

  /// A missing path is an `io` error.
  @Test func missingPathIsAnIOError() {
    let error = FormatsFixtures.expectLeafXError("missing path") {
      _ = try ModelLoader.detectFormat(path: "/nonexistent/leafx/model")
    }
    guard case .io = error else {
      Issue.record("expected io, got \(String(describing: error))")
      return
    }
  }

  /// Unknown files and directories name what was looked for.
  @Test func unknownFilesAndDirectoriesNameWhatWasLookedFor() throws {
    let directory = try FormatsFixtures.makeDirectory("detect-unknown")
    let empty = FormatsFixtures.expectLeafXError("empty directory") { _ = try ModelLoader.detectFormat(path: directory) }
    #expect(String(describing: empty).contains("model.bin") && String(describing: empty).contains("model.safetensors"))
    try FormatsFixtures.write(Array("hello world".utf8), to: directory + "/notes.txt")
    let text = FormatsFixtures.expectLeafXError("text file") { _ = try ModelLoader.detectFormat(path: directory + "/notes.txt") }
    guard case .format = text else {
      Issue.record("expected format, got \(String(describing: text))")
      return
    }
    #expect(String(describing: text).contains("lmgg"))
    try FormatsFixtures.write(Array("GGUF....".utf8), to: directory + "/model.gguf")
    let gguf = FormatsFixtures.expectLeafXError("gguf") { _ = try ModelLoader.detectFormat(path: directory + "/model.gguf") }
    #expect(String(describing: gguf).contains("GGUF"))
    // Forcing a format on the wrong kind of path fails cleanly.
    FormatsFixtures.expectLeafXError("ggml forced on a directory") { _ = try ModelLoader.load(path: directory, format: .ggml) }
    FormatsFixtures.expectLeafXError("ct2 forced on a text file") {
      _ = try ModelLoader.load(path: directory + "/notes.txt", format: .ctranslate2)
    }
  }

  /// A FIFO where model.bin should be is refused at once instead of blocking on open.
  @Test func fifoIsRefusedWithoutBlocking() throws {
    let directory = try FormatsFixtures.makeDirectory("fifo")
    #expect(mkfifo(directory + "/model.bin", 0o600) == 0)
    FormatsFixtures.expectLeafXError("directory with a FIFO model.bin") { _ = try ModelLoader.detectFormat(path: directory) }
    let error = FormatsFixtures.expectLeafXError("forced CTranslate2 on a FIFO") {
      _ = try ModelLoader.load(path: directory, format: .ctranslate2)
    }
    guard case .io = error else {
      Issue.record("expected io, got \(String(describing: error))")
      return
    }
  }

  /// A NaN weight is reported with its tensor name.
  @Test func nonFiniteWeightsAreRejected() throws {
    let model = SyntheticWhisper()
    var (bytes, _) = model.ggmlFile(weightType: .f32)
    // The last 4 bytes are the last value of encoder.positional_embedding (f32): make it NaN.
    bytes.replaceSubrange((bytes.count - 4)..., with: [0x00, 0x00, 0xC0, 0x7F])
    let path = try FormatsFixtures.makeDirectory("nan") + "/model.bin"
    try FormatsFixtures.write(bytes, to: path)
    let error = FormatsFixtures.expectLeafXError("NaN weight") { _ = try ModelLoader.load(path: path) }
    #expect(String(describing: error).contains("encoder.positional_embedding"))
  }
}
