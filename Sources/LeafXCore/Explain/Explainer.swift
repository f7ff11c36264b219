/// Decodes (or takes a given transcript) and explains every written token (docs/methods.md):
/// for each decoded window, one teacher-forced pass over its prompt and tokens records the
/// attention trace; the chosen method turns it into a distribution over the window's audio
/// frames per text token; tokens are grouped into words.
public struct Explainer {
  public let model: WhisperModel
  public var options: ExplainOptions
  public var decoding: DecodingOptions
  /// Fine-grained progress (stages `transcribe` and `explain`, the fraction of the recording
  /// done) and cancellation, polled per decoded token and per teacher-forced or backward
  /// pass; `LeafXError.cancelled` is thrown once it reports a stop.
  public var monitor: ProgressMonitor?
  /// Decode audio longer than 30 s with timestamps even when `decoding` asks for none:
  /// without them Whisper seeks window by window blindly and skips speech (on the dev set
  /// joined into 44 s, greedy decoding without timestamps dropped two whole utterances).
  public var timestampsBeyondOneWindow = true

  public init(model: WhisperModel, options: ExplainOptions, decoding: DecodingOptions) {
    self.model = model
    self.options = options
    self.decoding = decoding
  }

  /// Greedy decoding without timestamps (the convention the reference attributions use);
  /// `leafx explain` starts from these. Audio longer than one window is decoded with
  /// timestamps all the same (see `timestampsBeyondOneWindow`).
  public static var defaultDecoding: DecodingOptions {
    var d = DecodingOptions()
    d.beamSize = 1
    d.withoutTimestamps = true
    return d
  }

  /// Explains `pcm` (16 kHz mono). With `text`, explains that transcript (forced mode, audio
  /// of at most 30 s) instead of decoding.
  public func explain(_ pcm: [Float], text: String? = nil) throws -> Explanation {
    try explain(pcm, text: text, methods: [options.method])[0]
  }

  /// Explains `pcm` with several methods from one decoding and one attention trace per
  /// window (what the benchmark does). Returns one explanation per method, in order.
  ///
  /// Streams: each window is explained as soon as it is decoded and its encoder output
  /// dropped, and the log-mel is computed per window, so beyond the PCM and the
  /// explanations memory stays bounded however long the recording (docs/design.md, "Reliability").
  public func explain(_ pcm: [Float], text: String?, methods: [AttributionMethod]) throws -> [Explanation] {
    try options.validate()
    if let text {
      let transcript = try forcedTranscript(pcm, text: text)
      return try explain(pcm, transcript: transcript, forced: true, methods: methods)
    }
    var options = decoding
    if timestampsBeyondOneWindow && pcm.count > LogMel.samplesPerWindow { options.withoutTimestamps = false }
    var transcriber = Transcriber(model: model, options: options)
    transcriber.monitor = monitor
    let features = try model.streamedFeatures(pcm, monitor: monitor)
    let accumulator = ExplainedTokens(methods: methods.count)
    let transcript = try transcriber.transcribe(pcm, features: features) { window, audio, done in
      var window = window
      window.audio = audio
      try explainAndAppend(
        window, index: accumulator.windows, features: features, sampleCount: pcm.count, methods: methods,
        into: accumulator)
      monitor?.report(done, stage: .explain)
    }
    monitor?.report(1, stage: .explain)
    return assemble(transcript, forced: false, methods: methods, accumulator: accumulator)
  }

  /// What `explain` explains: the decoding of `pcm` (keeping each window's encoder output,
  /// so not streamed), or with `text` the forced transcript; for diagnosis and benchmarks.
  public func transcript(_ pcm: [Float], text: String?) throws -> Transcript {
    if let text { return try forcedTranscript(pcm, text: text) }
    var options = decoding
    if timestampsBeyondOneWindow && pcm.count > LogMel.samplesPerWindow { options.withoutTimestamps = false }
    var transcriber = Transcriber(model: model, options: options)
    transcriber.monitor = monitor
    transcriber.retainAudioContext = true
    return try transcriber.transcribe(pcm)
  }

