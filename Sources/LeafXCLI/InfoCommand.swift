import ArgumentParser
import LeafXCore

/// `leafx info`: what a model file holds.
struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Describe a Whisper model: format, sizes, vocabulary.",
    discussion: """
      MODEL is a CTranslate2 or Hugging Face directory, a ggml file, or a cached name. \
      The path is shown as the model's file name; --full-paths shows where it was found.

      Examples:
        leafx info tiny.en
        leafx info ggml-base.bin --format json
      """)

  @Argument(help: "Model path or cached name (default tiny.en).")
  var model: String?

  @Option(help: "Output format: text or json.")
  var format: InfoFormat = .text

  @Flag(help: "Show the model's absolute path, not only its file name.")
  var fullPaths = false

  func run() throws {
    let whisper = try WhisperModel.load(path: try ModelCache.resolve(model))
    let paths = OutputPaths(full: fullPaths)
    let d = whisper.dimensions
    let text: String
    switch format {
    case .json:
      text = TranscriptJSON.modelJSON(whisper, paths: paths) + "\n"
    case .text:
      text = """
        model        \(whisper.name)
        path         \(paths.render(whisper.path))
        format       \(whisper.format.rawValue)
        vocabulary   \(d.nVocab) tokens, \(whisper.tokenizer.isMultilingual ? "multilingual (\(whisper.tokenizer.allLanguageCodes.count) languages)" : "English-only")
        audio        \(d.nMels) mel bins, \(d.nAudioCtx) positions, width \(d.nAudioState), \(d.nAudioHead) heads, \(d.nAudioLayer) layers
        text         \(d.nTextCtx) positions, width \(d.nTextState), \(d.nTextHead) heads, \(d.nTextLayer) layers
        kernels      \(KernelBuild.preferred.rawValue) (CPU \(KernelBuild.cpuSupportsAVX2 ? "has" : "lacks") AVX2; LEAFX_KERNELS=baseline forces the baseline copy)

        """
    }
    try OutputFile.write(Array(text.utf8), to: "-")
  }
}

enum InfoFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json
}
