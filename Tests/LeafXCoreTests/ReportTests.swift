import Testing

@testable import LeafXCore

/// The pieces of the HTML report and the SVG heatmap that can be checked without a browser:
/// encoders against their specifications, the colour tables against their published
/// endpoints, escaping, spectrogram pooling and the heatmap's geometry on a toy explanation.
struct ReportTests {
  @Test func base64MatchesRFC4648Vectors() {
    // RFC 4648 §10.
    let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
    for (plain, encoded) in vectors { #expect(Base64.encode(Array(plain.utf8)) == encoded) }
    #expect(Base64.encode([0xff, 0xfe, 0x00]) == "//4A")
  }

  @Test func wavHeaderAndSamples() {
    let wav = WAVEncoding.pcm16([0, 1, -1, 0.5, 2, .nan], sampleRate: 16_000)
    func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(wav[at + $1]) << (8 * $1) } }
    func i16(_ at: Int) -> Int16 { Int16(bitPattern: UInt16(wav[at]) | UInt16(wav[at + 1]) << 8) }
    #expect(String(decoding: wav[0..<4], as: UTF8.self) == "RIFF")
    #expect(String(decoding: wav[8..<16], as: UTF8.self) == "WAVEfmt ")
    #expect(u32(4) == wav.count - 8)
    #expect(u32(24) == 16_000 && u32(28) == 32_000)
    #expect(u32(40) == 12 && wav.count == 44 + 12)
    // Clipped to ±1, NaN written as silence.
    #expect((0..<6).map { i16(44 + 2 * $0) } == [0, 32767, -32767, 16384, 32767, 0])
  }

  @Test func colourScalesHitTheirPublishedEndpointsAndBrightenMonotonically() {
    #expect(ColourScale.viridis.hex(at: 0) == "#440154" && ColourScale.viridis.hex(at: 1) == "#fde725")
    #expect(ColourScale.cividis.hex(at: 0) == "#00224e" && ColourScale.cividis.hex(at: 1) == "#fee838")
    #expect(ColourScale.viridis.hex(at: 0.5) == "#21918c" && ColourScale.cividis.hex(at: 0.5) == "#7d7c78")
    #expect(ColourScale.viridis.hex(at: -3) == "#440154" && ColourScale.viridis.hex(at: .nan) == "#440154")
    // Readable in greyscale: luma rises along both scales.
    for scale in [ColourScale.viridis, .cividis] {
      let luma = scale.table(count: 64).indices.map { i -> Double in
        let (r, g, b) = scale.rgb(at: Double(i) / 63)
        return 0.299 * Double(r) + 0.587 * Double(g) + 0.114 * Double(b)
      }
      #expect(zip(luma, luma.dropFirst()).allSatisfy { $0 < $1 })
    }
  }

  @Test func sharesKeepTheirSignificantDigits() {
    let cases: [(Float, String)] = [
      (0.015408039, "0.0154"), (0.5, "0.5"), (0.00012, "0.00012"), (0.0099999998, "0.01"), (0.09996, "0.1"),
      (1.2345e-7, "1.23e-7"), (3e-9, "3e-9"), (0, "0"), (1, "1.0"), (0.999999, "1"),
    ]
    for (value, text) in cases { #expect(JSONText.share(value, digits: 3) == text, "\(value)") }
    // Round trip within half a unit of the third digit.
    for value: Float in [0.123456, 0.000987654, 4.5678e-6] {
      let back = Double(JSONText.share(value, digits: 3))!
      #expect(abs(back - Double(value)) <= 0.005 * Double(value))
    }
  }

  @Test func markupEscaping() {
    #expect(MarkupText.escaped("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;")
    let json = JSONText.quoted("</script><!-- x")
    #expect(!MarkupText.scriptJSON(json).contains("<"))
    #expect(MarkupText.scriptJSON(json) == "\"\\u003c/script>\\u003c!-- x\"")
  }

  @Test func spectrogramPoolsPairsOfMelFramesAndQuantises() {
    // 2 mels × 5 mel frames (10 ms) → ceil(700 / 320) = 3 frames of 20 ms.
    let mel = MelSpectrogram(nMels: 2, nFrames: 5, values: [0, 2, 4, 6, 8, /* mel 1 */ 1, 1, 1, 1, 1])
    let s = ReportSpectrogram(mel: mel, sampleCount: 700)
    #expect(s.nFrames == 3 && s.nMels == 2)
    // Means per frame: mel 0 → 1, 5, 8; mel 1 → 1, 1, 1. Frame-major, 1…8 onto 0…255.
    #expect(s.minimum == 1 && s.maximum == 8)
    #expect(s.levels == [0, 0, 146, 0, 255, 0])
  }

  /// Two tokens in a 1 s clip: token 0 on frames 10–14, token 1 on frame 40 alone.
  static func toyExplanation() -> Explanation {
    var first = [Float](repeating: 0, count: 50)
    for k in 10..<15 { first[k] = k == 12 ? 4 : 1 }
    var second = [Float](repeating: 0, count: 50)
    second[40] = 1
    let a = TokenAttribution(raw: first, offset: 0, paddingMass: 0)
    let b = TokenAttribution(raw: second, offset: 0, paddingMass: 0)
    let tokens = [
      ExplainedToken(index: 0, id: 1, text: " a<b", probability: 0.9, window: 0, attribution: a, flags: []),
      ExplainedToken(index: 1, id: 2, text: " c", probability: 0.4, window: 0, attribution: b, flags: .diffuse),
    ]
    let words = [
      ExplainedWord(word: " a<b", tokens: [0], probability: 0.9, attribution: a, flags: []),
      ExplainedWord(word: " c", tokens: [1], probability: 0.4, attribution: b, flags: .diffuse),
    ]
    let transcript = Transcript(language: "en", languageProbability: 1, segments: [], duration: 1)
    return Explanation(transcript: transcript, options: ExplainOptions(), forced: true, tokens: tokens, words: words)
  }

  @Test func heatmapRowsCellsAndSpansSitWhereTheAttributionIs() {
    let svg = HeatmapSVG.render(Self.toyExplanation(), title: "toy & co")
    // 50 frames → plot 720 units wide from x = 150: 14.4 units per frame.
    #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
    #expect(svg.contains("toy &amp; co") && svg.contains(">a&lt;b<") && svg.contains(">c ⚠<"))
    // Token 0: the peak frame 12 is the top of viridis; frames 10, 11, 13, 14 at 1/4 of it.
    #expect(svg.contains("<rect x=\"322.8\" y=\"34\" width=\"14.4\" height=\"14\" fill=\"#fde725\"/>"))
    #expect(svg.contains("<rect x=\"294\" y=\"34\" width=\"28.8\" height=\"14\" fill=\"\(ColourScale.viridis.hex(at: 8.0 / 31))\"/>"))
    // Its half-mass span is frame 12 alone (4/8 of the mass): one frame wide.
    #expect(svg.contains("<rect x=\"322.8\" y=\"34.5\" width=\"14.4\" height=\"13\" fill=\"none\" stroke=\"#000000\""))
    // Token 1: frame 40 on the second row.
    #expect(svg.contains("<rect x=\"726\" y=\"48\" width=\"14.4\" height=\"14\" fill=\"#fde725\"/>"))
    #expect(svg.components(separatedBy: "fill=\"#fde725\"").count - 1 == 2)
  }

  @Test func htmlPageEmbedsItsPartsAndEscapesText() {
    let e = Self.toyExplanation()
    let json = "{\"words\": [{\"word\": \"</script>\"}]}"
    let page = HTMLReport.render(
      e, explanationJSON: json, spectrogram: ReportSpectrogram(mel: MelSpectrogram(nMels: 1, nFrames: 2, values: [0, 1]), sampleCount: 320),
      wav: [1, 2, 3], title: "<x>.wav", modelName: "toy")
    #expect(page.contains("<title>leafx · &lt;x&gt;.wav</title>"))
    #expect(page.contains("id=\"leafx-explanation\">{\"words\": [{\"word\": \"\\u003c/script>\"}]}</script>"))
    #expect(page.contains("id=\"leafx-audio\">AQID</script>"))
    #expect(page.contains("\"n_mels\": 1, \"n_frames\": 1"))
    #expect(page.components(separatedBy: "<script").count - 1 == 5)
    #expect(!page.contains("http://") && !page.contains("https://"))
  }

  @Test func outputPathsNameFilesOrMakeThemAbsolute() {
    #expect(OutputPaths.names.render("/home/someone/calls/jfk.wav") == "jfk.wav")
    #expect(OutputPaths.names.render("models/tiny.en/") == "tiny.en")
    #expect(OutputPaths.names.render("jfk.wav") == "jfk.wav")
    #expect(OutputPaths.full.render("/a/./b/../c.wav") == "/a/c.wav")
    let cwd = OutputPaths.workingDirectory() ?? "/"
    #expect(OutputPaths.full.render("data/jfk.wav") == (cwd == "/" ? "" : cwd) + "/data/jfk.wav")
    // "." names the working directory, not ".".
    #expect(OutputPaths.names.render(".") == OutputPaths.fileName(cwd))
  }

  /// The JSON (and the HTML page, which embeds it) names the audio and the model by their file
  /// names unless asked for full paths: no absolute path of the machine by default.
  @Test func jsonCarriesFileNamesUnlessFullPathsAreAsked() throws {
    let model = try TinyEnJFKFixture.loaded.get().0
    #expect(model.path.hasPrefix("/") || model.path.contains("/"))
    let audio = "/home/someone/private/calls/jfk.wav"
    let e = Self.toyExplanation()
    let named = ExplanationJSON.render(e, model: model, audioPath: audio)
    #expect(named.contains("\"audio\": {\"path\": \"jfk.wav\""))
    #expect(named.contains("\"path\": \"tiny.en\""))
    #expect(!named.contains("/home/someone") && !named.contains(model.path))
    let full = ExplanationJSON.render(e, model: model, audioPath: audio, paths: .full)
    #expect(full.contains("\"audio\": {\"path\": \"\(audio)\""))
    #expect(full.contains("\"path\": \"\(OutputPaths.absolute(model.path))\""))
    let pcm = [Float](repeating: 0, count: 16_000)
    let page = try HTMLReport.render(e, model: model, audioPath: audio, pcm: pcm)
    #expect(page.contains("<title>leafx · jfk.wav</title>"))
    #expect(!page.contains("/home/someone") && !page.contains(model.path))
    let fullPage = try HTMLReport.render(e, model: model, audioPath: audio, pcm: pcm, paths: .full)
    #expect(fullPage.contains("<title>leafx · \(audio)</title>") && fullPage.contains(OutputPaths.absolute(model.path)))

    let transcript = Transcript(language: "en", languageProbability: 1, segments: [], duration: 1)
    let plain = TranscriptJSON.render(transcript, model: model, audioPath: audio)
    #expect(plain.contains("\"audio\": {\"path\": \"jfk.wav\"") && !plain.contains("/home/someone"))
    #expect(!plain.contains(model.path))
    #expect(TranscriptJSON.render(transcript, model: model, audioPath: audio, paths: .full).contains(audio))
    // The C ABI's JSON has no audio path at all, and the model by name.
    let abi = TranscriptJSON.render(transcript, model: model, audioPath: nil)
    #expect(abi.contains("\"audio\": {\"path\": null") && !abi.contains(model.path))
  }
}