  /// Explains an existing transcript of `pcm` (its windows are replayed) with each method.
  public func explain(
    _ pcm: [Float], transcript: Transcript, forced: Bool, methods: [AttributionMethod]
  ) throws -> [Explanation] {
    try options.validate()
    // Log-mel (window by window) only when a window must be encoded again or a method
    // removes audio.
    let features = LazyFeatures(model: model, pcm: pcm)
    let accumulator = ExplainedTokens(methods: methods.count)
    for (windowIndex, window) in transcript.windows.enumerated() {
      try explainAndAppend(
        window, index: windowIndex, features: features, sampleCount: pcm.count, methods: methods, into: accumulator)
      let done = Double(windowIndex + 1) / Double(transcript.windows.count)
      monitor?.report(done, stage: .explain)
    }
    return assemble(transcript, forced: forced, methods: methods, accumulator: accumulator)
  }

  /// Explains one window with every method and appends its tokens (numbered, flagged).
  private func explainAndAppend(
    _ window: DecodedWindow, index windowIndex: Int, features: WindowFeatures, sampleCount: Int,
    methods: [AttributionMethod], into accumulator: ExplainedTokens
  ) throws {
    let (perMethod, words, checks, boundaries) = try explainWindow(
      window, features: features, sampleCount: sampleCount, methods: methods)
    let first = accumulator.tokens.first?.count ?? 0
    accumulator.words += words.map { $0.offsetBy(first) }
    for m in boundaries.indices { accumulator.boundaries[m] += boundaries[m] }
    for (m, explained) in perMethod.enumerated() {
      let flags = AuditFlags.flags(explained.map(\.attribution))
      for (k, var token) in explained.enumerated() {
        token.index = accumulator.tokens[m].count
        token.window = windowIndex
        token.flags = flags[k]
        if m < checks.count, let check = checks[m][k] { accumulator.checks[m][token.index] = check }
        accumulator.tokens[m].append(token)
      }
    }
    accumulator.windows += 1
  }

  /// One explanation per method from the explained tokens of every window.
  private func assemble(
    _ transcript: Transcript, forced: Bool, methods: [AttributionMethod], accumulator: ExplainedTokens
  ) -> [Explanation] {
    methods.indices.map { m in
      var methodOptions = options
      methodOptions.method = methods[m]
      let tokens = accumulator.tokens[m]
      return Explanation(
        transcript: transcript, options: methodOptions, forced: forced, tokens: tokens,
        words: words(
          tokens, groups: accumulator.words, silenceChecks: accumulator.checks[m], boundaries: accumulator.boundaries[m]))
    }
  }

