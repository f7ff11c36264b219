import ArgumentParser
import LeafXCore

/// `leafx bench`: compare explanation methods on a manifest with word timings.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Compare explanation methods on utterances with aligned word timings.",
    discussion: """
      MANIFEST is JSON Lines as ../shared/data/dev/manifest.jsonl (id, audio, text, words with
      start/end). Each utterance is decoded greedily without timestamps, explained with every
      method, and each decoded word that matches a reference word is scored against its
      aligned span (DESIGN §8): TLoc, pointing game, mass in span (span widened by 50 ms) and
      whether the half-mass span's midpoint lies in the word.

      Examples:
        leafx bench ../shared/data/dev/manifest.jsonl --methods raa,leafx-paper,random
        leafx bench manifest.jsonl -m base --limit 10 --format json -o bench.json
      """)

  @Argument(help: "Manifest (JSON Lines).")
  var manifest: String

  @OptionGroup var model: ModelOptions

  @Option(help: "Comma-separated methods.")
  var methods: String = "raa,raa-mean,rollout,leafx-paper,random"

  @Option(help: "Use only the first N utterances.")
  var limit: Int?

  @Option(help: "Seed of the random method and of lime's and kernelshap's masks.")
  var seed: UInt64 = 0

  @OptionGroup var perturbation: PerturbationOptions

  @Option(help: "Entropy temperature τ.")
  var tau: Float = 1

  @Option(help: "Rollout depth: default (each method's own), full, last-half, last-third, middle-half or 1.")
  var depth: String = RolloutDepth.methodDefault.rawValue

  @Option(help: "Quadrature nodes of the ig method (Gauss–Legendre, 1...1024).")
  var steps: Int = 32

  @Option(help: "Output format: md or json.")
  var format: BenchFormat = .md

  @Option(name: .shortAndLong, help: "Output file ('-' or omitted: standard output).")
  var output: String = "-"

  @Flag(help: "No progress on stderr.")
  var quiet = false

  func run() throws {
    let parsedMethods = try methods.split(separator: ",").map { try AttributionMethod.named(String($0).stripped) }
    guard !parsedMethods.isEmpty else {
      throw LeafXError.invalidArgument(argument: "--methods", reason: "no method given")
    }
    guard let parsedDepth = RolloutDepth(rawValue: depth) else {
      throw LeafXError.invalidArgument(argument: "--depth", reason: "\"\(depth)\"")
    }
    if let limit, limit < 1 { throw LeafXError.invalidArgument(argument: "--limit", reason: "\(limit) must be ≥ 1") }
    var options = ExplainOptions(tau: tau, depth: parsedDepth, seed: seed, steps: steps)
    perturbation.apply(to: &options)
    try perturbation.validate(options)
    let whisper = try model.load()
    var utterances = try Manifest(path: manifest).utterances
    if let limit { utterances = Array(utterances.prefix(limit)) }
    let bench = LocalizationBench(
      model: whisper, methods: parsedMethods, options: options,
      decoding: Explainer.defaultDecoding)
    let rows = try bench.run(utterances) { n, id in
      if !quiet { printError("[\(n + 1)/\(utterances.count)] \(id)") }
    }
    var text = ""
    switch format {
    case .md:
      text = "| method | words | word TLoc | pointing | mass in span | midpoint in word | s/utt |\n|---|---|---|---|---|---|---|\n"
      for r in rows {
        text += "| \(r.method.rawValue) | \(r.words) | \(f3(r.tloc)) | \(f3(r.pointing)) | \(f3(r.massInSpan)) | \(f3(r.midpointInSpan)) | \(f3(r.secondsPerUtterance)) |\n"
      }
    case .json:
      text = "[" + rows.map {
        "{\"method\": \"\($0.method.rawValue)\", \"words\": \($0.words), \"tloc\": \($0.tloc), \"pointing\": \($0.pointing), "
          + "\"mass_in_span\": \($0.massInSpan), \"midpoint_in_span\": \($0.midpointInSpan), \"seconds_per_utterance\": \($0.secondsPerUtterance)}"
      }.joined(separator: ", ") + "]\n"
    }
    try OutputFile.write(Array(text.utf8), to: output)
  }

  func f3(_ x: Double) -> String {
    let v = Int((x * 1000).rounded())
    let frac = String(abs(v) % 1000)
    return "\(v / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
  }
}

enum BenchFormat: String, ExpressibleByArgument, CaseIterable {
  case md, json
}
