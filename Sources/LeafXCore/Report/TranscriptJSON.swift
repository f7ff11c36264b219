/// The JSON form of a transcript (`leafx transcribe --format json`, `leafx_result_to_json`):
///
/// ```
/// { "leafx_version", "audio": {"path", "duration"}, "model": {...}, "language",
///   "language_probability", "text",
///   "segments": [ {"id", "seek", "start", "end", "text", "avg_logprob", "no_speech_prob",
///                  "temperature", "compression_ratio",
///                  "tokens": [ {"id", "text", "probability"} ],
///                  "words": [ {"word", "start", "end", "probability"} ] } ] }
/// ```
/// "words" only with word timestamps (`words` given: TimedWord, grouped by their segment).
/// Times in seconds; `tokens` lists every token of the segment, timestamps included
/// (their text is `<|1.23|>`). The audio's and the model's "path" are their file names
/// unless `paths` is `.full` (`OutputPaths`).
public enum TranscriptJSON {
  public static func render(
    _ t: Transcript, model: WhisperModel?, audioPath: String?, paths: OutputPaths = .names, words: [TimedWord]? = nil
  ) -> String {
    var out = "{\"leafx_version\": \"\(LeafXVersion.string)\", "
    out += "\"audio\": {\"path\": \(audioPath.map { JSONText.quoted(paths.render($0)) } ?? "null"), "
    out += "\"duration\": \(JSONText.seconds(t.duration))}, "
    if let model { out += "\"model\": \(modelJSON(model, paths: paths)), " }
    out += "\"language\": \(JSONText.quoted(t.language)), "
    out += "\"language_probability\": \(JSONText.number(t.languageProbability)), "
    out += "\"text\": \(JSONText.quoted(t.text)), \"segments\": ["
    out += t.segments.enumerated().map { i, s in
      let tokens = zip(s.tokens, s.tokenProbabilities).map { id, p in
        "{\"id\": \(id), \"text\": \(JSONText.quoted(model?.tokenizer.tokenText(id) ?? "")), \"probability\": \(JSONText.number(p))}"
      }
      return "{\"id\": \(i), \"seek\": \(s.seek), \"start\": \(JSONText.seconds(s.start)), "
        + "\"end\": \(JSONText.seconds(s.end)), \"text\": \(JSONText.quoted(s.text)), "
        + "\"avg_logprob\": \(JSONText.number(s.avgLogProb)), \"no_speech_prob\": \(JSONText.number(s.noSpeechProb)), "
        + "\"temperature\": \(JSONText.number(s.temperature)), "
        + "\"compression_ratio\": \(JSONText.number(s.compressionRatio)), "
        + "\"tokens\": [\(tokens.joined(separator: ", "))]"
        + (words.map { all in ", \"words\": [" + all.filter { $0.segment == i }.map(wordJSON).joined(separator: ", ") + "]" } ?? "")
        + "}"
    }.joined(separator: ", ")
    return out + "]}"
  }

  static func wordJSON(_ w: TimedWord) -> String {
    "{\"word\": \(JSONText.quoted(w.word)), \"start\": \(JSONText.seconds(w.start)), \"end\": \(JSONText.seconds(w.end)), "
      + "\"probability\": \(JSONText.number(w.probability))}"
  }

  /// `{"name", "format", "path", "n_mels", …}`: what docs/json-schema.md puts under "model".
  /// "path" is the model's file or directory name ("tiny.en") unless `paths` is `.full`.
  public static func modelJSON(_ model: WhisperModel, paths: OutputPaths = .names) -> String {
    let d = model.dimensions
    let fields: [(String, Int)] = [
      ("n_mels", d.nMels), ("n_vocab", d.nVocab), ("n_audio_ctx", d.nAudioCtx), ("n_audio_state", d.nAudioState),
      ("n_audio_head", d.nAudioHead), ("n_audio_layer", d.nAudioLayer), ("n_text_ctx", d.nTextCtx),
      ("n_text_state", d.nTextState), ("n_text_head", d.nTextHead), ("n_text_layer", d.nTextLayer),
    ]
    return "{\"name\": \(JSONText.quoted(model.name)), \"format\": \"\(model.format.rawValue)\", "
      + "\"path\": \(JSONText.quoted(paths.render(model.path))), \"multilingual\": \(model.tokenizer.isMultilingual), "
      + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
  }
}
