import CLeafXABI
import LeafXCore

#if canImport(Glibc)
  import Glibc
#endif

// leafx_explain, the attribution accessors and the bolt-on leafx_explain_attention
// (include/leafx.h, "Explanations").

private let explainParamsSize = MemoryLayout<leafx_explain_params>.size
/// The struct of leafx 0.1 ends where the first appended field (`ig_steps`) begins.
private let explainParamsMinimumSize = MemoryLayout<leafx_explain_params>.offset(of: \leafx_explain_params.ig_steps)!
/// The core's default method as a C string that lives as long as the library.
nonisolated(unsafe) private let defaultMethod: UnsafeMutablePointer<CChar> = strdup(ExplainOptions().method.rawValue)
/// leafx_word of leafx 0.1 ends where the silence check's fields begin.
private let wordMinimumSize = MemoryLayout<leafx_word>.offset(of: \leafx_word.silenced_start_s)!

private func defaultExplainParams() -> leafx_explain_params {
  let core = ExplainOptions()
  var p = leafx_explain_params()
  p.struct_size = explainParamsSize
  p.method = UnsafePointer(defaultMethod)
  p.text = nil
  p.tau = core.tau
  p.epsilon = core.epsilon
  p.depth = Int32(LEAFX_DEPTH_DEFAULT.rawValue)
  p.seed = core.seed
  p.transcribe = nil
  p.ig_steps = Int32(core.steps)
  p.window_frames = Int32(core.occlusionWindow)
  p.stride_frames = Int32(core.occlusionStride)
  p.n_samples = Int32(core.samples)
  p.segment_frames = Int32(core.segmentFrames)
  p.verify = core.verify ? 1 : 0
  return p
}

/// Core options, decoding options and callbacks from the caller's struct.
private struct ExplainRequest {
  var options: ExplainOptions
  var decoding: DecodingOptions
  var text: String?
  var callbacks: TranscribeRequest
}

private func explainRequest(_ params: UnsafePointer<leafx_explain_params>?) throws -> ExplainRequest {
  let raw = try ParamsStruct.read(
    params, defaults: defaultExplainParams(), minimumSize: explainParamsMinimumSize, name: "leafx_explain_params")
  return try asParamsField {
    let method = try AttributionMethod.named(String(cString: try required(raw.method, "method")))
    let depths: [Int32: RolloutDepth] = [
      Int32(LEAFX_DEPTH_FULL.rawValue): .full, Int32(LEAFX_DEPTH_LAST_HALF.rawValue): .lastHalf,
      Int32(LEAFX_DEPTH_MIDDLE_HALF.rawValue): .middleHalf, Int32(LEAFX_DEPTH_ONE.rawValue): .one,
      Int32(LEAFX_DEPTH_DEFAULT.rawValue): .methodDefault, Int32(LEAFX_DEPTH_LAST_THIRD.rawValue): .lastThird,
    ]
    guard let depth = depths[raw.depth] else {
      throw LeafXError.invalidArgument(argument: "depth", reason: "\(raw.depth) is not a leafx_depth")
    }
    var options = ExplainOptions(
      method: method, tau: raw.tau, epsilon: raw.epsilon, depth: depth, seed: raw.seed, steps: Int(raw.ig_steps),
      occlusionWindow: Int(raw.window_frames), occlusionStride: Int(raw.stride_frames), samples: Int(raw.n_samples),
      segmentFrames: Int(raw.segment_frames))
    options.verify = raw.verify != 0
    try options.validate()
    var decoding = Explainer.defaultDecoding
    if let nested = raw.transcribe {
      decoding = try transcribeOptions(nested).options
    }
    let callbacks = TranscribeRequest(
      options: decoding, progress: raw.progress, progressUserData: raw.progress_user_data, abort: raw.abort,
      abortUserData: raw.abort_user_data)
    return ExplainRequest(options: options, decoding: decoding, text: raw.text.map { String(cString: $0) }, callbacks: callbacks)
  }
}

@c @implementation
public func leafx_explain_params_init(_ params: UnsafeMutablePointer<leafx_explain_params>?, _ structSize: Int) -> leafx_status {
  abiCall("leafx_explain_params_init") {
    try ParamsStruct.initialize(
      params, size: structSize, defaults: defaultExplainParams(), minimumSize: explainParamsMinimumSize,
      structSize: \.struct_size, name: "leafx_explain_params")
  }
}

