import CLeafXABI
import LeafXCore

// leafx_audio: decoding, conversion and accessors (include/leafx.h, "Audio").

private let audioParamsSize = MemoryLayout<leafx_audio_params>.size

private func defaultAudioParams() -> leafx_audio_params {
  leafx_audio_params(struct_size: audioParamsSize, sample_rate_hz: 16000, channel: -1)
}

/// Reads the caller's params into core options.
private func audioOptions(_ params: UnsafePointer<leafx_audio_params>?) throws -> AudioOptions {
  let raw = try ParamsStruct.read(
    params, defaults: defaultAudioParams(), minimumSize: audioParamsSize, name: "leafx_audio_params")
  guard raw.channel >= -1 else {
    throw LeafXError.invalidArgument(
      argument: "params->channel", reason: "\(raw.channel) (use -1 to downmix or a channel index)")
  }
  let options = AudioOptions(
    sampleRate: Int(raw.sample_rate_hz), channel: raw.channel < 0 ? nil : Int(raw.channel))
  try asParamsField { try options.validate() }
  return options
}

@c @implementation
public func leafx_audio_params_init(_ params: UnsafeMutablePointer<leafx_audio_params>?, _ structSize: Int) -> leafx_status {
  abiCall("leafx_audio_params_init") {
    try ParamsStruct.initialize(
      params, size: structSize, defaults: defaultAudioParams(), minimumSize: audioParamsSize,
      structSize: \.struct_size, name: "leafx_audio_params")
  }
}

@c @implementation
public func leafx_audio_params_validate(_ params: UnsafePointer<leafx_audio_params>?) -> leafx_status {
  abiCall("leafx_audio_params_validate") {
    _ = try audioOptions(try required(params, "params"))
  }
}

@c @implementation
public func leafx_audio_load(
  _ path: UnsafePointer<CChar>?, _ params: UnsafePointer<leafx_audio_params>?,
  _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> leafx_status {
  out?.pointee = nil
  return abiCall("leafx_audio_load") {
    let out = try required(out, "out")
    let path = String(cString: try required(path, "path"))
    let audio = try AudioDecoder.load(path: path, options: try audioOptions(params))
    out.pointee = HandleRegistry.shared.insert(AudioHandle(audio))
  }
}

@c @implementation
public func leafx_audio_from_pcm(
  _ samples: UnsafePointer<Float>?, _ nFrames: Int, _ nChannels: Int32, _ sampleRateHz: Int32,
  _ params: UnsafePointer<leafx_audio_params>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> leafx_status {
  out?.pointee = nil
  return abiCall("leafx_audio_from_pcm") {
    let out = try required(out, "out")
    guard nChannels >= 1 && nChannels <= 64 else {
      throw LeafXError.invalidArgument(argument: "n_channels", reason: "\(nChannels) is outside 1...64")
    }
    // size_t values above Int.max arrive negative.
    guard (0...LogMel.maxSamples).contains(nFrames) else {
      throw LeafXError.invalidArgument(
        argument: "n_frames", reason: "\(UInt(bitPattern: nFrames)) exceeds the limit of \(LogMel.maxSamples)")
    }
    if nFrames > 0 { _ = try required(samples, "samples") }
    let buffer = UnsafeBufferPointer(start: samples, count: nFrames * Int(nChannels))
    let audio = try AudioDecoder.convert(
      interleaved: buffer, channels: Int(nChannels), sampleRate: Int(sampleRateHz),
      options: try audioOptions(params))
    out.pointee = HandleRegistry.shared.insert(AudioHandle(audio))
  }
}

@c @implementation
public func leafx_audio_samples(
  _ audio: OpaquePointer?, _ samples: UnsafeMutablePointer<UnsafePointer<Float>?>?,
  _ nSamples: UnsafeMutablePointer<Int>?
) -> leafx_status {
  samples?.pointee = nil
  nSamples?.pointee = 0
  return abiCall("leafx_audio_samples") {
    let handle = try HandleRegistry.shared.object(audio, as: AudioHandle.self, argument: "audio")
    let samples = try required(samples, "samples")
    let nSamples = try required(nSamples, "n_samples")
    samples.pointee = UnsafePointer(handle.samples.buffer.baseAddress)
    nSamples.pointee = handle.count
  }
}

@c @implementation
public func leafx_audio_sample_rate_hz(
  _ audio: OpaquePointer?, _ sampleRateHz: UnsafeMutablePointer<Int32>?
) -> leafx_status {
  sampleRateHz?.pointee = 0
  return abiCall("leafx_audio_sample_rate_hz") {
    let handle = try HandleRegistry.shared.object(audio, as: AudioHandle.self, argument: "audio")
    try required(sampleRateHz, "sample_rate_hz").pointee = Int32(handle.audio.sampleRate)
  }
}

@c @implementation
public func leafx_audio_source_format(
  _ audio: OpaquePointer?, _ sampleRateHz: UnsafeMutablePointer<Int32>?,
  _ nChannels: UnsafeMutablePointer<Int32>?
) -> leafx_status {
  sampleRateHz?.pointee = 0
  nChannels?.pointee = 0
  return abiCall("leafx_audio_source_format") {
    let handle = try HandleRegistry.shared.object(audio, as: AudioHandle.self, argument: "audio")
    let rate = try required(sampleRateHz, "sample_rate_hz")
    let channels = try required(nChannels, "n_channels")
    rate.pointee = Int32(handle.audio.sourceSampleRate)
    channels.pointee = Int32(handle.audio.sourceChannels)
  }
}

@c @implementation
public func leafx_audio_free(_ audio: OpaquePointer?) -> leafx_status {
  abiCall("leafx_audio_free") {
    try HandleRegistry.shared.remove(audio, as: AudioHandle.self, argument: "audio")
  }
}
