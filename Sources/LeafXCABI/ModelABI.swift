import CLeafXABI
import LeafXCore

// leafx_model: loading and hyper-parameters (include/leafx.h, "Models").

private let modelParamsSize = MemoryLayout<leafx_model_params>.size

private func defaultModelParams() -> leafx_model_params {
  leafx_model_params(struct_size: modelParamsSize, n_threads: 0, format: Int32(LEAFX_FORMAT_AUTO.rawValue))
}

@c @implementation
public func leafx_model_params_init(_ params: UnsafeMutablePointer<leafx_model_params>?, _ structSize: Int) -> leafx_status {
  abiCall("leafx_model_params_init") {
    try ParamsStruct.initialize(
      params, size: structSize, defaults: defaultModelParams(), minimumSize: modelParamsSize,
      structSize: \.struct_size, name: "leafx_model_params")
  }
}

/// The core options a params struct asks for: (threads or nil, format or nil for auto).
private func modelOptions(_ params: UnsafePointer<leafx_model_params>?) throws -> (Int?, ModelFormat?) {
  let raw = try ParamsStruct.read(
    params, defaults: defaultModelParams(), minimumSize: modelParamsSize, name: "leafx_model_params")
  guard (0...256).contains(raw.n_threads) else {
    throw LeafXError.invalidArgument(argument: "params->n_threads", reason: "\(raw.n_threads) is outside 0...256")
  }
  let formats: [Int32: ModelFormat?] = [
    Int32(LEAFX_FORMAT_AUTO.rawValue): nil, Int32(LEAFX_FORMAT_CTRANSLATE2.rawValue): .ctranslate2,
    Int32(LEAFX_FORMAT_GGML.rawValue): .ggml, Int32(LEAFX_FORMAT_SAFETENSORS.rawValue): .safetensors,
  ]
  guard let format = formats[raw.format] else {
    throw LeafXError.invalidArgument(argument: "params->format", reason: "\(raw.format) is not a leafx_model_format")
  }
  return (raw.n_threads == 0 ? nil : Int(raw.n_threads), format)
}

@c @implementation
public func leafx_model_params_validate(_ params: UnsafePointer<leafx_model_params>?) -> leafx_status {
  abiCall("leafx_model_params_validate") { _ = try modelOptions(try required(params, "params")) }
}

@c @implementation
public func leafx_model_load(
  _ path: UnsafePointer<CChar>?, _ params: UnsafePointer<leafx_model_params>?,
  _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> leafx_status {
  out?.pointee = nil
  return abiCall("leafx_model_load") {
    let out = try required(out, "out")
    let path = String(cString: try required(path, "path"))
    // "" would resolve as a model name to the cache directory itself.
    guard !path.isEmpty else { throw LeafXError.invalidArgument(argument: "path", reason: "is empty") }
    let (threads, format) = try modelOptions(params)
    if let threads { ComputeThreads.set(threads) }
    let model = try WhisperModel.load(path: try ModelCache.resolve(path), format: format)
    out.pointee = HandleRegistry.shared.insert(ModelHandle(model))
  }
}

@c @implementation
public func leafx_model_free(_ model: OpaquePointer?) -> leafx_status {
  abiCall("leafx_model_free") { try HandleRegistry.shared.remove(model, as: ModelHandle.self, argument: "model") }
}

private let formatNames: [ModelFormat: StaticString] = [
  .ctranslate2: "ctranslate2", .ggml: "ggml", .safetensors: "safetensors",
]

@c @implementation
public func leafx_model_info(_ model: OpaquePointer?, _ info: UnsafeMutablePointer<leafx_model_description>?) -> leafx_status {
  abiCall("leafx_model_info") {
    let handle = try HandleRegistry.shared.object(model, as: ModelHandle.self, argument: "model")
    let info = try required(info, "info")
    let d = handle.model.dimensions
    let format = formatNames[handle.model.format] ?? "unknown"
    let value = leafx_model_description(
      struct_size: 0, name: handle.name.pointer,
      format: UnsafeRawPointer(format.utf8Start).assumingMemoryBound(to: CChar.self),
      n_mels: Int32(d.nMels), n_vocab: Int32(d.nVocab), n_audio_ctx: Int32(d.nAudioCtx),
      n_audio_state: Int32(d.nAudioState), n_audio_head: Int32(d.nAudioHead), n_audio_layer: Int32(d.nAudioLayer),
      n_text_ctx: Int32(d.nTextCtx), n_text_state: Int32(d.nTextState), n_text_head: Int32(d.nTextHead),
      n_text_layer: Int32(d.nTextLayer), is_multilingual: handle.model.tokenizer.isMultilingual ? 1 : 0)
    try OutStruct.write(value, to: info, name: "leafx_model_description")
  }
}
