import ArgumentParser
import LeafXCore

#if canImport(Glibc)
  import Glibc
#endif

/// `leafx diagnose`: per token, what each decoder layer and head attended to, and how LEAF-X's
/// parts (entropy weights, rollout terms, prompt mass) treat it: the evidence of docs/leafx.md.
struct DiagnoseCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "diagnose",
    abstract: "Show each layer's and head's cross-attention per token: peaks, entropy, sinks, rollout terms.",
    discussion: """
      For every written token (or the one chosen with --token): per decoder layer, the peak of \
      the entropy-weighted cross-attention, the share of the self-attention row on the prompt \
      (what rollout's rule 10 imports from rows that wrote no text), the share of the rolled-out \
      attribution contributed by the layer; per head, its peak, normalised entropy, padding \
      mass, constant mass (the part of the row every token of the window shares: a sink) and \
      entropy weight.

      The audio is decoded as `leafx explain` decodes it (the same decoding options and \
      defaults), so token indices are those of its output.

      --dump DIR writes, per window, the trace, gradients and ablation deltas as .npy files \
      (and words.json) for study in NumPy.

      Examples:
        leafx diagnose data/jfk.wav --token 3
        leafx diagnose data/jfk.wav --dump /tmp/jfk-trace
      """)

  @Argument(help: "Audio file.")
  var audio: String

  @OptionGroup var model: ModelOptions

  @Option(help: "A transcript to diagnose instead of decoding (forced mode).")
  var text: String?

  @OptionGroup(title: "Decoding options") var decoding: DecodingFlags

  @Option(help: "Entropy temperature τ of the head weighting (> 0).")
  var tau: Float = 1

  @Option(help: "Only this token (global index, as in `leafx explain`).")
  var token: Int?

  @Option(help: "Output format: text or json.")
  var format: DiagnoseFormat = .text

  @Option(name: .shortAndLong, help: "Output file ('-' or omitted: standard output).")
  var output: String = "-"

  @Option(help: "Write the trace of each window as .npy files into this directory.")
  var dump: String?

  @Flag(help: "With --dump: leave out the per-token gradients (much faster).")
  var noGradients = false

  func run() throws {
    var flags = DecodingFlags.names.merging(["tau": "--tau"]) { $1 }
    if text != nil { flags["text"] = "--text" }
    try namingOptions(flags) { try diagnose() }
  }

  func diagnose() throws {
    let options = ExplainOptions(method: .leafxPaper, tau: tau)
    try options.validate()
    let decoding = try self.decoding.options()
    let whisper = try model.load()
    let decoded = try AudioDecoder.load(path: audio)
    let explainer = Explainer(model: whisper, options: options, decoding: decoding)
    if let dump {
      try writeDump(try TraceDump.run(explainer, pcm: decoded.samples, text: text, gradients: !noGradients), to: dump)
      return
    }
    var tokens = try Diagnosis.run(explainer, pcm: decoded.samples, text: text)
    if let token {
      guard tokens.indices.contains(token) else {
        throw LeafXError.invalidArgument(argument: "--token", reason: "\(token) is not in 0..<\(tokens.count)")
      }
      tokens = [tokens[token]]
    }
    let rendered = format == .json ? DiagnosisFormatter.json(tokens) : DiagnosisFormatter.text(tokens)
    try OutputFile.write(Array(rendered.utf8), to: output)
  }

  func writeDump(_ windows: [TraceDump], to directory: String) throws {
    guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
      throw LeafXError.io(path: directory, reason: "cannot create the directory: \(String(cString: strerror(errno)))")
    }
    for (w, window) in windows.enumerated() {
      let prefix = "\(directory)/window\(w)_"
      for (name, array) in window.arrays {
        try OutputFile.write(NpyWriter.float32(array.values, shape: array.shape), to: prefix + name + ".npy")
      }
      let words = window.words.map { "{\"word\": \(JSONText.quoted($0.text)), \"tokens\": \($0.tokens)}" }
      let json = "{\"frame_offset\": \(window.frameOffset), \"words\": [\(words.joined(separator: ", "))]}\n"
      try OutputFile.write(Array(json.utf8), to: prefix + "words.json")
    }
  }
}

enum DiagnoseFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json
}

/// Renders token diagnoses as a table per token or as JSON.
enum DiagnosisFormatter {
  static func text(_ tokens: [TokenDiagnosis]) -> String {
    var out = ""
    for token in tokens {
      out += "token \(token.index) \(JSONText.quoted(token.text)) p=\(fixed(token.probability))\n"
      out += "  layer  peak(s)  prompt  rollout | head: peak(s) entropy padding constant weight\n"
      for (l, layer) in token.layers.enumerated() {
        out += "  \(pad("\(l)", 5))  \(pad(fixed(Float(layer.weightedPeakSeconds)), 7))  \(pad(fixed(layer.promptMass), 6))  "
        out += "\(pad(fixed(layer.rolloutShare), 7)) |"
        for (h, head) in layer.heads.enumerated() {
          out += " \(h): \(fixed(Float(head.peakSeconds))) \(fixed(head.normalizedEntropy)) \(fixed(head.paddingMass))"
          out += " \(fixed(head.constantMass)) \(fixed(head.entropyWeight));"
        }
        out += "\n"
      }
    }
    return out
  }

  static func json(_ tokens: [TokenDiagnosis]) -> String {
    let items = tokens.map { token -> String in
      let layers = token.layers.map { layer -> String in
        let heads = layer.heads.map { h in
          "{\"peak\": \(JSONText.seconds(h.peakSeconds)), \"entropy\": \(h.normalizedEntropy), \"padding\": \(h.paddingMass), "
            + "\"constant_mass\": \(h.constantMass), \"entropy_weight\": \(h.entropyWeight)}"
        }
        return "{\"peak\": \(JSONText.seconds(layer.weightedPeakSeconds)), \"prompt_mass\": \(layer.promptMass), "
          + "\"rollout_share\": \(layer.rolloutShare), \"heads\": [\(heads.joined(separator: ", "))]}"
      }
      return "{\"index\": \(token.index), \"text\": \(JSONText.quoted(token.text)), \"probability\": \(token.probability), "
        + "\"layers\": [\(layers.joined(separator: ", "))]}"
    }
    return "[\n" + items.joined(separator: ",\n") + "\n]\n"
  }

  static func fixed(_ x: Float) -> String {
    let v = Int((x * 100).rounded())
    let sign = v < 0 ? "-" : ""
    let a = abs(v)
    return "\(sign)\(a / 100).\(a % 100 < 10 ? "0" : "")\(a % 100)"
  }

  static func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
}
