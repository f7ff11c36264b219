import CLeafXABI
import LeafXCore

// leafx_transcribe and the result accessors (include/leafx.h, "Transcription").

private let transcribeParamsSize = MemoryLayout<leafx_transcribe_params>.size
/// leafx_transcribe_params of leafx 0.1 and 0.2 ends where word_timestamps begins.
private let transcribeParamsMinimumSize = MemoryLayout<leafx_transcribe_params>.offset(of: \leafx_transcribe_params.word_timestamps)!

private func defaultTranscribeParams() -> leafx_transcribe_params {
  let d = DecodingOptions()
  var p = leafx_transcribe_params()
  p.struct_size = transcribeParamsSize
  p.language = nil
  p.task = Int32(LEAFX_TASK_TRANSCRIBE.rawValue)
  p.beam_size = Int32(d.beamSize)
  p.patience = d.patience
  p.best_of = Int32(d.bestOf)
  p.length_penalty = d.lengthPenalty
  p.temperatures = nil
  p.n_temperatures = 0
  p.compression_ratio_threshold = d.compressionRatioThreshold ?? .nan
  p.log_prob_threshold = d.logProbThreshold ?? .nan
  p.no_speech_threshold = d.noSpeechThreshold ?? .nan
  p.condition_on_previous_text = d.conditionOnPreviousText ? 1 : 0
  p.without_timestamps = d.withoutTimestamps ? 1 : 0
  p.max_initial_timestamp_s = d.maxInitialTimestamp
  p.suppress_blank = d.suppressBlank ? 1 : 0
  p.initial_prompt = nil
  p.seed = d.seed
  p.word_timestamps = 0
  return p
}

/// Core options from the caller's struct, and its callbacks.
struct TranscribeRequest {
  var options: DecodingOptions
  var wordTimestamps = false
  var progress: leafx_progress_callback?
  var progressUserData: UnsafeMutableRawPointer?
  var abort: leafx_abort_callback?
  var abortUserData: UnsafeMutableRawPointer?

  /// The core monitor: reports to the caller's progress callback (with the stage's static
  /// name) and polls its abort callback (per decoded token, per pass).
  func monitor() -> ProgressMonitor? {
    guard progress != nil || abort != nil else { return nil }
    let (progressUserData, abortUserData) = (self.progressUserData, self.abortUserData)
    return ProgressMonitor(
      report: progress.map { callback in
        { fraction, stage in callback(Float(fraction), stageName(stage), progressUserData) }
      },
      shouldStop: abort.map { callback in { callback(abortUserData) != 0 } })
  }
}

/// The static C string the progress callback gets for a stage.
private func stageName(_ stage: ProgressMonitor.Stage) -> UnsafePointer<CChar> {
  let name: StaticString
  switch stage {
  case .features: name = "features"
  case .transcribe: name = "transcribe"
  case .explain: name = "explain"
  }
  return UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
}

func transcribeOptions(_ params: UnsafePointer<leafx_transcribe_params>?) throws -> TranscribeRequest {
  try transcribeRequest(params)
}

private func transcribeRequest(_ params: UnsafePointer<leafx_transcribe_params>?) throws -> TranscribeRequest {
  let raw = try ParamsStruct.read(
    params, defaults: defaultTranscribeParams(), minimumSize: transcribeParamsMinimumSize, name: "leafx_transcribe_params")
  return try asParamsField {
    var o = DecodingOptions()
    o.language = raw.language.map { String(cString: $0) }
    switch raw.task {
    case Int32(LEAFX_TASK_TRANSCRIBE.rawValue): o.task = .transcribe
    case Int32(LEAFX_TASK_TRANSLATE.rawValue): o.task = .translate
    default: throw LeafXError.invalidArgument(argument: "task", reason: "\(raw.task) is not a leafx_task")
    }
    o.beamSize = Int(raw.beam_size)
    o.patience = raw.patience
    o.bestOf = Int(raw.best_of)
    o.lengthPenalty = raw.length_penalty
    if let temperatures = raw.temperatures {
      guard (1...32).contains(raw.n_temperatures) else {
        throw LeafXError.invalidArgument(argument: "n_temperatures", reason: "\(raw.n_temperatures) is outside 1...32")
      }
      o.temperatures = Array(UnsafeBufferPointer(start: temperatures, count: raw.n_temperatures))
    }
    o.compressionRatioThreshold = raw.compression_ratio_threshold.isNaN ? nil : raw.compression_ratio_threshold
    o.logProbThreshold = raw.log_prob_threshold.isNaN ? nil : raw.log_prob_threshold
    o.noSpeechThreshold = raw.no_speech_threshold.isNaN ? nil : raw.no_speech_threshold
    for (name, value) in [
      ("condition_on_previous_text", raw.condition_on_previous_text), ("without_timestamps", raw.without_timestamps),
      ("suppress_blank", raw.suppress_blank), ("word_timestamps", raw.word_timestamps),
    ] where value != 0 && value != 1 {
      throw LeafXError.invalidArgument(argument: name, reason: "\(value) must be 0 or 1")
    }
    o.conditionOnPreviousText = raw.condition_on_previous_text == 1
    o.withoutTimestamps = raw.without_timestamps == 1
    o.suppressBlank = raw.suppress_blank == 1
    o.maxInitialTimestamp = raw.max_initial_timestamp_s
    o.initialPrompt = raw.initial_prompt.map { String(cString: $0) }
    o.seed = raw.seed
    try o.validate()
    return TranscribeRequest(
      options: o, wordTimestamps: raw.word_timestamps == 1, progress: raw.progress, progressUserData: raw.progress_user_data, abort: raw.abort,
      abortUserData: raw.abort_user_data)
  }
}

