import ArgumentParser
import LeafXCore

/// `leafx transcribe`: Whisper transcription with faster-whisper's defaults.
struct TranscribeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "transcribe",
    abstract: "Transcribe audio files with Whisper.",
    discussion: """
      Decodes each AUDIO file (any format libsndfile reads) with faster-whisper's defaults: \
      beam search of 5, temperature fallback (0, 0.2, …, 1.0), no-speech detection, 30 s \
      windows conditioned on the previous text.

      The json format names the audio and the model by their file names (jfk.wav, \
      tiny.en); --full-paths writes their absolute paths.

      Examples:
        leafx transcribe data/jfk.wav
        leafx transcribe talk.flac -m base --task translate --format srt -o talk.srt
        leafx transcribe a.wav b.wav --beam 1 --format json
      """)

  @Argument(help: "Audio files to transcribe.")
  var audio: [String]

  @OptionGroup var model: ModelOptions

  @Option(help: "Beam size (1 = greedy search).")
  var beam: Int = 5

  @Option(help: "Spoken language code (en, de, …); detected when omitted (multilingual models).")
  var language: String?

  @Option(help: "transcribe, or translate into English.")
  var task: String = "transcribe"

  @Option(help: "Temperatures tried in order on fallback, comma-separated (\"0\" disables fallback).")
  var temperature: String = "0,0.2,0.4,0.6,0.8,1.0"

  @Flag(help: "Print segment times in text output.")
  var timestamps = false

  @Flag(help: "Decode text only (<|notimestamps|>); segments are whole 30 s windows.")
  var withoutTimestamps = false

  @Option(help: "Output format: text, json, srt or vtt.")
  var format: TranscriptFormat = .text

  @Option(name: .shortAndLong, help: "Output file ('-' or omitted: standard output).")
  var output: String = "-"

  @Flag(help: "In json output, write the audio's and model's absolute paths, not only their file names.")
  var fullPaths = false

  func run() throws {
    try namingOptions(["beam_size": "--beam", "temperature": "--temperature", "language": "--language"]) {
      try transcribe()
    }
  }

  func transcribe() throws {
    var options = DecodingOptions()
    options.beamSize = beam
    options.language = language
    guard let parsedTask = WhisperTask(rawValue: task) else {
      throw LeafXError.invalidArgument(argument: "--task", reason: "\"\(task)\"; use transcribe or translate")
    }
    options.task = parsedTask
    options.withoutTimestamps = withoutTimestamps
    options.temperatures = try temperature.split(separator: ",").map { item in
      guard let value = Float(String(item).stripped) else {
        throw LeafXError.invalidArgument(argument: "--temperature", reason: "\"\(item)\" is not a number")
      }
      return value
    }
    try options.validate()
    let whisper = try model.load()
    var text = ""
    for path in audio {
      let decoded = try AudioDecoder.load(path: path)
      let transcript = try Transcriber(model: whisper, options: options).transcribe(decoded.samples)
      text += TranscriptFormatter.format(
        transcript, as: format, audioPath: path, model: whisper, timestamps: timestamps,
        paths: OutputPaths(full: fullPaths))
    }
    try OutputFile.write(Array(text.utf8), to: output)
  }
}

/// `-m/--model` and `--threads`, shared by the commands that run a model.
struct ModelOptions: ParsableArguments {
  @Option(name: [.customShort("m"), .long], help: "Model directory or ggml file, or a cached name (tiny.en, base).")
  var model: String?

  @Option(help: "Compute threads (default: OPENBLAS_NUM_THREADS, or all cores).")
  var threads: Int?

  func load() throws -> WhisperModel {
    if let threads {
      guard (1...256).contains(threads) else {
        throw LeafXError.invalidArgument(argument: "--threads", reason: "\(threads) is outside 1...256")
      }
      ComputeThreads.set(threads)
    }
    return try WhisperModel.load(path: try ModelCache.resolve(model))
  }
}

enum TranscriptFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json, srt, vtt
}