  /// The explained tokens of one window, per method; its words, as Whisper groups the
  /// tokens (`tokenIndices` count the window's explained tokens; the one grouping that
  /// `words` and `--verify` share); and with `options.verify` the `SilenceCheck` of each
  /// word, at the word's first token (`checks[m][k]`; nil elsewhere, and no rows without
  /// `verify`); and per method each word's boundaries (WordBoundaries, from that method's maps).
  func explainWindow(
    _ window: DecodedWindow, features: WindowFeatures, sampleCount: Int, methods: [AttributionMethod]
  ) throws -> (
    tokens: [[ExplainedToken]], words: [WordTokens], checks: [[SilenceCheck?]], boundaries: [[WordInterval]]
  ) {
    guard let (context, positions) = try makeContext(window, features: features, sampleCount: sampleCount)
    else { return (methods.map { _ in [] }, [], [], methods.map { _ in [] }) }
    let tokenizer = model.tokenizer
    let input = context.input
    let rows = context.rows
    let offset = window.seek / 2
    try monitor?.checkCancelled()
    let trace = context.trace
    let lastLayer = trace.layers - 1
    let tokens = try methods.map { method in
      try monitor?.checkCancelled()
      var methodOptions = options
      methodOptions.method = method
      let values = try MethodRunner(options: methodOptions).attributions(context)
      return positions.enumerated().map { k, position in
        let row = rows[k]
        let padding = trace.crossPadding[lastLayer].reduce(0) { $0 + $1[row] } / Float(max(trace.heads, 1))
        let id = input[position]
        return ExplainedToken(
          index: 0, id: id, text: tokenizer.tokenText(id), probability: window.probabilities[position - window.prompt.count],
          window: 0, attribution: TokenAttribution(raw: values[k], offset: offset, paddingMass: padding), flags: [])
      }
    }
    // The window's language is in its prompt (none on English-only models: English).
    let language = window.prompt.lazy.compactMap { tokenizer.languageCode(token: $0) }.first
    let groups = tokenizer.splitToWordTokens(positions.map { input[$0] }, language: language)
      .filter { !$0.tokenIndices.isEmpty }
    // Per method, each word's attribution (its tokens' maps summed), for the boundaries and
    // the silence check.
    let wordAttributions = tokens.map { explained in
      groups.map { ExplainedWord.attribution(of: $0.tokenIndices.map { explained[$0] }) }
    }
    let boundaries = try wordBoundaries(
      window, groups: groups, wordAttributions: wordAttributions, features: features, offset: offset)
    guard options.verify else { return (tokens, groups, [], boundaries) }
    let scorer = try context.maskedScorer()
    let checks = try zip(tokens, wordAttributions).map { explained, attributions -> [SilenceCheck?] in
      try monitor?.checkCancelled()
      let words = zip(groups, attributions).map { group, attribution in (tokens: group.tokenIndices, attribution: attribution) }
      var byFirstToken = [SilenceCheck?](repeating: nil, count: explained.count)
      for (word, check) in zip(words, try SilenceCheck.check(words: words, scorer: scorer)) {
        byFirstToken[word.tokens[0]] = check
      }
      return byFirstToken
    }
    return (tokens, groups, checks, boundaries)
  }

  /// Per method, the boundaries of a window's words from that method's maps and the window's
  /// log-mel energy.
  private func wordBoundaries(
    _ window: DecodedWindow, groups: [WordTokens], wordAttributions: [[TokenAttribution]], features: WindowFeatures,
    offset: Int
  ) throws -> [[WordInterval]] {
    guard let frames = wordAttributions.first?.first?.values.count, !groups.isEmpty else {
      return wordAttributions.map { _ in [] }
    }
    // Only the frames the window's kept segments cover: the next window starts where they end
    // and hears the rest again, so words segmented past it would overlap that window's.
    let decoded = Transcriber.decodedFrames(
      window.tokens, timestampBegin: model.tokenizer.timestampBegin, windowFrames: window.frames)
    let covered = min(frames, max(groups.count, (decoded + 1) / 2))
    let width = model.encoder.inputFrames
    let mel = try features.melWindow(window, width: width).mel
    let energy = WordBoundaries.frameEnergy(mel: mel, nMels: model.dimensions.nMels, width: width, frames: covered)
    return wordAttributions.map { attributions in
      let maps = attributions.map { Array($0.values.prefix(covered)) }
      return WordBoundaries.intervals(words: groups.map(\.text), maps: maps, energy: energy, offset: offset)
    }
  }

