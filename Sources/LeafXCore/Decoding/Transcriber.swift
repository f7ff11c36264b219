/// One transcribed segment: a stretch of the recording between two timestamps (or a whole
/// window without timestamps).
public struct TranscriptSegment: Sendable, Equatable {
  /// Seconds from the start of the recording.
  public var start: Double
  public var end: Double
  public var text: String
  /// Tokens of the segment, timestamp tokens included, specials excluded.
  public var tokens: [Int]
  /// Probability of each token in `tokens` under the decoder's filtered distribution.
  public var tokenProbabilities: [Float]
  /// First mel frame (10 ms) of the window the segment was decoded in.
  public var seek: Int
  public var avgLogProb: Float
  public var noSpeechProb: Float
  public var temperature: Float
  public var compressionRatio: Float
}

/// One decoded 30 s window: what the decoder was given and what it wrote. Explanations
/// replay exactly this (docs/design.md, "Attention trace": a teacher-forced pass over the window's
/// final tokens).
public struct DecodedWindow: Sendable {
  /// First mel frame (10 ms) of the window.
  public var seek: Int
  /// Mel frames of audio in the window (≤ 3000; the rest is zero padding).
  public var frames: Int
  /// The decoder prompt: `[<|startofprev|> previous…] SOT-sequence [<|notimestamps|>]`.
  public var prompt: [Int]
  /// Tokens sampled after the prompt, without the final EOT (timestamps included).
  public var tokens: [Int]
  /// Probability of each of `tokens`.
  public var probabilities: [Float]
  /// The window's cross-attention keys and values, kept when the transcriber was asked to
  /// (`retainAudioContext`) so that an explanation need not run the encoder again.
  public var audio: WhisperDecoder.AudioContext? = nil
}

/// A whole transcription.
public struct Transcript: Sendable {
  public var language: String
  public var languageProbability: Float
  public var segments: [TranscriptSegment]
  /// The windows whose segments were kept, in order.
  public var windows: [DecodedWindow] = []
  /// Duration of the audio in seconds.
  public var duration: Double

  public var text: String { segments.map(\.text).joined() }
}

/// Long-form transcription as faster-whisper's `generate_segments` (openai-whisper's
/// `transcribe`): 30 s windows over the log-mel of the whole recording, each decoded with
/// temperature fallback; with timestamps the next window starts at the last complete
/// timestamp, otherwise at the window's end; silent windows (no-speech probability above the
/// threshold and low log-probability) are skipped; the previous windows' text conditions the
/// next one through `<|startofprev|>`.
public struct Transcriber {
  public let model: WhisperModel
  public let options: DecodingOptions
  /// Keep each window's encoder output (cross keys/values) in `Transcript.windows`, for an
  /// explanation that follows (costs ~2·L·1500·d floats per window, so memory grows with
  /// the recording; an explanation of the same call streams instead, see `Explainer`).
  public var retainAudioContext = false
  /// Fine-grained progress (stage `transcribe`) and cancellation, polled per decoded token
  /// and per encoder pass; `LeafXError.cancelled` is thrown once it reports a stop.
  public var monitor: ProgressMonitor?

  public init(model: WhisperModel, options: DecodingOptions) {
    self.model = model
    self.options = options
  }

  /// Mel frames per window and per second, and the encoder's frame stride (2 mel frames).
  static let windowFrames = 3000
  static let framesPerSecond = 100
  static let inputStride = 2

  /// Transcribes `pcm` (16 kHz mono). Streams: the log-mel is computed window by window and
  /// each window's encoder output is dropped once decoded (unless `retainAudioContext`), so
  /// beyond the PCM and the transcript memory stays bounded however long the recording.
  public func transcribe(_ pcm: [Float]) throws -> Transcript {
    try options.validate()
    let features = try model.streamedFeatures(pcm, monitor: monitor)
    return try transcribe(pcm, features: features, onWindow: nil)
  }

  /// A kept window as soon as it is decoded, with its encoder output and the fraction of the
  /// recording done once it is (for progress). Throwing stops the transcription.
  typealias WindowHandler = (DecodedWindow, WhisperDecoder.AudioContext, Double) throws -> Void