@c @implementation
public func leafx_explain_params_validate(_ params: UnsafePointer<leafx_explain_params>?) -> leafx_status {
  abiCall("leafx_explain_params_validate") { _ = try explainRequest(try required(params, "params")) }
}

@c @implementation
public func leafx_explain(
  _ model: OpaquePointer?, _ pcm: UnsafePointer<Float>?, _ nSamples: Int,
  _ params: UnsafePointer<leafx_explain_params>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> leafx_status {
  out?.pointee = nil
  return abiCall("leafx_explain") {
    let handle = try HandleRegistry.shared.object(model, as: ModelHandle.self, argument: "model")
    let out = try required(out, "out")
    let samples = try pcmArgument(pcm, nSamples)
    let request = try explainRequest(params)
    var explainer = Explainer(model: handle.model, options: request.options, decoding: request.decoding)
    explainer.monitor = request.callbacks.monitor()
    let explanation = try explainer.explain(samples, text: request.text)
    out.pointee = HandleRegistry.shared.insert(ResultHandle(explanation, model: handle.model, samples: samples.count))
  }
}

/// Lends one pinned attribution through the accessor out-parameters.
private func lend(
  _ attributions: [PinnedAttribution], _ index: Int, kind: String, frameSeconds: Double,
  _ values: UnsafeMutablePointer<UnsafePointer<Float>?>?, _ nFrames: UnsafeMutablePointer<Int>?,
  _ firstFrame: UnsafeMutablePointer<Int>?, _ frameS: UnsafeMutablePointer<Double>?
) throws {
  let values = try required(values, "values")
  let nFrames = try required(nFrames, "n_frames")
  guard !attributions.isEmpty else {
    throw LeafXError.misuse("the result holds no attributions (a plain transcription: use leafx_explain)")
  }
  guard attributions.indices.contains(index) else {
    throw LeafXError.invalidArgument(
      argument: "i_\(kind)", reason: "\(UInt(bitPattern: index)) is out of range (\(attributions.count) \(kind)s)")
  }
  let a = attributions[index]
  values.pointee = UnsafePointer(a.values.buffer.baseAddress)
  nFrames.pointee = a.count
  firstFrame?.pointee = a.firstFrame
  frameS?.pointee = frameSeconds
}

@c @implementation
public func leafx_result_token_attribution(
  _ result: OpaquePointer?, _ index: Int, _ values: UnsafeMutablePointer<UnsafePointer<Float>?>?,
  _ nFrames: UnsafeMutablePointer<Int>?, _ firstFrame: UnsafeMutablePointer<Int>?, _ frameS: UnsafeMutablePointer<Double>?
) -> leafx_status {
  values?.pointee = nil
  nFrames?.pointee = 0
  return abiCall("leafx_result_token_attribution") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    try lend(handle.tokenAttributions, index, kind: "token", frameSeconds: handle.frameSeconds, values, nFrames, firstFrame, frameS)
  }
}

@c @implementation
public func leafx_result_n_words(_ result: OpaquePointer?, _ count: UnsafeMutablePointer<Int>?) -> leafx_status {
  count?.pointee = 0
  return abiCall("leafx_result_n_words") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    try required(count, "n_words").pointee = handle.words.count
  }
}

@c @implementation
public func leafx_result_word(_ result: OpaquePointer?, _ index: Int, _ word: UnsafeMutablePointer<leafx_word>?) -> leafx_status {
  abiCall("leafx_result_word") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    try OutStruct.element(handle.words, index, kind: "word", to: word, minimumSize: wordMinimumSize)
  }
}

@c @implementation
public func leafx_result_word_attribution(
  _ result: OpaquePointer?, _ index: Int, _ values: UnsafeMutablePointer<UnsafePointer<Float>?>?,
  _ nFrames: UnsafeMutablePointer<Int>?, _ firstFrame: UnsafeMutablePointer<Int>?, _ frameS: UnsafeMutablePointer<Double>?
) -> leafx_status {
  values?.pointee = nil
  nFrames?.pointee = 0
  return abiCall("leafx_result_word_attribution") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    try lend(handle.wordAttributions, index, kind: "word", frameSeconds: handle.frameSeconds, values, nFrames, firstFrame, frameS)
  }
}