  /// The context of one decoded window and the input positions of its explained (text)
  /// tokens, or nil when the window wrote no text token. The window's encoder output is the
  /// transcriber's when it kept it, else one encoder pass over `features`.
  func makeContext(
    _ window: DecodedWindow, features: WindowFeatures, sampleCount: Int
  ) throws -> (WindowContext, [Int])? {
    let tokenizer = model.tokenizer
    let input = window.prompt + window.tokens
    guard input.count <= model.dimensions.nTextCtx else {
      throw LeafXError.invalidArgument(
        argument: "text", reason: "\(input.count) tokens exceed the decoder context of \(model.dimensions.nTextCtx)")
    }
    // Positions of the text tokens in the input, and the rows that predicted them.
    let positions = window.tokens.indices.filter { !tokenizer.isSpecial(window.tokens[$0]) }.map { window.prompt.count + $0 }
    guard !positions.isEmpty else { return nil }
    let rows = positions.map { $0 - 1 }

    let audio: WhisperDecoder.AudioContext
    if let kept = window.audio {
      audio = kept
    } else {
      let mel = try features.streamed()
      let encoded = model.encoder.encode(
        mel.window(start: window.seek, end: window.seek + window.frames, width: model.encoder.inputFrames),
        shouldStop: monitor.map { m in { m.poll() } })
      try monitor?.checkCancelled()
      audio = model.decoder.audioContext(encoded)
    }
    let context = WindowContext(
      model: model, input: input, rows: rows, targets: positions.map { input[$0] }, audio: audio,
      audioFrames: Self.audioFrames(window, sampleCount: sampleCount), windowSeek: window.seek,
      melWindow: { [model] in try features.melWindow(window, width: model.encoder.inputFrames) })
    if let monitor { context.checkCancelled = { try monitor.checkCancelled() } }
    return (context, positions)
  }

  /// Calls `body` with each window of `transcript` that wrote text: its context and the input
  /// positions of its explained tokens (for diagnosis).
  func forEachWindow(
    _ pcm: [Float], transcript: Transcript, body: (DecodedWindow, WindowContext, [Int]) throws -> Void
  ) throws {
    let features = LazyFeatures(model: model, pcm: pcm)
    for window in transcript.windows {
      guard let (context, positions) = try makeContext(window, features: features, sampleCount: pcm.count)
      else { continue }
      try body(window, context, positions)
    }
  }

  /// Forced mode: the given text as one window's tokens, with their probabilities under a
  /// teacher-forced pass.
  func forcedTranscript(_ pcm: [Float], text: String) throws -> Transcript {
    guard pcm.count <= LogMel.samplesPerWindow else {
      throw LeafXError.unsupported("forced mode (--text) explains audio of at most 30 s; this is \(Double(pcm.count) / 16000) s")
    }
    let tokenizer = model.tokenizer
    let stripped = text.stripped
    guard !stripped.isEmpty else {
      throw LeafXError.invalidArgument(argument: "text", reason: "the forced transcript is empty")
    }
    let tokens = tokenizer.encode(" " + stripped)
    let language = decoding.language ?? "en"
    // As the transcriber: an English-only model has no language token, and the words are
    // grouped (here and by --verify) as English.
    guard tokenizer.isMultilingual || language == "en" else {
      throw LeafXError.invalidArgument(argument: "language", reason: "\"\(language)\" given to an English-only model")
    }
    let prompt = try tokenizer.sotSequence(language: tokenizer.isMultilingual ? language : nil, task: decoding.task)
      + [tokenizer.noTimestamps]
    guard prompt.count + tokens.count + 1 <= model.dimensions.nTextCtx else {
      throw LeafXError.invalidArgument(
        argument: "text", reason: "\(tokens.count) tokens exceed the decoder context of \(model.dimensions.nTextCtx)")
    }
    let mel = try model.features(pcm)
    let frames = max(0, mel.nFrames - 1)
    let encoded = model.encoder.encode(model.window(of: mel, start: 0, end: frames))
    let audio = model.decoder.audioContext(encoded)
    var cache = WhisperDecoder.Cache(layers: model.dimensions.nTextLayer)
    let input = prompt + tokens
    // Token k is predicted by the row before it: the last tokens.count + 1 rows, minus the last.
    let logits = model.decoder.forward(input, cache: &cache, audio: audio, logitRows: tokens.count + 1)
    let vocab = model.dimensions.nVocab
    let probabilities = tokens.indices.map { k in
      logits.withUnsafeBufferPointer { l -> Float in
        let row = l.baseAddress! + k * vocab
        return expf(row[tokens[k]] - Softmax.logSumExp(row, count: vocab))
      }
    }
    let window = DecodedWindow(
      seek: 0, frames: frames, prompt: prompt, tokens: tokens, probabilities: probabilities, audio: audio)
    let segment = TranscriptSegment(
      start: 0, end: Double(pcm.count) / 16000, text: tokenizer.decode(tokens), tokens: tokens,
      tokenProbabilities: probabilities, seek: 0, avgLogProb: probabilities.map { logf($0) }.reduce(0, +) / Float(max(tokens.count, 1)),
      noSpeechProb: 0, temperature: 0, compressionRatio: CompressionRatio.of(tokenizer.decode(tokens)))
    return Transcript(
      language: language, languageProbability: 1, segments: [segment], windows: [window],
      duration: Double(pcm.count) / 16000)
  }