  /// The transcription loop over `features` of `pcm`, calling `onWindow` with each kept
  /// window before the next is decoded (how an explanation streams).
  func transcribe(_ pcm: [Float], features: StreamedLogMel, onWindow: WindowHandler?) throws -> Transcript {
    try options.validate()
    let tokenizer = model.tokenizer
    let contentFrames = features.nFrames - 1
    var decoder = WindowDecoder(model: model, options: options)
    if let monitor { decoder.shouldStop = { monitor.poll() } }
    let inputFrames = model.encoder.inputFrames
    func fraction(_ seek: Int) -> Double { min(1, Double(seek) / Double(max(contentFrames, 1))) }

    var language = options.language ?? "en"
    var languageProbability: Float = 1
    if tokenizer.isMultilingual {
      if let given = options.language {
        guard tokenizer.languageToken(code: given) != nil else {
          throw LeafXError.invalidArgument(argument: "language", reason: "unknown language code \"\(given)\"")
        }
      } else {
        // faster-whisper detects on the features of the first 30 s alone.
        let head = Array(pcm.prefix(LogMel.samplesPerWindow))
        let headMel = try model.features(head)
        let encoded = model.encoder.encode(
          model.window(of: headMel, start: 0, end: headMel.nFrames), shouldStop: monitor.map { m in { m.poll() } })
        try monitor?.checkCancelled()
        (language, languageProbability) = LanguageDetector(model: model).detect(encoded: encoded)
      }
    } else if let given = options.language, given != "en" {
      throw LeafXError.invalidArgument(argument: "language", reason: "\"\(given)\" given to an English-only model")
    }
    let sotSequence = try tokenizer.sotSequence(
      language: tokenizer.isMultilingual ? language : nil, task: options.task)
    // The start sequence and at least one new token must fit the decoder context.
    let maxLength = WindowDecoder.maxLength(options, model)
    let fixedPrompt = sotSequence.count + (options.withoutTimestamps ? 1 : 0)
    guard fixedPrompt < maxLength else {
      throw LeafXError.unsupported(
        "\(model.dimensions.nTextCtx) decoder positions (n_text_ctx) cannot hold the \(fixedPrompt)-token start sequence and one token")
    }

    var allTokens: [Int] = []
    if let initial = options.initialPrompt {
      allTokens += tokenizer.encode(" " + initial.stripped)
    }
    var promptResetSince = 0
    var segments: [TranscriptSegment] = []
    var windows: [DecodedWindow] = []
    var seek = 0
    while seek < contentFrames {
      try monitor?.checkCancelled()
      monitor?.report(fraction(seek), stage: .transcribe)
      let timeOffset = Double(seek) / Double(Self.framesPerSecond)
      let segmentSize = min(Self.windowFrames, contentFrames - seek)
      let segmentDuration = Double(segmentSize) / Double(Self.framesPerSecond)
      let encoded = model.encoder.encode(
        features.window(start: seek, end: seek + segmentSize, width: inputFrames), shouldStop: monitor.map { m in { m.poll() } })
      try monitor?.checkCancelled()
      let audio = model.decoder.audioContext(encoded)

      let previous = Array(allTokens[promptResetSince...])
      var prompt: [Int] = []
      // Previous text: at most half the context (openai-whisper), leaving room for the start
      // sequence and one new token in a short context.
      let keep = min(maxLength / 2 - 1, maxLength - fixedPrompt - 2)
      if !previous.isEmpty && keep > 0 {
        prompt.append(tokenizer.startOfPrev)
        prompt += previous.suffix(keep)
      }
      prompt += sotSequence
      if options.withoutTimestamps { prompt.append(tokenizer.noTimestamps) }

      let result = try decodeWithFallback(decoder, audio: audio, prompt: prompt)

      if let threshold = options.noSpeechThreshold, result.noSpeechProb > threshold,
        !(options.logProbThreshold.map { result.avgLogProb > $0 } ?? false)
      {
        seek += segmentSize
        continue
      }

      let window = DecodedWindow(
        seek: seek, frames: segmentSize, prompt: prompt, tokens: result.tokens,
        probabilities: result.tokenLogProbs.map { expf($0) }, audio: retainAudioContext ? audio : nil)
      windows.append(window)
      let (pieces, nextSeek) = split(
        result, timeOffset: timeOffset, segmentSize: segmentSize, segmentDuration: segmentDuration, seek: seek)
      try onWindow?(window, audio, fraction(nextSeek))
      for piece in pieces {
        let text = tokenizer.decode(piece.tokens)
        if piece.start == piece.end || text.stripped.isEmpty { continue }
        allTokens += piece.tokens
        segments.append(
          TranscriptSegment(
            start: piece.start, end: piece.end, text: text, tokens: piece.tokens,
            tokenProbabilities: piece.probabilities, seek: seek, avgLogProb: result.avgLogProb,
            noSpeechProb: result.noSpeechProb, temperature: result.temperature,
            compressionRatio: result.compressionRatio))
      }
      if !options.conditionOnPreviousText || result.temperature > options.promptResetOnTemperature {
        promptResetSince = allTokens.count
      }
      seek = nextSeek
    }
    if onWindow == nil { monitor?.report(1, stage: .transcribe) }
    return Transcript(
      language: language, languageProbability: languageProbability, segments: segments, windows: windows,
      duration: Double(pcm.count) / Double(LogMel.sampleRate))
  }

