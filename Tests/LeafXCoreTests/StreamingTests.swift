import Testing

@testable import LeafXCore

#if canImport(Glibc)
  import Glibc
#endif

/// Long audio streams window by window (docs/design.md, "Reliability"): the per-window log-mel
/// equals the whole-recording log-mel bit for bit, a streamed explanation equals one replayed from
/// a finished transcript, and progress/cancellation behave as the C ABI documents.
@Suite(.serialized) struct StreamingTests {
  /// A 70 s signal whose loudest stretch is late (so the global floor matters for the first
  /// window), with digital silence at both ends (reflect padding at the edges).
  static func syntheticRecording(seconds: Int = 70) -> [Float] {
    var generator = SeededGenerator(seed: 7)
    return (0..<(seconds * 16000 + 123)).map { i in
      let t = Double(i) / 16000
      if t < 0.5 { return 0 }
      let loudness = t > 50 && t < 52 ? 0.9 : 0.05
      let noise = generator.nextUnit() - 0.5
      return Float(loudness * sin(2 * Double.pi * (200 + 30 * t) * t) + 0.01 * noise)
    }
  }

  @Test func windowFeaturesEqualTheWholeRecordingSlice() throws {
    let pcm = Self.syntheticRecording()
    let whole = try pcm.withUnsafeBufferPointer { try LogMel.compute($0) }
    let streamed = try StreamedLogMel(pcm)
    #expect(streamed.nFrames == whole.nFrames)
    #expect(streamed.maximum == whole.values.max())
    // Ranges at both edges, across sgemm chunk boundaries, one frame, and past the end.
    let n = whole.nFrames
    let ranges = [0..<3000, 1..<2, 2000..<5000, 2047..<2049, 4000..<7000, (n - 3000)..<n, (n - 5)..<(n + 100), 0..<n]
    for range in ranges {
      let part = streamed.frames(range)
      let clamped = range.clamped(to: 0..<n)
      var mismatches = 0
      for m in 0..<whole.nMels {
        for (k, f) in clamped.enumerated() where part.values[m * part.nFrames + k] != whole.values[m * n + f] {
          mismatches += 1
        }
      }
      #expect(part.nFrames == clamped.count)
      #expect(mismatches == 0, "frames \(range): \(mismatches) values differ from the whole-recording mel")
    }
  }

  @Test func encoderInputWindowsEqualTheWholeRecordingWindows() throws {
    let pcm = Self.syntheticRecording(seconds: 40)
    let whole = try pcm.withUnsafeBufferPointer { try LogMel.compute($0) }
    let streamed = try StreamedLogMel(pcm)
    let model = try StreamingTests.model()
    for (start, end) in [(0, 3000), (2713, whole.nFrames - 1), (3999, 4100)] {
      #expect(
        streamed.window(start: start, end: end, width: 3000) == model.window(of: whole, start: start, end: end),
        "window \(start)..<\(end)")
    }
  }

  static func model() throws -> WhisperModel {
    try TinyEnJFKFixture.loaded.get().0
  }

  /// JFK three times over (33 s): two windows, decoded with timestamps.
  static func longJFK() throws -> [Float] {
    let jfk = try TinyEnJFKFixture.loaded.get().1
    return jfk + [Float](repeating: 0, count: 8000) + jfk + jfk
  }

  @Test func streamedExplanationEqualsReplayedTranscript() throws {
    let model = try Self.model()
    let pcm = try Self.longJFK()
    let methods: [AttributionMethod] = [.leafx, .leafxCausal, .raa]
    let explainer = Explainer(model: model, options: ExplainOptions(), decoding: Explainer.defaultDecoding)
    let streamed = try explainer.explain(pcm, text: nil, methods: methods)

    var decoding = Explainer.defaultDecoding
    decoding.withoutTimestamps = false
    let transcript = try Transcriber(model: model, options: decoding).transcribe(pcm)
    #expect(transcript.windows.count >= 2)
    #expect(transcript.windows.allSatisfy { $0.audio == nil })
    let replayed = try explainer.explain(pcm, transcript: transcript, forced: false, methods: methods)
    for (s, r) in zip(streamed, replayed) {
      #expect(s.transcript.text == r.transcript.text)
      #expect(s.tokens.map(\.id) == r.tokens.map(\.id))
      #expect(s.tokens.map(\.window) == r.tokens.map(\.window))
      #expect(s.tokens.map(\.attribution.values) == r.tokens.map(\.attribution.values), "\(s.options.method.rawValue)")
      #expect(s.words.map(\.word) == r.words.map(\.word))
    }
  }

  @Test func progressIsMonotoneWithStagesAndEndsAtOne() throws {
    let model = try Self.model()
    let pcm = try Self.longJFK()
    var reports: [(Double, ProgressMonitor.Stage)] = []
    var explainer = Explainer(model: model, options: ExplainOptions(), decoding: Explainer.defaultDecoding)
    explainer.monitor = ProgressMonitor(report: { reports.append(($0, $1)) })
    _ = try explainer.explain(pcm)
    let fractions = reports.map(\.0)
    #expect(zip(fractions, fractions.dropFirst()).allSatisfy { $0 <= $1 })
    #expect(fractions.allSatisfy { (0...1).contains($0) })
    #expect(fractions.last == 1)
    #expect(Set(reports.map(\.1)) == [.features, .transcribe, .explain])
    // More than one report per stage: windows are reported as they finish.
    #expect(reports.filter { $0.1 == .explain }.count >= 2)
  }

  /// Cancelling after n polls stops with `cancelled`, at every depth of the pipeline (front
  /// end, decoding, backward passes): the first polls happen in the front end, later ones in
  /// decoding and explanation.
  @Test(arguments: [1, 5, 40, 400])
  func cancellationStopsWithCancelled(afterPolls limit: Int) throws {
    let model = try Self.model()
    let pcm = try Self.longJFK()
    var polls = 0
    var explainer = Explainer(
      model: model, options: ExplainOptions(method: .leafxCausal), decoding: Explainer.defaultDecoding)
    explainer.monitor = ProgressMonitor(shouldStop: {
      polls += 1
      return polls >= limit
    })
    #expect(throws: LeafXError.cancelled) { try explainer.explain(pcm) }
    // Polling stops once cancellation is seen.
    #expect(polls == limit)
  }

  @Test func transcriptionCancelsWithinADecodedToken() throws {
    let model = try Self.model()
    let pcm = try Self.longJFK()
    var polls = 0
    var transcriber = Transcriber(model: model, options: DecodingOptions())
    transcriber.monitor = ProgressMonitor(shouldStop: {
      polls += 1
      return polls >= 30
    })
    #expect(throws: LeafXError.cancelled) { try transcriber.transcribe(pcm) }
  }
}
