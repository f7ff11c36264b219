import ArgumentParser
import LeafXCore

/// The decoding options of `transcribe`, `explain` and `diagnose`: the same flags with the
/// same defaults, faster-whisper's (beam search of 5, temperature fallback, timestamps), so
/// that `explain` explains the transcript `transcribe` writes (docs/cli.md, "Decoding
/// options"). The C ABI's `leafx_explain` keeps its own default (greedy, without timestamps:
/// `Explainer.defaultDecoding`, the convention of the reference attributions and of `leafx
/// bench`); these commands always pass their decoding explicitly.
struct DecodingFlags: ParsableArguments {
  @Option(help: "Beam size at temperature 0 (1 = greedy search).")
  var beam: Int = 5

  @Option(help: "Temperatures tried in order until a window passes the fallback checks, comma-separated; 0 alone: no fallback.")
  var temperature: String = "0,0.2,0.4,0.6,0.8,1.0"

  @Option(help: "Spoken language code (en, de, …); detected when omitted (multilingual models).")
  var language: String?

  @Option(help: "transcribe, or translate into English.")
  var task: String = "transcribe"

  @Flag(help: "Decode text only (<|notimestamps|>): no timestamp tokens, each 30 s window is one segment.")
  var withoutTimestamps = false

  /// The core's option names → these flags, for `namingOptions`.
  static let names = ["beamSize": "--beam", "temperatures": "--temperature", "language": "--language"]

  /// The decoding these flags ask for (faster-whisper's defaults, `DecodingOptions()`, with
  /// the flags applied), validated.
  func options() throws -> DecodingOptions {
    var options = DecodingOptions()
    options.beamSize = beam
    options.language = language
    guard let parsedTask = WhisperTask(rawValue: task) else {
      throw LeafXError.invalidArgument(argument: "--task", reason: "\"\(task)\"; use transcribe or translate")
    }
    options.task = parsedTask
    options.withoutTimestamps = withoutTimestamps
    options.temperatures = try temperature.split(separator: ",", omittingEmptySubsequences: false).map { item in
      guard let value = Float(String(item).stripped) else {
        throw LeafXError.invalidArgument(argument: "--temperature", reason: "\"\(item)\" is not a number")
      }
      return value
    }
    try namingOptions(Self.names) { try options.validate() }
    return options
  }

  /// True when the model detects the language itself (a multilingual model and no
  /// --language), so that the commands say which one it found.
  func detectsLanguage(_ model: WhisperModel) -> Bool {
    language == nil && model.tokenizer.isMultilingual
  }
}

/// "leafx: detected language: en (p = 0.97)" on standard error (whisper-cli prints the
/// same), prefixed with the audio file when a command reads several; standard output stays
/// the transcript alone.
func reportDetectedLanguage(_ language: String, probability: Float, file: String?) {
  let p = Int((probability * 100).rounded())
  let shown = "\(p / 100).\(p % 100 < 10 ? "0" : "")\(p % 100)"
  printError("leafx: \(file.map { "\($0): " } ?? "")detected language: \(language) (p = \(shown))")
}
