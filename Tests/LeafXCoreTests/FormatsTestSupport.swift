import Foundation
import Testing

@testable import LeafXCore

/// A test precondition that is not met (missing weights, a failed conversion): thrown so the
/// test fails with this message instead of skipping silently.
struct FixtureError: Error, CustomStringConvertible {
  /// What is missing and how to get it.
  var description: String
}

/// Paths, conversions and synthetic models shared by the Formats* tests.
///
/// Real weights come from the model cache (`$LEAFX_MODELS`, default `~/.cache/leafx/models`,
/// filled by `make models`); conversions run the repository's Python converters once per test
/// process into a temporary directory removed at exit.
enum FormatsFixtures {
  /// `$LEAFX_MODELS` or `~/.cache/leafx/models`.
  static var modelsDirectory: String {
    let environment = ProcessInfo.processInfo.environment
    if let models = environment["LEAFX_MODELS"], !models.isEmpty { return models }
    return NSHomeDirectory() + "/.cache/leafx/models"
  }

  /// The cached CTranslate2 directory of `name` (`tiny.en`, `base`).
  /// - Throws: `FixtureError` telling to run `make models` when it is absent.
  static func modelDirectory(_ name: String) throws -> String {
    let path = modelsDirectory + "/" + name
    guard FileManager.default.fileExists(atPath: path + "/model.bin") else {
      throw FixtureError(
        description: "Whisper \(name) weights not found at \(path): run `make models` (or set LEAFX_MODELS)")
    }
    return path
  }

  /// The repository root (three levels above this file).
  static let sourceRoot: String = {
    if let root = ProcessInfo.processInfo.environment["LEAFX_SOURCE_DIR"], !root.isEmpty { return root }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
  }()

  /// `$LEAFX_PYTHON`, else the cached test venv's python, else `python3`.
  static var python: String {
    let environment = ProcessInfo.processInfo.environment
    if let python = environment["LEAFX_PYTHON"], !python.isEmpty { return python }
    let cache = environment["LEAFX_CACHE"].map { $0 } ?? NSHomeDirectory() + "/.cache/leafx"
    for candidate in [cache + "/venv-test/bin/python", cache + "/venv/bin/python"]
    where FileManager.default.isExecutableFile(atPath: candidate) {
      return candidate
    }
    return "python3"
  }

  /// The repository's dev set: 33 utterances with word timings (Tests/data/dev/README.md).
  static var devManifest: String { sourceRoot + "/Tests/data/dev/manifest.jsonl" }

  /// The whisper.cpp converter, `Tests/reference/ct2_to_ggml.py`.
  static func ggmlConverter() throws -> String {
    let path = sourceRoot + "/Tests/reference/ct2_to_ggml.py"
    guard FileManager.default.fileExists(atPath: path) else {
      throw FixtureError(description: "\(path) not found: is LEAFX_SOURCE_DIR the repository?")
    }
    return path
  }

  /// A fresh per-process temporary directory, removed when the process exits.
  static let temporaryRoot: String = {
    let path = NSTemporaryDirectory() + "leafx-formats-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: FormatsFixtures.temporaryRoot) }
    return path
  }()

  /// A new empty directory under `temporaryRoot`.
  static func makeDirectory(_ name: String) throws -> String {
    let path = temporaryRoot + "/" + name + "-" + String(UInt32.random(in: 0...UInt32.max))
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// Runs `python script arguments...`.
  /// - Throws: `FixtureError` with the output when it fails.
  static func runPython(_ script: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python, script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw FixtureError(
        description: "\(python) \(script) \(arguments) failed (\(process.terminationStatus)): "
          + String(decoding: output, as: UTF8.self))
    }
  }

  /// tiny.en converted with `ct2_to_ggml.py` (`--f32` when `f32`), once per process.
  static func tinyGGML(f32: Bool) throws -> String { try (f32 ? tinyGGMLF32 : tinyGGMLF16).get() }
  /// tiny.en converted with `ct2_to_safetensors.py` (`--f16` when `f16`), once per process.
  static func tinySafetensors(f16: Bool) throws -> String { try (f16 ? tinyHFF16 : tinyHFF32).get() }

  /// Converts tiny.en to ggml.
  private static func convertGGML(f32: Bool) -> Result<String, FixtureError> {
    Result {
      let source = try modelDirectory("tiny.en")
      let out = try makeDirectory("ggml") + (f32 ? "/tiny.en-f32.bin" : "/tiny.en-f16.bin")
      try runPython(try ggmlConverter(), [source, out] + (f32 ? ["--f32"] : []))
      return out
    }.mapError { $0 as? FixtureError ?? FixtureError(description: "\($0)") }
  }

  /// Converts tiny.en to a Hugging Face directory.
  private static func convertHF(f16: Bool) -> Result<String, FixtureError> {
    Result {
      let source = try modelDirectory("tiny.en")
      let out = try makeDirectory(f16 ? "hf-f16" : "hf-f32")
      try runPython(sourceRoot + "/Tests/reference/ct2_to_safetensors.py", [source, out] + (f16 ? ["--f16"] : []))
      return out
    }.mapError { $0 as? FixtureError ?? FixtureError(description: "\($0)") }
  }

