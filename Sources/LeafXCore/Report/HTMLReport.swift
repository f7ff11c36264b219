/// `leafx explain --format html`: one self-contained page (no network, no external script,
/// style or font) for a reviewer: the spectrogram of the audio, the transcript with each word
/// shaded by how well grounded it is, the tokens × time heatmap, each word's half-mass span,
/// and the audit flags with their reasons. Clicking a word highlights its attribution and
/// plays that stretch of the audio, which the page embeds as a WAV.
///
/// The page carries its data in `<script>` elements the script reads: the explanation in the
/// JSON of `leafx explain --format json` (`ExplanationJSON`, one schema for both), a small
/// settings object (thresholds, colour tables, spectrogram shape), the spectrogram
/// (`ReportSpectrogram`, base64 bytes) and the audio (`WAVEncoding`, base64). Size: about
/// 45 kB per second of audio for the WAV and spectrogram, plus the attributions' JSON (its
/// values to `valueDigits` significant digits; `--format json` keeps full precision).
public enum HTMLReport {
  /// Normalised entropy at or below which a word's attribution counts as fully concentrated
  /// in the grounding score (single words on the dev set sit around 0.3–0.6).
  public static let concentratedEntropy: Float = 0.3
  /// Audio played either side of a clicked word's half-mass span, seconds: the span alone can
  /// be 60 ms, too short to hear the word.
  public static let playMarginSeconds = 0.15
  /// Significant digits of the attribution values in the page's copy of the JSON: the page
  /// draws 64 colour levels; 3 digits make the JSON ~0.7 of its full-precision size.
  public static let valueDigits = 3

  /// The page for `e`, computing the spectrogram from `pcm` as the model sees it.
  /// - Parameters:
  ///   - pcm: the 16 kHz mono audio that was explained.
  ///   - audioPath: shown in the page and stored in the JSON, as `paths` writes it.
  ///   - paths: the audio's and model's paths as file names (default) or absolute.
  /// - Throws: what `WhisperModel.features` throws.
  public static func render(
    _ e: Explanation, model: WhisperModel, audioPath: String?, pcm: [Float], paths: OutputPaths = .names
  ) throws -> String {
    let spectrogram = ReportSpectrogram(mel: try model.features(pcm), sampleCount: pcm.count)
    return render(
      e, explanationJSON: ExplanationJSON.render(e, model: model, audioPath: audioPath, valueDigits: valueDigits, paths: paths),
      spectrogram: spectrogram, wav: WAVEncoding.pcm16(pcm), title: audioPath.map(paths.render) ?? "audio",
      modelName: model.name)
  }

