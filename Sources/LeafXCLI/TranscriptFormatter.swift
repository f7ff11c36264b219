import LeafXCore

/// How word cues are cut (`--max-words-per-cue`, `--max-cue-seconds`).
struct CueLimits {
  var words = 1
  var seconds: Double? = nil
}

/// Renders transcripts as text, JSON, SubRip or WebVTT; with word timestamps, text lists the
/// words and subtitles are word cues.
enum TranscriptFormatter {
  static func format(
    _ t: Transcript, as format: TranscriptFormat, audioPath: String, model: WhisperModel, timestamps: Bool,
    paths: OutputPaths = .names, words: [TimedWord]? = nil, cues: CueLimits = CueLimits()
  ) -> String {
    let spans: [(start: Double, end: Double, text: String)] =
      words.map { cuesOf($0, limits: cues) } ?? t.segments.map { ($0.start, $0.end, $0.text.stripped) }
    switch format {
    case .text:
      if let words {
        return words.map { "[\(clock($0.start, ".")) --> \(clock($0.end, "."))] \($0.word.stripped)\n" }.joined()
      }
      if timestamps {
        return spans.map { "[\(clock($0.start, ".")) --> \(clock($0.end, "."))] \($0.text)\n" }.joined()
      }
      return t.text.stripped + "\n"
    case .srt:
      return spans.enumerated().map { i, s in
        "\(i + 1)\n\(clock(s.start, ",", hours: true)) --> \(clock(s.end, ",", hours: true))\n\(s.text)\n\n"
      }.joined()
    case .vtt:
      return "WEBVTT\n\n"
        + spans.map { "\(clock($0.start, ".", hours: true)) --> \(clock($0.end, ".", hours: true))\n\($0.text)\n\n" }.joined()
    case .json:
      return TranscriptJSON.render(t, model: model, audioPath: audioPath, paths: paths, words: words) + "\n"
    }
  }

  /// Word cues: consecutive words of one segment, at most `limits.words` of them and (when
  /// set) spanning at most `limits.seconds`, but one word at least.
  static func cuesOf(_ words: [TimedWord], limits: CueLimits) -> [(start: Double, end: Double, text: String)] {
    var cues: [(start: Double, end: Double, text: String)] = []
    var current: [TimedWord] = []
    func flush() {
      guard let first = current.first, let last = current.last else { return }
      cues.append((first.start, last.end, current.map(\.word).joined().stripped))
      current = []
    }
    for word in words {
      if let first = current.first {
        let full = current.count >= limits.words
        let tooLong = limits.seconds.map { word.end - first.start > $0 } ?? false
        if full || tooLong || word.segment != first.segment { flush() }
      }
      current.append(word)
    }
    flush()
    return cues
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