/// Copies `count` floats from a borrowed C array, or nil for NULL.
private func borrowed(_ pointer: UnsafePointer<Float>?, _ count: Int) -> [Float]? {
  pointer.map { Array(UnsafeBufferPointer(start: $0, count: count)) }
}

@c @implementation
public func leafx_explain_attention(
  _ input: UnsafePointer<leafx_attention_input>?, _ params: UnsafePointer<leafx_explain_params>?,
  _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> leafx_status {
  out?.pointee = nil
  return abiCall("leafx_explain_attention") {
    let out = try required(out, "out")
    let inputPointer = try required(input, "input")
    let size = UnsafeRawPointer(inputPointer).load(as: Int.self)
    guard size == MemoryLayout<leafx_attention_input>.size else {
      throw LeafXError.invalidArgument(
        argument: "input->struct_size", reason: "\(size); set it to sizeof(leafx_attention_input) (\(MemoryLayout<leafx_attention_input>.size))")
    }
    let raw = inputPointer.pointee
    let request = try explainRequest(params)
    guard request.text == nil else {
      throw LeafXError.invalidArgument(argument: "params->text", reason: "forced mode needs leafx's engine: use leafx_explain")
    }
    guard !request.options.verify else {
      throw LeafXError.unsupported(
        "params->verify re-runs the model with audio silenced; captured attention cannot: use leafx_explain")
    }
    let l = Int(raw.n_layers)
    let h = Int(raw.n_heads)
    // size_t values above Int.max arrive negative; ExternalAttentionInput.validate rejects them.
    let t = raw.n_queries
    let k = raw.n_keys
    guard (1...256).contains(l), (1...256).contains(h), (1...100_000).contains(t), (1...10_000_000).contains(k) else {
      throw LeafXError.invalidArgument(
        argument: "input", reason: "n_layers \(l), n_heads \(h), n_queries \(UInt(bitPattern: t)), n_keys \(UInt(bitPattern: k)) out of range")
    }
    guard (1...100_000).contains(raw.n_rows) else {
      throw LeafXError.invalidArgument(argument: "input->n_rows", reason: "\(UInt(bitPattern: raw.n_rows)) is outside 1...100000")
    }
    let r = raw.n_rows
    let crossCount = try ExternalAttentionInput.count([l, h, t, k], field: "cross_attention")
    let selfCount = try ExternalAttentionInput.count([l, h, t, t], field: "self_attention")
    let crossGradCount = try ExternalAttentionInput.count([r, l, h, t, k], field: "cross_gradients")
    let selfGradCount = try ExternalAttentionInput.count([r, l, h, t, t], field: "self_gradients")
    guard raw.frame_s.isFinite, raw.frame_s > 0 else {
      throw LeafXError.invalidArgument(argument: "input->frame_s", reason: "\(raw.frame_s) must be > 0")
    }
    let rows = Array(UnsafeBufferPointer(start: try required(raw.rows, "input->rows"), count: r))
    let audioEnd = raw.audio_end == 0 ? k : raw.audio_end
    let external = ExternalAttentionInput(
      layers: l, heads: h, queries: t, keys: k,
      cross: borrowed(try required(raw.cross_attention, "input->cross_attention"), crossCount)!,
      selfAttention: borrowed(raw.self_attention, selfCount), audioBegin: raw.audio_begin, audioEnd: audioEnd,
      rows: rows, crossGradients: borrowed(raw.cross_gradients, crossGradCount),
      selfGradients: borrowed(raw.self_gradients, selfGradCount), ablationDeltas: borrowed(raw.ablation_deltas, l * r))
    let attributions = try external.explain(
      options: request.options, firstFrame: raw.first_frame, frameSeconds: raw.frame_s)
    let ids = raw.token_ids.map { Array(UnsafeBufferPointer(start: $0, count: r)) }
    out.pointee = HandleRegistry.shared.insert(ResultHandle(external: attributions, tokenIDs: ids))
  }
}
