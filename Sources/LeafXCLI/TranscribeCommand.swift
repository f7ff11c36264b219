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
      windows conditioned on the previous text. `leafx explain` has the same decoding \
      options with the same defaults, so it explains the transcript written here. \
      --temperature 0 turns the fallback off (it samples at higher temperatures when a \
      window looks repetitive or improbable).

      When a multilingual model detects the language (no --language), it is named on \
      standard error: "leafx: detected language: de (p = 0.98)". The json format records \
      it instead, and names the audio and the model by their file names (jfk.wav, \
      tiny.en); --full-paths writes their absolute paths.

      Examples:
        leafx transcribe data/jfk.wav
        leafx transcribe talk.flac -m base --task translate --format srt -o talk.srt
        leafx transcribe a.wav b.wav --beam 1 --format json
        leafx transcribe call.wav --temperature 0 --print-times
        leafx transcribe talk.wav --word-timestamps --format srt

      --word-timestamps times every word from the attributions of the default `leafx` method       (one extra teacher-forced pass per window; the transcript is the same): json gets       "words" per segment (word, start, end, probability), text prints one line per word       with its times, srt and vtt one cue per word, or per --max-words-per-cue words and at       most --max-cue-seconds seconds.
      """)

  @Argument(help: "Audio files to transcribe.")
  var audio: [String]

  @OptionGroup var model: ModelOptions

  @OptionGroup(title: "Decoding options") var decoding: DecodingFlags

  @Flag(help: "In text output, print each segment's start and end times.")
  var printTimes = false

  /// The old spelling of --print-times, hidden: it read as the opposite of
  /// --without-timestamps, which is about decoding.
  @Flag(name: .customLong("timestamps"), help: .hidden)
  var deprecatedTimestamps = false

  @Flag(help: "Time every word (json: \"words\" per segment; text: one line per word; srt/vtt: word cues).")
  var wordTimestamps = false

  @Option(help: ArgumentHelp("With --word-timestamps, srt/vtt: at most N words per cue (default 1).", valueName: "N"))
  var maxWordsPerCue: Int?

  @Option(
    help: ArgumentHelp(
      "With --word-timestamps, srt/vtt: at most S seconds per cue (a cue holds one word at least).", valueName: "S"))
  var maxCueSeconds: Double?

  @Option(help: "Output format: text, json, srt or vtt.")
  var format: TranscriptFormat = .text

  @Option(name: .shortAndLong, help: "Output file ('-' or omitted: standard output).")
  var output: String = "-"

  @Flag(help: "In json output, write the audio's and model's absolute paths, not only their file names.")
  var fullPaths = false

  func run() throws {
    if deprecatedTimestamps {
      printError("leafx: warning: --timestamps is deprecated and will be removed; use --print-times")
    }
    try namingOptions(DecodingFlags.names) {
      try transcribe()
    }
  }

  /// The cue limits, checked: given without --word-timestamps, or out of range, they are
  /// usage errors naming the option.
  func cueLimits() throws -> CueLimits? {
    if !wordTimestamps {
      for (given, name) in [(maxWordsPerCue != nil, "--max-words-per-cue"), (maxCueSeconds != nil, "--max-cue-seconds")] where given {
        throw LeafXError.invalidArgument(argument: name, reason: "needs --word-timestamps")
      }
      return nil
    }
    if let n = maxWordsPerCue, n < 1 {
      throw LeafXError.invalidArgument(argument: "--max-words-per-cue", reason: "\(n) is not a positive count")
    }
    if let s = maxCueSeconds, !(s > 0 && s.isFinite) {
      throw LeafXError.invalidArgument(argument: "--max-cue-seconds", reason: "\(s) is not a positive number of seconds")
    }
    return CueLimits(words: maxWordsPerCue ?? 1, seconds: maxCueSeconds)
  }

  func transcribe() throws {
    let options = try decoding.options()
    let limits = try cueLimits()
    let whisper = try model.load()
    let detects = decoding.detectsLanguage(whisper)
    var text = ""
    for path in audio {
      let decoded = try AudioDecoder.load(path: path)
      let transcript: Transcript
      var words: [TimedWord]? = nil
      if wordTimestamps {
        let timed = try WordTimestamps.transcribe(decoded.samples, model: whisper, decoding: options)
        transcript = timed.transcript
        words = timed.words
      } else {
        transcript = try Transcriber(model: whisper, options: options).transcribe(decoded.samples)
      }
      if detects && format != .json {
        reportDetectedLanguage(
          transcript.language, probability: transcript.languageProbability, file: audio.count > 1 ? path : nil)
      }
      text += TranscriptFormatter.format(
        transcript, as: format, audioPath: path, model: whisper, timestamps: printTimes || deprecatedTimestamps,
        paths: OutputPaths(full: fullPaths), words: words, cues: limits ?? CueLimits())
    }
    try OutputFile.write(Array(text.utf8), to: output)
  }
}

/// `-m/--model` and `--threads`, shared by the commands that run a model.
struct ModelOptions: ParsableArguments {
  @Option(name: [.customShort("m"), .long], help: "Model directory or ggml file, or a cached name (tiny.en, base).")
  var model: String?

  // Unconditional: `--threads -1` is a value to refuse by name, not a missing one.
  @Option(
    parsing: .unconditional,
    help: "Compute threads, 1...256; 0: the library's default (OPENBLAS_NUM_THREADS, or all cores), as in the C and Python APIs.")
  var threads: Int = 0

  /// Refuses a thread count outside 0...256, naming --threads (status 64); `load` checks too.
  func checkThreads() throws {
    guard threads >= 0 else {
      throw LeafXError.invalidArgument(argument: "--threads", reason: "\(threads) is negative; give 1...256 threads, or 0 for the default")
    }
    guard threads <= 256 else {
      throw LeafXError.invalidArgument(argument: "--threads", reason: "\(threads) is outside 0...256")
    }
  }

  func load() throws -> WhisperModel {
    try checkThreads()
    if threads > 0 { ComputeThreads.set(threads) }
    return try WhisperModel.load(path: try ModelCache.resolve(model))
  }
}

enum TranscriptFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json, srt, vtt
}
