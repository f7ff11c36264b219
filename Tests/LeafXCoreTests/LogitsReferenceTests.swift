import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@testable import LeafXCore

/// leafx's decoder against the first-window logits faster-whisper saved
/// (`Tests/reference/faster_whisper_reference.py`, `make references`).
///
/// For the first three dev utterances the reference stores `<id>.logits.npy`, `[steps, vocab]`
/// float32, one row per greedy step of the first 30 s window at temperature 0 (prompt: SOT
/// sequence + `<|notimestamps|>`), and `<id>.logits.json` with the prompt and the generated ids;
/// the last row is the step that wrote EOT. CTranslate2's `return_logits_vocab` stores the
/// *raw* logits after its logit processors: the tokens `suppress_tokens=[-1]` and (at the first
/// step) `suppress_blank` forbid hold `-FLT_MAX`, every other entry is the decoder's logit, not a
/// log-probability. So each row is compared as log-probabilities renormalised over the allowed
/// tokens: leafx's teacher-forced logits of the same prompt + ids, filtered by its
/// `LogitFilters` (the masks must agree), minus their log-sum-exp, against the reference row
/// minus its own over the same tokens.
@Suite(.serialized) struct LogitsReferenceTests {
  /// Largest |Δ log p| allowed at any allowed token of any step (observed: at most 5e-5 on
  /// tiny.en and base).
  static let tolerance: Float = 2e-4
  /// Utterances with saved logits: the first K of the dev manifest.
  static let utterances = 3

  /// `$LEAFX_REFERENCE_DIR` or `$LEAFX_CACHE/reference` or `~/.cache/leafx/reference`.
  static var referenceDirectory: String {
    let environment = ProcessInfo.processInfo.environment
    if let directory = environment["LEAFX_REFERENCE_DIR"], !directory.isEmpty { return directory }
    if let cache = environment["LEAFX_CACHE"], !cache.isEmpty { return cache + "/reference" }
    return NSHomeDirectory() + "/.cache/leafx/reference"
  }

  /// The prompt and generated ids of `<id>.logits.json`.
  struct Sequence: Decodable {
    var prompt: [Int]
    var ids: [Int]
  }

  /// One manifest line (only the fields used here).
  struct ManifestItem: Decodable {
    var id: String
    var audio: String
  }

