import CSndFile

#if canImport(Glibc)
  import Glibc
#endif

/// Decodes audio files with libsndfile into `Audio`: mono (channels averaged or one
/// picked), converted to `options.sampleRate` with soxr, streamed in chunks so that only
/// the converted mono signal is held in memory.
public enum AudioDecoder {
  /// Frames read from the file per libsndfile call.
  static let chunkFrames = 65536

  /// Decodes `path`.
  /// - Throws: `io` when the file is missing or unreadable, `format` when it is empty, not
  ///   audio, or holds a NaN/Inf sample (the message gives the sample index),
  ///   `invalidArgument` for bad options.
  public static func load(path: String, options: AudioOptions = AudioOptions()) throws -> Audio {
    try options.validate()
    try checkReadable(path: path)

    var info = SF_INFO()
    guard let file = sf_open(path, Int32(SFM_READ), &info) else {
      let reason = String(cString: sf_strerror(nil))
      throw LeafXError.format(
        path: path, offset: nil, reason: "not an audio file libsndfile can read (\(reason))")
    }
    defer { sf_close(file) }

    let channels = Int(info.channels)
    let sourceRate = Int(info.samplerate)
    guard channels >= 1, sourceRate >= 1 else {
      throw LeafXError.format(
        path: path, offset: nil,
        reason: "invalid header: \(channels) channels at \(sourceRate) Hz")
    }
    // The range leafx_audio_from_pcm accepts. A header claiming a few Hz would otherwise be
    // resampled up by a factor of thousands: minutes of soxr work and gigabytes for a file
    // of kilobytes (found by Fuzz/Targets/FuzzAudio.swift).
    guard AudioOptions.sampleRateRange.contains(sourceRate) else {
      throw LeafXError.format(
        path: path, offset: nil,
        reason: "sample rate \(sourceRate) Hz in the header is outside \(AudioOptions.sampleRateRange.lowerBound)...\(AudioOptions.sampleRateRange.upperBound) Hz")
    }
    if let channel = options.channel, channel >= channels {
      throw LeafXError.invalidArgument(
        argument: "channel", reason: "\(channel) but \(path) has \(channels) channel(s)")
    }

    let converter = try MonoConverter(
      sourceRate: sourceRate, channels: channels, options: options)
    var interleaved = [Float](repeating: 0, count: chunkFrames * channels)
    var framesRead = 0
    while true {
      let got = interleaved.withUnsafeMutableBufferPointer {
        Int(sf_readf_float(file, $0.baseAddress, sf_count_t(chunkFrames)))
      }
      if got <= 0 { break }
      try interleaved.withUnsafeBufferPointer { buffer in
        let chunk = UnsafeBufferPointer(rebasing: buffer[0..<(got * channels)])
        if let bad = firstNonFinite(chunk) {
          throw LeafXError.format(
            path: path, offset: nil,
            reason: "sample \(framesRead + bad / channels) (channel \(bad % channels)) is \(chunk[bad])")
        }
        try converter.append(interleaved: chunk)
      }
      framesRead += got
    }
    if sf_error(file) != 0 {
      throw LeafXError.format(
        path: path, offset: nil,
        reason: "decoding stopped after \(framesRead) frames: \(String(cString: sf_strerror(file)))")
    }
    if framesRead == 0 {
      throw LeafXError.format(path: path, offset: nil, reason: "the file holds no audio samples")
    }
    return Audio(
      samples: try converter.finish(), sampleRate: options.sampleRate,
      sourceSampleRate: sourceRate, sourceChannels: channels)
  }

  /// Converts interleaved PCM held in memory exactly as `load` converts a file.
  /// - Throws: `invalidArgument` for bad counts, rates or non-finite samples.
  public static func convert(
    interleaved: UnsafeBufferPointer<Float>, channels: Int, sampleRate: Int,
    options: AudioOptions = AudioOptions()
  ) throws -> Audio {
    try options.validate()
    guard (1...64).contains(channels) else {
      throw LeafXError.invalidArgument(argument: "n_channels", reason: "\(channels) is outside 1...64")
    }
    guard AudioOptions.sampleRateRange.contains(sampleRate) else {
      throw LeafXError.invalidArgument(
        argument: "sample_rate_hz", reason: "\(sampleRate) Hz is outside 1000...384000")
    }
    if let channel = options.channel, channel >= channels {
      throw LeafXError.invalidArgument(
        argument: "channel", reason: "\(channel) but the input has \(channels) channel(s)")
    }
    if let bad = firstNonFinite(interleaved) {
      throw LeafXError.invalidArgument(
        argument: "samples", reason: "value \(bad) (frame \(bad / channels)) is \(interleaved[bad])")
    }
    let converter = try MonoConverter(sourceRate: sampleRate, channels: channels, options: options)
    try converter.append(interleaved: interleaved)
    return Audio(
      samples: try converter.finish(), sampleRate: options.sampleRate,
      sourceSampleRate: sampleRate, sourceChannels: channels)
  }

  /// Index of the first NaN or infinite value, if any.
  static func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
    for i in values.indices where !values[i].isFinite { return i }
    return nil
  }

  private static func checkReadable(path: String) throws {
    var status = stat()
    guard stat(path, &status) == 0 else {
      throw LeafXError.io(path: path, reason: String(cString: strerror(errno)))
    }
    if (status.st_mode & S_IFMT) == S_IFDIR {
      throw LeafXError.io(path: path, reason: "is a directory, not an audio file")
    }
    if status.st_size == 0 {
      throw LeafXError.format(path: path, offset: 0, reason: "empty file (0 bytes)")
    }
    guard access(path, R_OK) == 0 else {
      throw LeafXError.io(path: path, reason: String(cString: strerror(errno)))
    }
  }
}

/// Downmixes interleaved chunks to mono and resamples them, chunk by chunk.
final class MonoConverter {
  private let channels: Int
  private let pick: Int?
  private let resampler: Resampler?
  private var output: [Float] = []
  private var mono: [Float] = []

  init(sourceRate: Int, channels: Int, options: AudioOptions) throws {
    self.channels = channels
    self.pick = options.channel
    self.resampler =
      sourceRate == options.sampleRate
      ? nil : try Resampler(inputRate: sourceRate, outputRate: options.sampleRate)
  }

  func append(interleaved: UnsafeBufferPointer<Float>) throws {
    let frames = interleaved.count / channels
    mono.removeAll(keepingCapacity: true)
    mono.reserveCapacity(frames)
    if channels == 1 {
      mono.append(contentsOf: interleaved)
    } else if let pick {
      for frame in 0..<frames { mono.append(interleaved[frame * channels + pick]) }
    } else {
      let scale = 1 / Float(channels)
      for frame in 0..<frames {
        var sum: Float = 0
        for channel in 0..<channels { sum += interleaved[frame * channels + channel] }
        mono.append(sum * scale)
      }
    }
    if let resampler {
      try mono.withUnsafeBufferPointer { try resampler.process($0, into: &output) }
    } else {
      output.append(contentsOf: mono)
    }
  }

  func finish() throws -> [Float] {
    try resampler?.finish(into: &output)
    return output
  }
}
