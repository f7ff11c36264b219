import LeafXCore

/// Renders transcripts as text, JSON, SubRip or WebVTT.
enum TranscriptFormatter {
  static func format(
    _ t: Transcript, as format: TranscriptFormat, audioPath: String, model: WhisperModel, timestamps: Bool,
    paths: OutputPaths = .names
  ) -> String {
    switch format {
    case .text:
      if timestamps {
        return t.segments.map { "[\(clock($0.start, ".")) --> \(clock($0.end, "."))] \($0.text.stripped)\n" }.joined()
      }
      return t.text.stripped + "\n"
    case .srt:
      return t.segments.enumerated().map { i, s in
        "\(i + 1)\n\(clock(s.start, ",", hours: true)) --> \(clock(s.end, ",", hours: true))\n\(s.text.stripped)\n\n"
      }.joined()
    case .vtt:
      return "WEBVTT\n\n"
        + t.segments.map { "\(clock($0.start, ".", hours: true)) --> \(clock($0.end, ".", hours: true))\n\($0.text.stripped)\n\n" }.joined()
    case .json:
      return TranscriptJSON.render(t, model: model, audioPath: audioPath, paths: paths) + "\n"
    }
  }

  static func clock(_ seconds: Double, _ separator: String, hours: Bool = false) -> String {
    let ms = Int((seconds * 1000).rounded())
    let h = ms / 3_600_000
    let m = (ms / 60_000) % 60
    let s = (ms / 1000) % 60
    let prefix = hours || h > 0 ? "\(pad(h, 2)):" : ""
    return "\(prefix)\(pad(m, 2)):\(pad(s, 2))\(separator)\(pad(ms % 1000, 3))"
  }

  static func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, width - text.count)) + text
  }
}
