#if canImport(Glibc)
  import Glibc
#endif

/// Cost of scoring masked inputs (the perturbation baselines, docs/methods.md, "Baselines";
/// docs/design.md, "Performance"), batched against mask by mask, in one process: `leafx
/// bench-masking`. Prints nothing and asserts nothing itself; the command formats the rows.
public enum MaskedScoringBenchmark {
  public struct Row: Sendable {
    /// Masked windows encoded together.
    public var batchSize: Int
    /// Best over the repeats of (wall time for all masks) / masks, seconds.
    public var secondsPerMask: Double
    /// The same in CPU time of the whole process (all threads), seconds: steadier than wall
    /// time on a machine shared with other jobs.
    public var cpuSecondsPerMask: Double
  }

  /// Times `EngineMaskedScorer.logProbs` on `masks` random masks of the first window of
  /// `pcm`, for each batch size, interleaved across `repeats` rounds (so drift in machine
  /// load hits every size alike); also the decoder alone (one teacher-forced pass), as
  /// `batchSize` 0.
  public static func run(model: WhisperModel, pcm: [Float], masks: Int, batchSizes: [Int], repeats: Int) throws -> [Row] {
    let scorer = try EngineMaskedScorer.firstWindow(model: model, pcm: pcm).scorer
    var generator = SeededGenerator(seed: 1)
    let keep = (0..<masks).map { _ in (0..<scorer.frames).map { _ in generator.next() & 1 == 1 } }
    let audio = model.decoder.audioContext(model.encoder.encode(scorer.melWindow))
    var best = [Double](repeating: .infinity, count: batchSizes.count + 1)
    var bestCPU = best
    let clock = ContinuousClock()
    func time(_ slot: Int, per count: Int, _ body: () throws -> Void) rethrows {
      let cpu = cpuSeconds()
      let elapsed = try clock.measure(body)
      best[slot] = min(best[slot], seconds(elapsed) / Double(count))
      bestCPU[slot] = min(bestCPU[slot], (cpuSeconds() - cpu) / Double(count))
    }
    for _ in 0..<max(1, repeats) {
      for (i, size) in batchSizes.enumerated() {
        scorer.batchSize = size
        try time(i, per: max(1, masks)) { _ = try scorer.logProbs(keeping: keep) }
      }
      time(batchSizes.count, per: 1) { _ = scorer.scores(audio) }
    }
    return (0..<best.count).map { i in
      Row(batchSize: i < batchSizes.count ? batchSizes[i] : 0, secondsPerMask: best[i], cpuSecondsPerMask: bestCPU[i])
    }
  }

  /// CPU time of the process so far (every thread), seconds.
  static func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  }

  static func seconds(_ d: Duration) -> Double {
    let (s, attoseconds) = d.components
    return Double(s) + Double(attoseconds) * 1e-18
  }
}

extension EngineMaskedScorer {
  /// The scorer of the first window of `pcm` decoded greedily without timestamps (as
  /// `Explainer.defaultDecoding`), with that window (its encoder output kept); for tests and
  /// the benchmark.
  static func firstWindow(model: WhisperModel, pcm: [Float]) throws -> (scorer: EngineMaskedScorer, window: DecodedWindow) {
    var transcriber = Transcriber(model: model, options: Explainer.defaultDecoding)
    transcriber.retainAudioContext = true
    let transcript = try transcriber.transcribe(pcm)
    guard let window = transcript.windows.first else {
      throw LeafXError.invalidArgument(argument: "audio", reason: "nothing was decoded")
    }
    let (mel, silence) = try LazyFeatures(model: model, pcm: pcm).melWindow(window, width: model.encoder.inputFrames)
    let input = window.prompt + window.tokens
    let positions = window.tokens.indices.filter { !model.tokenizer.isSpecial(window.tokens[$0]) }.map { window.prompt.count + $0 }
    let scorer = EngineMaskedScorer(
      model: model, input: input, rows: positions.map { $0 - 1 }, targets: positions.map { input[$0] },
      melWindow: mel, frames: Explainer.audioFrames(window, sampleCount: pcm.count), silence: silence)
    return (scorer, window)
  }
}
