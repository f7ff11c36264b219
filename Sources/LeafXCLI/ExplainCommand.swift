import ArgumentParser
import LeafXCore

/// `leafx explain`: token-to-time attributions.
struct ExplainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Explain which stretch of audio made Whisper write each token.",
    discussion: """
      Transcribes AUDIO or takes the transcript given with --text (forced mode, audio ≤ \
      30 s), then attributes every token and word to the audio's 20 ms frames with the \
      chosen method. The decoding options are those of `leafx transcribe`, with the same \
      defaults (beam search of 5, temperature fallback, timestamps), so the transcript \
      explained is the one `leafx transcribe` writes. --beam 1 --without-timestamps decodes \
      greedily without timestamps, as `leafx bench` and the C API's leafx_explain do by \
      default; audio longer than 30 s is then decoded with timestamps all the same (without \
      them Whisper skips speech). \
      Forced mode uses only --language and --task. A detected language is named on \
      standard error, except in the json and html formats, which record it.

      Methods: \(AttributionMethod.methods.map(\.rawValue).joined(separator: ", ")).

      Ablations of leafx-causal, for benchmarks (docs/leafx.md): \
      \(AttributionMethod.ablations.map(\.rawValue).joined(separator: ", ")).

      Formats: json (the schema below), csv (one row per token and frame), text (a word \
      table with half-mass spans), html (a self-contained report to open in a browser: the \
      spectrogram, the transcript shaded by how well grounded each word is, the tokens × time \
      heatmap, the half-mass spans and the audit flags with their reasons; click a word to \
      highlight its attribution and hear it; the audio is embedded, nothing is fetched), svg \
      (the tokens × time heatmap alone, for papers and tickets).

      JSON output: docs/json-schema.md. The json, html and svg outputs name the audio and \
      the model by their file names (jfk.wav, tiny.en); --full-paths writes their absolute \
      paths.

      Examples:
        leafx explain data/jfk.wav -o jfk.json
        leafx explain data/jfk.wav --method raa --format csv
        leafx explain data/jfk.wav --beam 1 --temperature 0 --format text
        leafx explain data/jfk.wav --format html -o report.html
        leafx explain data/jfk.wav --format svg -o heatmap.svg
        leafx explain call.wav --text "take fifty milligrams of amoxicillin" -m base
        leafx explain call.wav --verify --format text
        leafx explain data/jfk.wav --method specmask --window 10 --stride 5
        leafx explain data/jfk.wav --method kernelshap --samples 400 --seed 1
      """)

  @Argument(help: "Audio file to explain.")
  var audio: String

  @OptionGroup var model: ModelOptions

  @Option(help: "Attribution method (the methods and the ablations are listed above).")
  var method: String = ExplainOptions().method.rawValue

  @Option(help: "A transcript to explain instead of decoding (forced mode).")
  var text: String?

  @Option(help: "Entropy temperature τ of LEAF-X's head weighting (> 0).")
  var tau: Float = ExplainOptions().tau

  @Option(help: "Rollout depth: default (the method's: last-third for leafx*, full for leafx-paper*), full, last-half, last-third, middle-half or 1.")
  var depth: String = RolloutDepth.methodDefault.rawValue

  @Option(help: "Seed of the random method and of lime's and kernelshap's masks.")
  var seed: UInt64 = 0

  @Option(help: "Quadrature nodes of the ig method (Gauss–Legendre, 1...1024).")
  var steps: Int = ExplainOptions().steps
  @OptionGroup var perturbation: PerturbationOptions

  @Flag(
    help: ArgumentHelp(
      "Check each word by silencing the audio its attribution points at.",
      discussion: """
        The word's half-mass span, widened by 100 ms each side, is set to silence and the word \
        is scored again with the text held fixed: one masked pass per word. The drop in its \
        log-probability goes to the JSON (silence_check) and the text table; a word whose \
        probability is not halved is flagged unconfirmed.
        """))
  var verify = false

  @OptionGroup(title: "Decoding options") var decoding: DecodingFlags

  @Option(help: "Output format: json, csv (one row per token and frame), text (a word table), html (a report page) or svg (the heatmap).")
  var format: ExplainFormat = .json

  @Option(name: .shortAndLong, help: "Output file ('-' or omitted: standard output).")
  var output: String = "-"

  @Flag(help: "Write the audio's and model's absolute paths, not only their file names.")
  var fullPaths = false

  func run() throws {
    var flags = DecodingFlags.names.merging(["method": "--method"]) { $1 }
    if text != nil { flags["text"] = "--text" }
    try namingOptions(flags) { try explain() }
  }

  func explain() throws {
    guard let parsedDepth = RolloutDepth(rawValue: depth) else {
      throw LeafXError.invalidArgument(
        argument: "--depth", reason: "\"\(depth)\"; one of \(RolloutDepth.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    var options = ExplainOptions(method: try AttributionMethod.named(method), tau: tau, depth: parsedDepth, seed: seed, steps: steps)
    perturbation.apply(to: &options)
    options.verify = verify
    try perturbation.validate(options)
    // Always explicit: the library's own default (Explainer.defaultDecoding, leafx_explain's)
    // is greedy without timestamps.
    let decoding = try self.decoding.options()
    let whisper = try model.load()
    let decoded = try AudioDecoder.load(path: audio)
    let explanation = try Explainer(model: whisper, options: options, decoding: decoding).explain(decoded.samples, text: text)
    if text == nil && self.decoding.detectsLanguage(whisper) && format != .json && format != .html {
      reportDetectedLanguage(explanation.transcript.language, probability: explanation.transcript.languageProbability, file: nil)
    }
    let paths = OutputPaths(full: fullPaths)
    let rendered: String
    switch format {
    case .json: rendered = ExplanationJSON.render(explanation, model: whisper, audioPath: audio, paths: paths) + "\n"
    case .csv: rendered = ExplanationCSV.render(explanation)
    case .text: rendered = ExplanationText.render(explanation)
    case .html:
      rendered = try HTMLReport.render(explanation, model: whisper, audioPath: audio, pcm: decoded.samples, paths: paths)
    case .svg: rendered = HeatmapSVG.render(explanation, title: paths.render(audio))
    }
    try OutputFile.write(Array(rendered.utf8), to: output)
  }
}

/// The parameters of the perturbation methods (specmask, lime, kernelshap), shared by
/// `explain` and `bench`.
struct PerturbationOptions: ParsableArguments {
  @Option(help: "specmask: occluded window, in 20 ms frames (≥ 1).")
  var window: Int = ExplainOptions().occlusionWindow

  @Option(help: "specmask: stride between windows, in frames (1 … window).")
  var stride: Int = ExplainOptions().occlusionStride

  @Option(help: "lime, kernelshap: masked inputs per 30 s window (≥ 2).")
  var samples: Int = ExplainOptions().samples

  @Option(help: "lime, kernelshap: feature segment length, in 20 ms frames (≥ 1).")
  var segment: Int = ExplainOptions().segmentFrames

  func apply(to options: inout ExplainOptions) {
    options.occlusionWindow = window
    options.occlusionStride = stride
    options.samples = samples
    options.segmentFrames = segment
  }

  /// `options.validate()`, with errors naming the command-line flag (`explain` and `bench`
  /// both have these and --tau, --steps).
  func validate(_ options: ExplainOptions) throws {
    let flags = [
      "occlusionWindow": "--window", "occlusionStride": "--stride", "samples": "--samples", "segmentFrames": "--segment",
      "tau": "--tau", "steps": "--steps",
    ]
    try namingOptions(flags) { try options.validate() }
  }
}

enum ExplainFormat: String, ExpressibleByArgument, CaseIterable {
  case json, csv, text, html, svg
}

/// A human-readable summary: the transcript, then one line per word with the stretch of
/// audio that holds half its attribution, its peak, probability and audit flags.
enum ExplanationText {
  static func render(_ e: Explanation) -> String {
    let verified = e.words.contains { $0.silenceCheck != nil }
    var out = "\(e.text.stripped)\n\n"
    out += "word                 half-mass span        peak     prob   " + (verified ? "silenced drop  " : "") + "flags\n"
    for w in e.words {
      let a = w.attribution
      let name = w.word.count > 20 ? String(w.word.prefix(19)) + "…" : w.word
      out += pad(name, 20) + " " + pad("\(JSONText.seconds(a.start))–\(JSONText.seconds(a.end)) s", 21) + " "
      out += pad("\(JSONText.seconds(a.peak)) s", 8) + " " + pad(String(format2(w.probability)), 6) + " "
      if verified { out += pad(w.silenceCheck.map { format2($0.drop) + " nats" } ?? "–", 14) + " " }
      out += w.flags.names.joined(separator: ",") + "\n"
    }
    return out
  }

  static func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }

  static func format2(_ x: Float) -> String {
    let v = Int((abs(x) * 100).rounded())
    return (x < 0 && v > 0 ? "-" : "") + "\(v / 100).\(v % 100 < 10 ? "0" : "")\(v % 100)"
  }
}

/// `token_index,token,word_index,frame,time,value` rows, long format for spreadsheets and pandas.
enum ExplanationCSV {
  static func render(_ e: Explanation) -> String {
    var wordOf = [Int: Int]()
    for (w, word) in e.words.enumerated() { for t in word.tokens { wordOf[t] = w } }
    var out = "token_index,token,word_index,frame,time_s,value\n"
    for t in e.tokens {
      let quoted = "\"" + t.text.replacingAll("\"", with: "\"\"") + "\""
      for (k, v) in t.attribution.values.enumerated() {
        let frame = t.attribution.offset + k
        out += "\(t.index),\(quoted),\(wordOf[t.index] ?? -1),\(frame),\(JSONText.seconds(Double(frame) * 0.02)),\(v)\n"
      }
    }
    return out
  }
}

extension String {
  func replacingAll(_ target: Character, with replacement: String) -> String {
    var out = ""
    for c in self { if c == target { out += replacement } else { out.append(c) } }
    return out
  }
}