  /// The page from its parts (the explanation's JSON as `ExplanationJSON` writes it).
  public static func render(
    _ e: Explanation, explanationJSON: String, spectrogram: ReportSpectrogram, wav: [UInt8], title: String, modelName: String
  ) -> String {
    let esc = MarkupText.escaped
    let words = e.words.count
    let flagged = e.words.filter { !$0.flags.isEmpty }.count
    var page = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <meta name="generator" content="leafx \(LeafXVersion.string)">
      <title>leafx · \(esc(title))</title>
      <style>
      \(ReportStyle.source)</style>
      </head>
      <body>
      <header>
      <h1>What the model heard: \(esc(title))</h1>
      <p class="meta">\(JSONText.seconds(e.transcript.duration)) s of audio · model \(esc(modelName)) · method \(esc(e.options.method.rawValue))\
      \(e.forced ? " (forced transcript)" : "") · language \(esc(e.transcript.language)) · \(words) words, \(e.tokens.count) tokens, \(flagged) flagged · leafx \(LeafXVersion.string)</p>
      </header>
      <section>
      <h2>Transcript</h2>
      <p class="legend">Each word is shaded by how well grounded it is in the audio:
      <b>grounding = p × c</b>, where p is the model's probability for the word and c how concentrated its attribution
      is: 1 when the attribution's normalised entropy H is at most \(JSONText.number(concentratedEntropy)), 0 from
      H = \(JSONText.number(AuditFlags.diffuseEntropy)) (the <i>diffuse</i> flag's threshold), linear between.
      <span class="scale" style="background: linear-gradient(to right, \(ColourScale.cividis.table(count: 9).joined(separator: ", ")))"></span>
      dark: weakly grounded, light: well grounded. A dashed underline and ⚠ mark an audit flag (listed below).
      Click a word (or focus it with Tab and press Enter; ← and → move) to highlight its attribution and play its
      half-mass span with \(Int(playMarginSeconds * 1000)) ms either side.</p>
      <div id="transcript"></div>
      </section>
      <section id="player">
      <audio id="audio" controls preload="auto"></audio>
      <div id="selection" data-word="-1" aria-live="polite">No word selected.</div>
      </section>
      <section>
      <h2>Timeline <button id="zoom-out" title="zoom out">−</button> <button id="zoom-in" title="zoom in">+</button></h2>
      <p class="legend">Top: the log-mel spectrogram the model sees (dark = loud, low frequencies at the bottom); each
      word's <b>half-mass span</b> (the shortest stretch of audio holding half of its attribution), shaded as in the
      transcript and labelled with its word (beside the box when the box is too short for it); the selected word's
      attribution. Below: the <b>tokens × time heatmap</b>, one row per token, each
      20 ms frame coloured by the token's attribution there relative to the row's maximum
      <span class="scale" style="background: linear-gradient(to right, \(ColourScale.viridis.table(count: 9).joined(separator: ", ")))"></span>
      (0 to row maximum); the boxed stretch is the token's half-mass span, grey is outside the 30 s window the token
      was decoded in. Scroll to move through time and tokens; click a span or a row to select its word.</p>
      <div id="timeline"><canvas id="heatmap" aria-label="tokens × time attribution heatmap"></canvas><div id="timeline-spacer"></div></div>
      </section>
      <section>
      <h2>Audit flags</h2>
      <p class="legend">Flags are <b>audit warnings, not verdicts</b>: they point a reviewer at words worth listening
      to. A flagged word can be right and an unflagged one wrong. <i>diffuse</i>: the attribution's normalised entropy
      exceeds \(JSONText.number(AuditFlags.diffuseEntropy)) (spread over much of its window rather than on one
      stretch of sound). <i>weak-support</i>: its peak lies more than \(JSONText.number(Float(AuditFlags.isolationSeconds))) s
      from the peaks of both neighbours, or the model's raw cross-attention put more than
      \(Int(AuditFlags.paddingMass * 100)) % of its mass on padding instead of audio. <i>unconfirmed</i> (only with
      <code>--verify</code>): silencing the span its attribution points at did not halve the word's probability.</p>
      <p id="flag-count"></p>
      <ul id="flag-list"></ul>
      </section>

      """
    page += "<script type=\"application/json\" id=\"leafx-explanation\">\(MarkupText.scriptJSON(explanationJSON))</script>\n"
    page += "<script type=\"application/json\" id=\"leafx-report\">\(MarkupText.scriptJSON(settingsJSON(spectrogram)))</script>\n"
    page += "<script type=\"text/plain\" id=\"leafx-spectrogram\">\(Base64.encode(spectrogram.levels))</script>\n"
    page += "<script type=\"text/plain\" id=\"leafx-audio\">\(Base64.encode(wav))</script>\n"
    page += "<script>\n\(ReportScript.source)</script>\n</body>\n</html>\n"
    return page
  }

  /// What the script needs besides the explanation: thresholds, colour tables, spectrogram shape.
  static func settingsJSON(_ s: ReportSpectrogram) -> String {
    func table(_ scale: ColourScale) -> String { "[" + scale.table(count: 64).map(JSONText.quoted).joined(separator: ", ") + "]" }
    return "{\"audit\": {\"diffuse_entropy\": \(JSONText.number(AuditFlags.diffuseEntropy)), "
      + "\"concentrated_entropy\": \(JSONText.number(concentratedEntropy)), "
      + "\"isolation_seconds\": \(AuditFlags.isolationSeconds), \"padding_mass\": \(JSONText.number(AuditFlags.paddingMass))}, "
      + "\"play_margin_seconds\": \(playMarginSeconds), "
      + "\"viridis\": \(table(.viridis)), \"cividis\": \(table(.cividis)), "
      + "\"spectrogram\": {\"n_mels\": \(s.nMels), \"n_frames\": \(s.nFrames), "
      + "\"min\": \(JSONText.number(s.minimum)), \"max\": \(JSONText.number(s.maximum))}}"
  }
}
