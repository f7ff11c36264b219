import ArgumentParser
import LeafXCore

/// `leafx bench`: the LEAF-XBench table of explanation methods on a manifest.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Compare explanation methods on utterances with aligned word timings (LEAF-XBench).",
    discussion: """
      MANIFEST is JSON Lines, one utterance per line with four required fields: \
      "id", "audio" (the file, relative to the manifest's folder), "text" (the \
      reference transcript) and "words" (each with "word", "start" and "end" in \
      seconds); other fields are ignored. Two utterances:

      {"id":"1","audio":"1.wav","text":"I","words":[{"word":"I","start":0,"end":1}]}
      {"id":"2","audio":"2.wav","text":"A","words":[{"word":"A","start":1,"end":2}]}

      The repository's dev set is Tests/data/dev/manifest.jsonl (33 utterances; \
      docs/cli.md describes the format). Each utterance is decoded greedily once \
      and explained with every method; the metrics (docs/metrics.md) are \
      averaged per utterance, then over utterances:

        deletion      D-AOPC (lower is better), AOPC: top 10..50 % removed
        insertion     insertion AUC: from silence, top 10..50 % put back
        localization  TLoc, pointing game, mass in the word span (±50 ms),
                      half-mass midpoint in the word
        spr           mass in the top 5 % of frames
        stab          cosine under 30 dB noise and under a 40 ms shift
        inf           infidelity, 10 random 100 ms-group masks, optimal
                      scaling (lower is better)
        saco          salience-guided faithfulness coefficient, 10 groups

      Deletion, insertion and SaCo cost 20 encoder passes per token and \
      method, so they run on --tokens N tokens per utterance, sampled with \
      --seed (0 = every token); the other metrics use every token. The table \
      gives each mean with its 95 % interval over utterances and each \
      method's attribution time (decoding excluded); below it, the min-max \
      normalisation across the methods (1 = best). Per-utterance results are \
      appended to --results (default: next to -o, extension .results.jsonl) \
      as each utterance finishes; the same command again resumes, and added \
      methods are the only ones computed. The results name the model by the file \
      name of -m (tiny.en); --full-paths stores its absolute path instead.

      Examples:
        leafx bench manifest.jsonl --methods raa,grad-rollout,random --limit 5
        leafx bench manifest.jsonl -m base --metrics localization --format csv
        leafx bench manifest.jsonl --jobs 2 --threads 1 -o bench.md
      """)

  @Argument(help: "Manifest (JSON Lines).")
  var manifest: String

  @OptionGroup var model: ModelOptions

  @Option(help: "Comma-separated methods (`leafx explain --help` lists them, and the ablations of leafx-causal apart).")
  var methods: String = "raa,grad-rollout,leafx-paper,leafx,leafx-grad,leafx-causal,random"

  @Option(help: "Comma-separated metrics or groups (deletion, insertion, localization, spr, stab, inf, saco, all).")
  var metrics: String = "all"

  @Option(help: "Use only the first N utterances.")
  var limit: Int?

  @Option(help: "Seed of the token sample, INF masks, STAB noise and the random method.")
  var seed: UInt64 = 0

  @Option(help: "Tokens per utterance for deletion, insertion and SaCo (0 = all).")
  var tokens: Int = LeafXBench.defaultTokensPerUtterance

  @Option(help: "Entropy temperature τ.")
  var tau: Float = ExplainOptions().tau

  @Option(help: "Rollout depth: default (each method's own), full, last-half, last-third, middle-half or 1.")
  var depth: String = RolloutDepth.methodDefault.rawValue

  @Option(help: "Quadrature nodes of the ig method (Gauss–Legendre, 1...1024).")
  var steps: Int = ExplainOptions().steps

  @OptionGroup var perturbation: PerturbationOptions

  @Option(help: "Output format: md, csv or json.")
  var format: BenchFormat = .md

  @Option(name: .shortAndLong, help: "Output file ('-' or omitted: standard output).")
  var output: String = "-"

  @Option(
    help: ArgumentHelp(
      "Utterances evaluated at once, each on its own thread (1...256).",
      discussion: """
        The numbers do not depend on it. Each job's matrix products still split over --threads, \
        so on C cores use --jobs C --threads 1: most of a benchmark is small per-token work that \
        one thread does best. The runtime column is then measured beside the other jobs.
        """))
  var jobs: Int = 1

  @Option(help: "Per-utterance results (JSON Lines) to resume from and append to.")
  var results: String?

  @Option(
    help: ArgumentHelp(
      "Append each sampled token's deletion curve, D-AOPC, AOPC, insertion AUC and SaCo (JSON Lines) to this file.",
      discussion: "Only the utterances this run evaluates are written (not those resumed from --results)."))
  var tokenResults: String?

  @Flag(
    help: ArgumentHelp(
      "Compute nothing: tabulate what --results already holds for this configuration.",
      discussion: """
        Each method over the utterances it has, with the metrics it was evaluated on (– where \
        it has none): an interim table of a long run, or one table from runs that split the \
        manifest or the metrics. The model is not loaded.
        """))
  var reportOnly = false

  @Flag(help: "With --report-only: only the utterances that have a result of every method (a paired comparison).")
  var paired = false

  @Flag(help: "No progress on stderr.")
  var quiet = false

  @Flag(help: "Name the model in the results by its absolute path, not only its file name.")
  var fullPaths = false

  func run() throws {
    try model.checkThreads()
    let parsedMethods = try namingOptions(["method": "--methods"]) {
      try methods.split(separator: ",").map { try AttributionMethod.named(String($0).stripped) }
    }
    guard !parsedMethods.isEmpty else {
      throw LeafXError.invalidArgument(argument: "--methods", reason: "no method given")
    }
    let parsedMetrics = try namingOptions(["metrics": "--metrics"]) { try BenchMetric.parse(metrics) }
    guard let parsedDepth = RolloutDepth(rawValue: depth) else {
      throw LeafXError.invalidArgument(argument: "--depth", reason: "\"\(depth)\"")
    }
    var options = ExplainOptions(tau: tau, depth: parsedDepth, seed: seed, steps: steps)
    perturbation.apply(to: &options)
    try perturbation.validate(options)
    if let limit, limit < 1 { throw LeafXError.invalidArgument(argument: "--limit", reason: "\(limit) must be ≥ 1") }
    guard tokens >= 0 else { throw LeafXError.invalidArgument(argument: "--tokens", reason: "\(tokens) must be ≥ 0") }
    guard (1...256).contains(jobs) else {
      throw LeafXError.invalidArgument(argument: "--jobs", reason: "\(jobs) is outside 1...256")
    }
    var utterances = try Manifest(path: manifest).utterances
    if let limit { utterances = Array(utterances.prefix(limit)) }
    let resultsPath = results ?? (output == "-" ? nil : Self.resultsPath(next: output))
    let rows: [UtteranceResult]
    if reportOnly {
      rows = try stored(utterances, methods: parsedMethods, options: options, resultsPath: resultsPath)
    } else {
      guard !paired else {
        throw LeafXError.invalidArgument(argument: "--paired", reason: "only with --report-only (a run computes every method)")
      }
      rows = try evaluate(utterances, methods: parsedMethods, metrics: parsedMetrics, options: options, resultsPath: resultsPath)
    }
    let summary = BenchSummary(results: rows, methods: parsedMethods.map(\.rawValue), metrics: parsedMetrics)
    let text: String
    switch format {
    case .md: text = summary.markdown()
    case .csv: text = summary.csv()
    case .json: text = summary.json()
    }
    try OutputFile.write(Array(text.utf8), to: output)
  }

  /// Explains and scores what the results file does not hold yet.
  func evaluate(
    _ utterances: [Manifest.Utterance], methods parsedMethods: [AttributionMethod], metrics parsedMetrics: [BenchMetric],
    options: ExplainOptions, resultsPath: String?
  ) throws -> [UtteranceResult] {
    let whisper = try model.load()
    let bench = LeafXBench(
      model: whisper, modelName: modelName, methods: parsedMethods, metrics: parsedMetrics, seed: seed,
      tokensPerUtterance: tokens, options: options)
    if let resultsPath, !quiet { printError("per-utterance results: \(resultsPath)") }
    let progress: (@Sendable (String) -> Void)?
    if quiet { progress = nil } else { progress = { line in printError(line) } }
    return try namingOptions(["tokens": "--tokens", "jobs": "--jobs"]) {
      try bench.run(
        utterances, results: resultsPath.map(BenchResultsFile.init),
        tokenResults: tokenResults.map(BenchResultsFile.init), jobs: jobs, progress: progress)
    }
  }

  /// `--report-only`: the stored results.
  func stored(
    _ utterances: [Manifest.Utterance], methods: [AttributionMethod], options: ExplainOptions, resultsPath: String?
  ) throws -> [UtteranceResult] {
    guard let resultsPath else {
      throw LeafXError.invalidArgument(argument: "--report-only", reason: "needs --results FILE (or -o FILE beside it)")
    }
    guard tokenResults == nil else {
      throw LeafXError.invalidArgument(argument: "--token-results", reason: "--report-only computes no token scores to write")
    }
    let config = LeafXBench.config(
      modelName: modelName, seed: seed, tokensPerUtterance: tokens, options: options)
    let rows = try LeafXBench.stored(
      utterances, methods: methods.map(\.rawValue), config: config, results: BenchResultsFile(path: resultsPath),
      paired: paired)
    if !quiet {
      printError("\(rows.count) of \(utterances.count * methods.count) utterance × method results found in \(resultsPath)"
        + (paired ? " (\(Set(rows.map(\.id)).count) utterances with every method)" : ""))
    }
    return rows
  }

  /// The model's name in the results' configuration: the file name of -m (the name of a
  /// cached model as given), or with --full-paths the absolute path it resolves to.
  var modelName: String {
    let given = model.model ?? ModelCache.defaultModel
    guard fullPaths else { return OutputPaths.fileName(given) }
    return OutputPaths.absolute((try? ModelCache.resolve(given)) ?? given)
  }

  /// `dir/name.md` → `dir/name.results.jsonl`.
  static func resultsPath(next output: String) -> String {
    let slash = output.lastIndex(of: "/")
    let name = slash.map { output[output.index(after: $0)...] } ?? output[...]
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return output + ".results.jsonl" }
    return String(output[..<dot]) + ".results.jsonl"
  }
}

enum BenchFormat: String, ExpressibleByArgument, CaseIterable {
  case md, csv, json
}