@c @implementation
public func leafx_transcribe_params_init(
  _ params: UnsafeMutablePointer<leafx_transcribe_params>?, _ structSize: Int
) -> leafx_status {
  abiCall("leafx_transcribe_params_init") {
    try ParamsStruct.initialize(
      params, size: structSize, defaults: defaultTranscribeParams(), minimumSize: transcribeParamsMinimumSize,
      structSize: \.struct_size, name: "leafx_transcribe_params")
  }
}

@c @implementation
public func leafx_transcribe_params_validate(_ params: UnsafePointer<leafx_transcribe_params>?) -> leafx_status {
  abiCall("leafx_transcribe_params_validate") { _ = try transcribeRequest(try required(params, "params")) }
}

/// Checks and borrows PCM arguments.
func pcmArgument(_ pcm: UnsafePointer<Float>?, _ count: Int) throws -> [Float] {
  // size_t values above Int.max arrive negative.
  guard (0...LogMel.maxSamples).contains(count) else {
    throw LeafXError.invalidArgument(
      argument: "n_samples", reason: "\(UInt(bitPattern: count)) exceeds the limit of \(LogMel.maxSamples)")
  }
  if count == 0 { return [] }
  return Array(UnsafeBufferPointer(start: try required(pcm, "pcm"), count: count))
}

@c @implementation
public func leafx_transcribe(
  _ model: OpaquePointer?, _ pcm: UnsafePointer<Float>?, _ nSamples: Int,
  _ params: UnsafePointer<leafx_transcribe_params>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> leafx_status {
  out?.pointee = nil
  return abiCall("leafx_transcribe") {
    let handle = try HandleRegistry.shared.object(model, as: ModelHandle.self, argument: "model")
    let out = try required(out, "out")
    let samples = try pcmArgument(pcm, nSamples)
    let request = try transcribeRequest(params)
    if request.wordTimestamps {
      let timed = try WordTimestamps.transcribe(
        samples, model: handle.model, decoding: request.options, monitor: request.monitor())
      out.pointee = HandleRegistry.shared.insert(ResultHandle(timed, model: handle.model, samples: samples.count))
      return
    }
    var transcriber = Transcriber(model: handle.model, options: request.options)
    transcriber.monitor = request.monitor()
    let transcript = try transcriber.transcribe(samples)
    out.pointee = HandleRegistry.shared.insert(ResultHandle(transcript, model: handle.model))
  }
}

@c @implementation
public func leafx_result_text(_ result: OpaquePointer?, _ text: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> leafx_status {
  text?.pointee = nil
  return abiCall("leafx_result_text") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    try required(text, "text").pointee = UnsafePointer(handle.text.pointer)
  }
}

@c @implementation
public func leafx_result_language(
  _ result: OpaquePointer?, _ code: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
  _ probability: UnsafeMutablePointer<Float>?
) -> leafx_status {
  code?.pointee = nil
  probability?.pointee = 0
  return abiCall("leafx_result_language") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    try required(code, "code").pointee = UnsafePointer(handle.language.pointer)
    probability?.pointee = handle.languageProbability
  }
}

@c @implementation
public func leafx_result_n_segments(_ result: OpaquePointer?, _ count: UnsafeMutablePointer<Int>?) -> leafx_status {
  count?.pointee = 0
  return abiCall("leafx_result_n_segments") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    try required(count, "n_segments").pointee = handle.segments.count
  }
}

@c @implementation
public func leafx_result_segment(
  _ result: OpaquePointer?, _ index: Int, _ segment: UnsafeMutablePointer<leafx_segment>?
) -> leafx_status {
  abiCall("leafx_result_segment") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    try OutStruct.element(handle.segments, index, kind: "segment", to: segment)
  }
}

@c @implementation
public func leafx_result_n_tokens(_ result: OpaquePointer?, _ count: UnsafeMutablePointer<Int>?) -> leafx_status {
  count?.pointee = 0
  return abiCall("leafx_result_n_tokens") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    try required(count, "n_tokens").pointee = handle.tokens.count
  }
}

@c @implementation
public func leafx_result_token(
  _ result: OpaquePointer?, _ index: Int, _ token: UnsafeMutablePointer<leafx_token>?
) -> leafx_status {
  abiCall("leafx_result_token") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    try OutStruct.element(handle.tokens, index, kind: "token", to: token)
  }
}

@c @implementation
public func leafx_result_n_timed_words(_ result: OpaquePointer?, _ count: UnsafeMutablePointer<Int>?) -> leafx_status {
  count?.pointee = 0
  return abiCall("leafx_result_n_timed_words") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    try required(count, "n_words").pointee = handle.timedWords.count
  }
}

@c @implementation
public func leafx_result_timed_word(
  _ result: OpaquePointer?, _ index: Int, _ word: UnsafeMutablePointer<leafx_timed_word>?
) -> leafx_status {
  abiCall("leafx_result_timed_word") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    try OutStruct.element(handle.timedWords, index, kind: "timed_word", to: word)
  }
}

@c @implementation
public func leafx_result_to_json(_ result: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> leafx_status {
  json?.pointee = nil
  return abiCall("leafx_result_to_json") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    let json = try required(json, "json")
    let text = PinnedCString(handle.json())
    json.pointee = HandleRegistry.shared.insertString(text)
  }
}

@c @implementation
public func leafx_string_free(_ string: UnsafeMutablePointer<CChar>?) -> leafx_status {
  abiCall("leafx_string_free") {
    try HandleRegistry.shared.removeString(string)
  }
}

@c @implementation
public func leafx_result_free(_ result: OpaquePointer?) -> leafx_status {
  abiCall("leafx_result_free") { try HandleRegistry.shared.remove(result, as: ResultHandle.self, argument: "result") }
}
