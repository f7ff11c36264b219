import ArgumentParser
import LeafXCore

/// `leafx bench-masking`: what batching buys the perturbation methods.
struct BenchMaskingCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench-masking",
    abstract: "Time masked-input scoring (specmask, lime, kernelshap) batched against one mask at a time.",
    discussion: """
      Decodes the first 30 s window of AUDIO, then scores --masks random frame masks with \
      each batch size (masked windows encoded together), interleaved over --repeat rounds; \
      prints the best wall and CPU seconds per mask and their ratios to the first batch size, \
      and the decoder's share (one teacher-forced pass). Asserts nothing.

      Examples:
        leafx bench-masking data/jfk.wav --masks 16 --batch 1,2,4,8
      """)

  @Argument(help: "Audio file.")
  var audio: String

  @OptionGroup var model: ModelOptions

  @Option(help: "Masks per measurement.")
  var masks: Int = 16

  @Option(help: "Comma-separated batch sizes (the first is the baseline of the ratios).")
  var batch: String = "1,8"

  @Option(help: "Rounds; the best of them is kept.")
  var `repeat`: Int = 2

  func run() throws {
    let sizes = try batch.split(separator: ",").map { part -> Int in
      guard let n = Int(String(part).stripped), (1...64).contains(n) else {
        throw LeafXError.invalidArgument(argument: "--batch", reason: "\"\(part)\" is not a batch size in 1...64")
      }
      return n
    }
    guard !sizes.isEmpty else { throw LeafXError.invalidArgument(argument: "--batch", reason: "no batch size") }
    guard (1...10_000).contains(masks) else { throw LeafXError.invalidArgument(argument: "--masks", reason: "\(masks) must be in 1...10000") }
    guard (1...100).contains(`repeat`) else { throw LeafXError.invalidArgument(argument: "--repeat", reason: "\(`repeat`) must be in 1...100") }
    let whisper = try model.load()
    let decoded = try AudioDecoder.load(path: audio)
    let rows = try MaskedScoringBenchmark.run(model: whisper, pcm: decoded.samples, masks: masks, batchSizes: sizes, repeats: `repeat`)
    let baseline = rows[0]
    print("| batch | wall s/mask | ratio | CPU s/mask | ratio |\n|---|---|---|---|---|")
    for row in rows where row.batchSize > 0 {
      print(
        "| \(row.batchSize) | \(fixed(row.secondsPerMask)) | \(fixed(row.secondsPerMask / baseline.secondsPerMask)) "
          + "| \(fixed(row.cpuSecondsPerMask)) | \(fixed(row.cpuSecondsPerMask / baseline.cpuSecondsPerMask)) |")
    }
    if let decoder = rows.last, decoder.batchSize == 0 {
      print(
        "decoder pass alone: \(fixed(decoder.secondsPerMask)) s wall, \(fixed(decoder.cpuSecondsPerMask)) s CPU "
          + "(\(fixed(decoder.cpuSecondsPerMask / baseline.cpuSecondsPerMask)) of a mask's CPU at batch \(sizes[0]))")
    }
  }

  private func fixed(_ x: Double) -> String {
    let v = Int((x * 1000).rounded())
    let frac = String(v % 1000)
    return "\(v / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
  }
}
