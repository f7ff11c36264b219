import CLeafXABI
import LeafXCore

// leafx_mel: Whisper's log-mel front end (include/leafx.h, "Log-mel features").

private let melParamsSize = MemoryLayout<leafx_mel_params>.size

private func defaultMelParams() -> leafx_mel_params {
  leafx_mel_params(struct_size: melParamsSize, n_mels: 80, padding_samples: 160)
}

private func melOptions(_ params: UnsafePointer<leafx_mel_params>?) throws -> MelOptions {
  let raw = try ParamsStruct.read(
    params, defaults: defaultMelParams(), minimumSize: melParamsSize, name: "leafx_mel_params")
  let options = MelOptions(nMels: Int(raw.n_mels), paddingSamples: Int(raw.padding_samples))
  try asParamsField { try options.validate() }
  return options
}

@c @implementation
public func leafx_mel_params_init(_ params: UnsafeMutablePointer<leafx_mel_params>?, _ structSize: Int) -> leafx_status {
  abiCall("leafx_mel_params_init") {
    try ParamsStruct.initialize(
      params, size: structSize, defaults: defaultMelParams(), minimumSize: melParamsSize,
      structSize: \.struct_size, name: "leafx_mel_params")
  }
}

@c @implementation
public func leafx_mel_params_validate(_ params: UnsafePointer<leafx_mel_params>?) -> leafx_status {
  abiCall("leafx_mel_params_validate") {
    _ = try melOptions(try required(params, "params"))
  }
}

@c @implementation
public func leafx_log_mel(
  _ pcm: UnsafePointer<Float>?, _ nSamples: Int, _ params: UnsafePointer<leafx_mel_params>?,
  _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> leafx_status {
  out?.pointee = nil
  return abiCall("leafx_log_mel") {
    let out = try required(out, "out")
    // size_t values above Int.max arrive negative.
    guard (0...LogMel.maxSamples).contains(nSamples) else {
      throw LeafXError.invalidArgument(
        argument: "n_samples", reason: "\(UInt(bitPattern: nSamples)) exceeds the limit of \(LogMel.maxSamples)")
    }
    if nSamples > 0 { _ = try required(pcm, "pcm") }
    let options = try melOptions(params)
    let mel = try LogMel.compute(UnsafeBufferPointer(start: pcm, count: nSamples), options: options)
    out.pointee = HandleRegistry.shared.insert(MelHandle(mel))
  }
}

@c @implementation
public func leafx_mel_data(
  _ mel: OpaquePointer?, _ data: UnsafeMutablePointer<UnsafePointer<Float>?>?,
  _ nMels: UnsafeMutablePointer<Int>?, _ nFrames: UnsafeMutablePointer<Int>?
) -> leafx_status {
  data?.pointee = nil
  nMels?.pointee = 0
  nFrames?.pointee = 0
  return abiCall("leafx_mel_data") {
    let handle = try HandleRegistry.shared.object(mel, as: MelHandle.self, argument: "mel")
    let data = try required(data, "data")
    let nMels = try required(nMels, "n_mels")
    let nFrames = try required(nFrames, "n_frames")
    data.pointee = UnsafePointer(handle.values.buffer.baseAddress)
    nMels.pointee = handle.nMels
    nFrames.pointee = handle.nFrames
  }
}

@c @implementation
public func leafx_mel_free(_ mel: OpaquePointer?) -> leafx_status {
  abiCall("leafx_mel_free") {
    try HandleRegistry.shared.remove(mel, as: MelHandle.self, argument: "mel")
  }
}
