import ArgumentParser
import LeafXCore

/// `leafx features`: the log-mel spectrogram the model sees.
struct FeaturesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "features",
    abstract: "Write Whisper's log-mel features of an audio file.",
    discussion: """
      Decodes AUDIO (any format libsndfile reads), converts it to 16 kHz mono and writes the \
      log-mel spectrogram, [n_mels, n_frames] with 100 frames per second, exactly as \
      faster-whisper's FeatureExtractor computes it. The json format names AUDIO by its file \
      name; --full-paths writes its absolute path.

      Examples:
        leafx features data/jfk.wav -o jfk.npy
        leafx features speech.flac --mels 128 --format json -o speech.json
      """)

  @Argument(help: "Audio file to read.")
  var audio: String

  @Option(help: "Mel bins: 80 (Whisper up to large-v2) or 128 (large-v3, turbo).")
  var mels: Int = 80

  @Option(help: "Zero samples appended before the STFT (160 as faster-whisper, 480000 as openai-whisper).")
  var padding: Int = 160

  @Option(help: "Output format: npy (float32 [n_mels, n_frames]) or json.")
  var format: FeatureFormat = .npy

  @Option(name: .shortAndLong, help: "Output file ('-' for standard output).")
  var output: String

  @Flag(help: "In json output, write the audio's absolute path, not only its file name.")
  var fullPaths = false

  func run() throws {
    let options = MelOptions(nMels: mels, paddingSamples: padding)
    try namingOptions(["n_mels": "--mels", "padding_samples": "--padding"]) { try options.validate() }
    let decoded = try AudioDecoder.load(path: audio)
    let mel = try decoded.samples.withUnsafeBufferPointer {
      try LogMel.compute($0, options: options)
    }
    let bytes: [UInt8]
    switch format {
    case .npy:
      bytes = NpyWriter.float32Matrix(mel.values, rows: mel.nMels, columns: mel.nFrames)
    case .json:
      bytes = Array(featuresJSON(mel).utf8)
    }
    try OutputFile.write(bytes, to: output)
  }

  private func featuresJSON(_ mel: MelSpectrogram) -> String {
    var text = "{\"audio\": \(JSONText.quoted(OutputPaths(full: fullPaths).render(audio))), \"n_mels\": \(mel.nMels), "
    text += "\"n_frames\": \(mel.nFrames), \"frame_seconds\": 0.01, \"values\": ["
    for m in 0..<mel.nMels {
      if m > 0 { text += ", " }
      text += "["
      for f in 0..<mel.nFrames {
        if f > 0 { text += ", " }
        text += JSONText.number(mel.values[m * mel.nFrames + f])
      }
      text += "]"
    }
    text += "]}\n"
    return text
  }
}

enum FeatureFormat: String, ExpressibleByArgument, CaseIterable {
  case npy, json
}