  /// Lazily converted fixtures (static lets run once, thread-safely).
  private static let tinyGGMLF16 = convertGGML(f32: false)
  /// See `tinyGGMLF16`.
  private static let tinyGGMLF32 = convertGGML(f32: true)
  /// See `tinyGGMLF16`.
  private static let tinyHFF16 = convertHF(f16: true)
  /// See `tinyGGMLF16`.
  private static let tinyHFF32 = convertHF(f16: false)

  /// tiny.en from its CTranslate2 directory, once per process.
  static func tinyCT2() throws -> WhisperCheckpoint { try tinyCT2Checkpoint.get() }
  /// See `tinyCT2()`.
  private static let tinyCT2Checkpoint: Result<WhisperCheckpoint, any Error> = Result {
    try ModelLoader.load(path: try modelDirectory("tiny.en"))
  }

  /// Expects two checkpoints to hold the same tensor names, shapes and bit-identical values,
  /// reporting the worst tensor otherwise.
  static func expectIdenticalTensors(_ a: WhisperCheckpoint, _ b: WhisperCheckpoint, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.dimensions == b.dimensions, sourceLocation: sourceLocation)
    #expect(Set(a.tensors.keys) == Set(b.tensors.keys), sourceLocation: sourceLocation)
    var mismatches: [String] = []
    for (name, x) in a.tensors.sorted(by: { $0.key < $1.key }) {
      guard let y = b.tensors[name] else { continue }
      guard x.shape == y.shape else {
        mismatches.append("\(name): shape \(x.shape) vs \(y.shape)")
        continue
      }
      // Bitwise comparison through memcmp: fast in debug builds, and stricter than `==`.
      let same = x.values.withUnsafeBytes { a in
        y.values.withUnsafeBytes { b in a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0) }
      }
      if !same {
        var worst: Float = 0
        for i in 0..<x.count { worst = max(worst, abs(x.values[i] - y.values[i])) }
        mismatches.append("\(name): max abs error \(worst)")
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.count) tensors differ: \(mismatches.prefix(5))", sourceLocation: sourceLocation)
  }

  /// Expects `body` to throw a `LeafXError` and nothing else (a crash would end the process).
  /// - Returns: the error, or nil if none was thrown.
  @discardableResult
  static func expectLeafXError(
    _ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
  ) -> LeafXError? {
    do {
      try body()
      Issue.record("\(what): loaded without error", sourceLocation: sourceLocation)
    } catch let error as LeafXError {
      return error
    } catch {
      Issue.record("\(what): threw \(error), not a LeafXError", sourceLocation: sourceLocation)
    }
    return nil
  }

  /// Writes `bytes` to `path` with stdio (no fsync: these files are scratch).
  static func write(_ bytes: [UInt8], to path: String) throws {
    guard let file = fopen(path, "wb") else { throw FixtureError(description: "cannot create \(path)") }
    defer { fclose(file) }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    guard written == bytes.count else { throw FixtureError(description: "short write to \(path)") }
  }

  /// Reads the file at `path`.
  static func read(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
  }

  /// About `count` cut points spread over `[0, size)`, denser in the first 256 bytes where
  /// headers live.
  static func cutPoints(size: Int, count: Int = 20) -> [Int] {
    var points = Set([0, 1, 3, 4, 7, 8, 11, 12, 47, 48, 100, 255].filter { $0 < size })
    let spread = max(count - points.count, 4)
    for k in 1...spread { points.insert(size * k / (spread + 1)) }
    points.insert(size - 1)
    return points.filter { $0 >= 0 && $0 < size }.sorted()
  }
}

/// Little-endian byte writer for synthetic model files.
struct ByteWriter {
  /// The bytes written so far.
  var bytes: [UInt8] = []

  /// Appends one byte.
  mutating func u8(_ v: UInt8) { bytes.append(v) }
  /// Appends a little-endian u16.
  mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
  /// Appends a little-endian u32.
  mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
  /// Appends a little-endian i32.
  mutating func i32(_ v: Int32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
  /// Appends a little-endian u64.
  mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
  /// Appends a binary32.
  mutating func f32(_ v: Float) { u32(v.bitPattern) }
  /// Appends a binary16 (rounded).
  mutating func f16(_ v: Float) { u16(Float16(v).bitPattern) }
  /// Appends a bfloat16 (truncated; synthetic values are exact).
  mutating func bf16(_ v: Float) { u16(UInt16(v.bitPattern >> 16)) }
  /// Appends raw bytes.
  mutating func raw(_ v: [UInt8]) { bytes += v }
  /// Appends a CTranslate2 string (u16 length with NUL, bytes, NUL).
  mutating func ct2String(_ s: String) {
    u16(UInt16(s.utf8.count + 1))
    bytes += Array(s.utf8)
    u8(0)
  }
}
