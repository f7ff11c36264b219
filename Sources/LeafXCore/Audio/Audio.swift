/// Decoded audio: mono float samples at `sampleRate`, as every model in leafx consumes it.
public struct Audio: Sendable {
  /// Mono samples, nominally in [-1, 1].
  public var samples: [Float]
  /// Sample rate of `samples` in Hz (16000 for Whisper).
  public var sampleRate: Int
  /// Sample rate of the source before conversion, in Hz.
  public var sourceSampleRate: Int
  /// Channel count of the source before downmixing.
  public var sourceChannels: Int

  public init(samples: [Float], sampleRate: Int, sourceSampleRate: Int, sourceChannels: Int) {
    self.samples = samples
    self.sampleRate = sampleRate
    self.sourceSampleRate = sourceSampleRate
    self.sourceChannels = sourceChannels
  }

  /// Duration in seconds.
  public var duration: Double { Double(samples.count) / Double(sampleRate) }
}

/// How audio is brought to the model's format; mirrors `leafx_audio_params`.
public struct AudioOptions: Sendable, Equatable {
  /// Output rate in Hz; Whisper's is 16000.
  public var sampleRate: Int = 16000
  /// The channel to keep, or nil to average all channels (ffmpeg's `-ac 1`, which
  /// faster-whisper's decoder uses).
  public var channel: Int? = nil

  public init(sampleRate: Int = 16000, channel: Int? = nil) {
    self.sampleRate = sampleRate
    self.channel = channel
  }

  /// Valid output rates in Hz.
  public static let sampleRateRange = 1000...384_000

  /// Throws `invalidArgument` naming the field that is out of range.
  public func validate() throws {
    guard Self.sampleRateRange.contains(sampleRate) else {
      throw LeafXError.invalidArgument(
        argument: "sample_rate_hz",
        reason: "\(sampleRate) Hz is outside \(Self.sampleRateRange.lowerBound)...\(Self.sampleRateRange.upperBound)")
    }
    if let channel, channel < 0 {
      throw LeafXError.invalidArgument(
        argument: "channel", reason: "\(channel) is negative (use -1 to downmix)")
    }
  }
}
