/// The JSON of docs/json-schema.md (`leafx explain --format json`, `leafx_result_to_json` on an
/// explained result): model, audio, method and parameters, the text, and per token and per
/// word the attribution over the audio frames of its window with its summary figures.
public enum ExplanationJSON {
  /// - Parameter valueDigits: significant digits of the attribution values (nil: full
  ///   precision); the HTML report embeds 3 (~0.7 of the size, invisible when drawn).
  /// - Parameter paths: the audio's and model's "path" as file names (default) or absolute.
  public static func render(
    _ e: Explanation, model: WhisperModel, audioPath: String?, valueDigits: Int? = nil, paths: OutputPaths = .names
  ) -> String {
    let o = e.options
    var out = "{\"leafx_version\": \"\(LeafXVersion.string)\", "
    out += "\"model\": \(TranscriptJSON.modelJSON(model, paths: paths)), "
    out += "\"audio\": {\"path\": \(audioPath.map { JSONText.quoted(paths.render($0)) } ?? "null"), "
    out += "\"duration\": \(JSONText.seconds(e.transcript.duration))}, "
    out += "\"method\": \"\(o.method.rawValue)\", "
    out += "\"params\": {\"tau\": \(JSONText.number(o.tau)), \"epsilon\": \(JSONText.number(o.epsilon)), "
    out += "\"depth\": \"\(o.depth.rawValue)\", \"seed\": \(o.seed), \"forced\": \(e.forced), \"verify\": \(o.verify)}, "
    out += "\"frame_seconds\": 0.02, \"text\": \(JSONText.quoted(e.text)), "
    out += "\"language\": \(JSONText.quoted(e.transcript.language)), \"tokens\": ["
    out += e.tokens.map { t in
      "{\"index\": \(t.index), \"id\": \(t.id), \"text\": \(JSONText.quoted(t.text)), "
        + "\"probability\": \(JSONText.number(t.probability)), \(summary(t.attribution, valueDigits)), \"flags\": \(flags(t.flags))}"
    }.joined(separator: ", ")
    out += "], \"words\": ["
    out += e.words.map { w in
      "{\"word\": \(JSONText.quoted(w.word)), \"tokens\": [\(w.tokens.map(String.init).joined(separator: ", "))], "
        + "\"probability\": \(JSONText.number(w.probability)), "
        + (w.boundary.map { "\"boundary_start\": \(JSONText.seconds($0.start)), \"boundary_end\": \(JSONText.seconds($0.end)), " } ?? "")
        + "\(summary(w.attribution, valueDigits)), \"flags\": \(flags(w.flags))"
        + (w.silenceCheck.map { ", \"silence_check\": " + silenceCheck($0) } ?? "") + "}"
    }.joined(separator: ", ")
    return out + "]}"
  }

  /// `--verify`: the span silenced, the word's log-probability with and without it, and the drop (nats).
  static func silenceCheck(_ c: SilenceCheck) -> String {
    "{\"start\": \(JSONText.seconds(c.start)), \"end\": \(JSONText.seconds(c.end)), "
      + "\"log_probability\": \(JSONText.number(c.logProbability)), "
      + "\"silenced_log_probability\": \(JSONText.number(c.silencedLogProbability)), \"drop\": \(JSONText.number(c.drop))}"
  }

  static func summary(_ a: TokenAttribution, _ valueDigits: Int? = nil) -> String {
    let value: (Float) -> String = valueDigits.map { digits in { JSONText.share($0, digits: digits) } } ?? JSONText.number
    return "\"peak\": \(JSONText.seconds(a.peak)), \"start\": \(JSONText.seconds(a.start)), \"end\": \(JSONText.seconds(a.end)), "
      + "\"entropy\": \(JSONText.number(a.normalizedEntropy)), \"padding_mass\": \(JSONText.number(a.paddingMass)), "
      + "\"attribution\": {\"offset\": \(a.offset), \"values\": [\(a.values.map(value).joined(separator: ", "))]}"
  }

  static func flags(_ flags: AuditFlags) -> String {
    "[" + flags.names.map(JSONText.quoted).joined(separator: ", ") + "]"
  }
}