  /// The words of `tokens` (all of an utterance's explained tokens, `index` their position)
  /// from `groups`, the words `explainWindow` grouped (per window, so no word spans two
  /// windows; `tokenIndices` index `tokens`), with their attribution and audit flags.
  func words(
    _ tokens: [ExplainedToken], groups: [WordTokens], silenceChecks: [Int: SilenceCheck] = [:],
    boundaries: [WordInterval] = []
  ) -> [ExplainedWord] {
    var words = groups.enumerated().map { index, group -> ExplainedWord in
      let members = group.tokenIndices.map { tokens[$0] }
      return ExplainedWord(
        word: group.text.stripped, tokens: members.map(\.index),
        probability: members.map(\.probability).reduce(0, +) / Float(members.count),
        attribution: ExplainedWord.attribution(of: members), flags: [], silenceCheck: silenceChecks[members[0].index],
        boundary: boundaries.indices.contains(index) ? boundaries[index] : nil)
    }
    let flags = AuditFlags.flags(words.map(\.attribution))
    for i in words.indices {
      words[i].flags = flags[i]
      if let check = words[i].silenceCheck, !check.confirmed { words[i].flags.insert(.unconfirmed) }
    }
    return words
  }
}

/// Where a window's log-mel comes from: the recording's streamed features, made on demand.
protocol WindowFeatures {
  func streamed() throws -> StreamedLogMel
}

extension WindowFeatures {
  /// The encoder input of `window` (`[n_mels, width]`) and the recording's silence value
  /// (MaskedScoring), for the methods and metrics that remove audio.
  func melWindow(_ window: DecodedWindow, width: Int) throws -> (mel: [Float], silence: Float) {
    let mel = try streamed()
    return (
      mel.window(start: window.seek, end: window.seek + window.frames, width: width),
      MaskedScoring.silenceValue(maximum: mel.maximum)
    )
  }
}

extension StreamedLogMel: WindowFeatures {
  func streamed() throws -> StreamedLogMel { self }
}

/// The recording's streamed log-mel, set up (one pass for its maximum) when first needed.
final class LazyFeatures: WindowFeatures {
  let model: WhisperModel
  let pcm: [Float]
  private var cached: StreamedLogMel?

  init(model: WhisperModel, pcm: [Float]) {
    self.model = model
    self.pcm = pcm
  }

  func streamed() throws -> StreamedLogMel {
    if let cached { return cached }
    let made = try model.streamedFeatures(pcm)
    cached = made
    return made
  }
}

/// The explained tokens of the windows done so far, per method.
final class ExplainedTokens {
  var tokens: [[ExplainedToken]]
  /// The words of those tokens (`tokenIndices` index each method's `tokens`).
  var words: [WordTokens] = []
  /// Per method, the silence check of each checked word by its first token's index.
  var checks: [[Int: SilenceCheck]]
  /// Per method, the boundaries of `words`.
  var boundaries: [[WordInterval]]
  var windows = 0

  init(methods: Int) {
    tokens = Array(repeating: [], count: methods)
    checks = Array(repeating: [:], count: methods)
    boundaries = Array(repeating: [], count: methods)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