  /// The first `count` utterances of the dev manifest.
  static func manifest(_ count: Int) throws -> [ManifestItem] {
    let path = FormatsFixtures.devManifest
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw FixtureError(description: "dev manifest not found at \(path)")
    }
    let lines = text.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }.prefix(count)
    return try lines.map { try JSONDecoder().decode(ManifestItem.self, from: Data($0.utf8)) }
  }

  @Test(arguments: ["tiny.en", "base"])
  func firstWindowLogProbsMatchFasterWhisper(_ name: String) throws {
    let model = try WhisperModel.load(path: try FormatsFixtures.modelDirectory(name))
    let tokenizer = model.tokenizer
    let vocab = model.dimensions.nVocab
    let directory = Self.referenceDirectory + "/" + name
    var options = DecodingOptions()
    options.withoutTimestamps = true
    options.suppressBlank = true
    options.suppressTokens = [-1]
    let filters = LogitFilters(
      tokenizer: tokenizer, options: options, configSuppressTokens: model.generation.suppressTokens)
    let expectedPrompt =
      try tokenizer.sotSequence(language: tokenizer.isMultilingual ? "en" : nil, task: .transcribe)
      + [tokenizer.noTimestamps]

    let items = try Self.manifest(Self.utterances)
    try #require(items.count == Self.utterances, "dev manifest has fewer than \(Self.utterances) utterances")
    for item in items {
      let stem = directory + "/" + item.id
      guard FileManager.default.fileExists(atPath: stem + ".logits.npy"),
        FileManager.default.fileExists(atPath: stem + ".logits.json")
      else {
        throw FixtureError(
          description: "\(stem).logits.npy/.json not found: run `make references` (or set LEAFX_REFERENCE_DIR)")
      }
      let sequence = try JSONDecoder().decode(
        Sequence.self, from: Data(contentsOf: URL(fileURLWithPath: stem + ".logits.json")))
      let reference = try NPYFloat32.read(stem + ".logits.npy")
      let steps = sequence.ids.count + 1
      try #require(
        reference.shape == [steps, vocab],
        "\(name) \(item.id): reference shape \(reference.shape), expected [\(steps), \(vocab)]")
      // The dev set is English: the reference prompt is leafx's start sequence for "en".
      #expect(sequence.prompt == expectedPrompt, "\(name) \(item.id): reference prompt \(sequence.prompt)")

      // The reference's window: pad_or_trim(features[:, :3000]) of the whole recording's log-mel,
      // so every frame, including the last one that the transcriber's first window leaves out
      // (content frames = frames - 1); without it log-probabilities move by up to 0.6.
      let pcm = try AudioDecoder.load(
        path: URL(fileURLWithPath: FormatsFixtures.devManifest).deletingLastPathComponent().path + "/" + item.audio
      ).samples
      let mel = try model.features(pcm)
      let encoded = model.encoder.encode(model.window(of: mel, start: 0, end: mel.nFrames))
      let audio = model.decoder.audioContext(encoded)
      var cache = WhisperDecoder.Cache(layers: model.dimensions.nTextLayer)
      // Rows: the last prompt position, then one per generated id (the last predicts EOT).
      let logits = model.decoder.forward(
        sequence.prompt + sequence.ids, cache: &cache, audio: audio, logitRows: steps)

      var worstLogProb: Float = 0
      var worstLogit: Float = 0
      var worstStep = 0
      var maskMismatches: [String] = []
      var argmaxMismatches: [String] = []
      for step in 0..<steps {
        let expected = step < sequence.ids.count ? sequence.ids[step] : tokenizer.eot
        var row = Array(logits[(step * vocab)..<((step + 1) * vocab)])
        let normaliser = row.withUnsafeMutableBufferPointer {
          filters.apply($0, sampled: Array(sequence.ids.prefix(step)))
        }
        let ref = reference.values
        let base = step * vocab
        // CTranslate2 masks with the lowest finite float.
        var refMax = -Double.infinity
        for v in 0..<vocab where ref[base + v] > -1e30 { refMax = max(refMax, Double(ref[base + v])) }
        var refSum = 0.0
        for v in 0..<vocab where ref[base + v] > -1e30 { refSum += exp(Double(ref[base + v]) - refMax) }
        let refNormaliser = refMax + log(refSum)

        var leafxBest = 0
        var refBest = 0
        var masked = 0
        for v in 0..<vocab {
          let leafxAllowed = row[v] > -.infinity
          let refAllowed = ref[base + v] > -1e30
          if leafxAllowed != refAllowed { masked += 1 }
          if row[v] > row[leafxBest] { leafxBest = v }
          if ref[base + v] > ref[base + refBest] { refBest = v }
          guard leafxAllowed && refAllowed else { continue }
          let delta = abs((row[v] - normaliser) - Float(Double(ref[base + v]) - refNormaliser))
          if delta > worstLogProb { (worstLogProb, worstStep) = (delta, step) }
          worstLogit = max(worstLogit, abs(row[v] - ref[base + v]))
        }
        if masked > 0 { maskMismatches.append("step \(step): \(masked) tokens") }
        if leafxBest != expected || refBest != expected {
          argmaxMismatches.append("step \(step): leafx \(leafxBest), reference \(refBest), generated \(expected)")
        }
      }
      print(
        "LogitsReferenceTests \(name) \(item.id): \(steps) steps, max |Δ log p| \(worstLogProb) (step \(worstStep)), max |Δ logit| \(worstLogit)"
      )
      #expect(maskMismatches.isEmpty, "\(name) \(item.id): suppression masks differ: \(maskMismatches.prefix(5))")
      #expect(argmaxMismatches.isEmpty, "\(name) \(item.id): argmax differs: \(argmaxMismatches.prefix(5))")
      #expect(
        worstLogProb <= Self.tolerance,
        "\(name) \(item.id): max |Δ log p| \(worstLogProb) at step \(worstStep) exceeds \(Self.tolerance)")
    }
  }
}

/// A minimal `.npy` reader for the reference logits: version 1–3, little-endian float32
/// (`'<f4'`), C order.
enum NPYFloat32 {
  static func read(_ path: String) throws -> (shape: [Int], values: [Float]) {
    let bytes = try FormatsFixtures.read(path)
    func fail(_ reason: String) -> FixtureError { FixtureError(description: "\(path): \(reason)") }
    guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
      throw fail("not a .npy file")
    }
    let major = bytes[6]
    let headerLength: Int
    let headerStart: Int
    switch major {
    case 1:
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      headerStart = 10
    case 2, 3:
      guard bytes.count >= 12 else { throw fail("truncated header") }
      headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
      headerStart = 12
    default:
      throw fail("unsupported .npy version \(major)")
    }
    guard headerStart + headerLength <= bytes.count else { throw fail("truncated header") }
    let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
    guard header.contains("'descr': '<f4'") else { throw fail("dtype is not '<f4': \(header)") }
    guard header.contains("'fortran_order': False") else { throw fail("not C order: \(header)") }
    guard let open = header.range(of: "'shape': ("),
      let close = header.range(of: ")", range: open.upperBound..<header.endIndex)
    else { throw fail("no shape: \(header)") }
    // "(41, 51864)", "(5,)" or "()".
    let shape = try header[open.upperBound..<close.lowerBound].split(separator: ",")
      .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map {
        guard let n = Int($0), n >= 0 else { throw fail("bad shape: \(header)") }
        return n
      }
    let count = shape.reduce(1, *)
    let dataStart = headerStart + headerLength
    guard bytes.count - dataStart == count * 4 else {
      throw fail("\(bytes.count - dataStart) data bytes for shape \(shape)")
    }
    let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      for i in 0..<count {
        let o = dataStart + 4 * i
        let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
        buffer[i] = Float(bitPattern: bits)
      }
      initialized = count
    }
    return (shape, values)
  }
}