  /// Decodes at each temperature in turn until the result is neither too repetitive nor too
  /// improbable (or the window is judged silent); otherwise keeps the best attempt.
  /// - Throws: `LeafXError.cancelled` when the monitor stopped a decode midway.
  func decodeWithFallback(_ decoder: WindowDecoder, audio: WhisperDecoder.AudioContext, prompt: [Int]) throws
    -> WindowResult
  {
    var attempts: [WindowResult] = []
    var belowCompressionThreshold: [WindowResult] = []
    for temperature in options.temperatures {
      let result = decoder.decode(audio: audio, prompt: prompt, temperature: temperature)
      try monitor?.checkCancelled()
      attempts.append(result)
      var needsFallback = false
      if let threshold = options.compressionRatioThreshold {
        if result.compressionRatio > threshold {
          needsFallback = true
        } else {
          belowCompressionThreshold.append(result)
        }
      }
      if let threshold = options.logProbThreshold, result.avgLogProb < threshold { needsFallback = true }
      if let silence = options.noSpeechThreshold, result.noSpeechProb > silence,
        let threshold = options.logProbThreshold, result.avgLogProb < threshold
      {
        needsFallback = false
      }
      if !needsFallback { return result }
    }
    var best = (belowCompressionThreshold.isEmpty ? attempts : belowCompressionThreshold)
      .max { $0.avgLogProb < $1.avgLogProb }!
    best.temperature = options.temperatures.last!
    return best
  }

  struct Piece {
    var start: Double
    var end: Double
    var tokens: [Int]
    var probabilities: [Float]
  }

  /// Mel frames of a window that its kept segments cover, where the next window starts:
  /// the whole window, unless its tokens hold a consecutive timestamp pair and do not end with
  /// a single timestamp, when the last pair's timestamp (the text after it is decoded again).
  static func decodedFrames(_ tokens: [Int], timestampBegin begin: Int, windowFrames: Int) -> Int {
    func isTimestamp(_ t: Int) -> Bool { t >= begin }
    let singleTimestampEnding = tokens.count >= 2 && !isTimestamp(tokens[tokens.count - 2]) && isTimestamp(tokens.last!)
    guard !singleTimestampEnding,
      let lastPair = tokens.indices.last(where: { $0 > 0 && isTimestamp(tokens[$0]) && isTimestamp(tokens[$0 - 1]) })
    else { return windowFrames }
    return (tokens[lastPair - 1] - begin) * inputStride
  }

  /// Splits a window's tokens into segments at consecutive timestamp pairs and returns where
  /// the next window starts (faster-whisper's `_split_segments_by_timestamps`).
  func split(_ result: WindowResult, timeOffset: Double, segmentSize: Int, segmentDuration: Double, seek: Int)
    -> ([Piece], Int)
  {
    let tokens = result.tokens
    let probabilities = result.tokenLogProbs.map { expf($0) }
    let begin = model.tokenizer.timestampBegin
    let precision = 0.02
    func isTimestamp(_ t: Int) -> Bool { t >= begin }
    let singleTimestampEnding = tokens.count >= 2 && !isTimestamp(tokens[tokens.count - 2]) && isTimestamp(tokens.last!)
    let consecutive = tokens.indices.filter { $0 > 0 && isTimestamp(tokens[$0]) && isTimestamp(tokens[$0 - 1]) }
    var pieces: [Piece] = []
    if !consecutive.isEmpty {
      var slices = consecutive
      if singleTimestampEnding { slices.append(tokens.count) }
      var last = 0
      for current in slices {
        let sliced = Array(tokens[last..<current])
        pieces.append(
          Piece(
            start: timeOffset + Double(sliced.first! - begin) * precision,
            end: timeOffset + Double(sliced.last! - begin) * precision,
            tokens: sliced, probabilities: Array(probabilities[last..<current])))
        last = current
      }
    } else {
      var duration = segmentDuration
      if let lastTimestamp = tokens.last(where: isTimestamp), lastTimestamp != begin {
        duration = Double(lastTimestamp - begin) * precision
      }
      pieces.append(
        Piece(start: timeOffset, end: timeOffset + duration, tokens: tokens, probabilities: probabilities))
    }
    return (pieces, seek + Self.decodedFrames(tokens, timestampBegin: begin, windowFrames: segmentSize))
  }
}

#if canImport(Glibc)
  import Glibc
#endif
