/// The spectrogram the HTML report draws: the log-mel the model sees (`WhisperModel.features`,
/// docs/design.md, "The Whisper engine"), pooled onto the 20 ms frames the attributions use and
/// quantised to bytes.
public struct ReportSpectrogram: Sendable, Equatable {
  /// Mel bins per frame (80 or 128), lowest frequency first.
  public var nMels: Int
  /// 20 ms frames: `ceil(samples / 320)`, the frames that hold audio.
  public var nFrames: Int
  /// `levels[f * nMels + m]`: 0 at the quietest value of the recording, 255 at the loudest.
  public var levels: [UInt8]
  /// The log-mel values (after Whisper's `(x + 4) / 4`) that levels 0 and 255 stand for.
  public var minimum: Float
  public var maximum: Float

  /// Pools pairs of 10 ms mel frames (their mean) into 20 ms frames, frame-major so the page
  /// can draw any stretch of time without touching the rest.
  ///
  /// - Parameters:
  ///   - mel: `[n_mels, T]` log-mel at 10 ms hops.
  ///   - sampleCount: samples of the 16 kHz recording (sets the frame count).
  public init(mel: MelSpectrogram, sampleCount: Int) {
    nMels = mel.nMels
    let pooled = (mel.nFrames + 1) / 2
    nFrames = min(pooled, (sampleCount + 319) / 320)
    var means = [Float](repeating: 0, count: nFrames * nMels)
    for f in 0..<nFrames {
      let first = 2 * f
      let second = min(2 * f + 1, mel.nFrames - 1)
      for m in 0..<nMels {
        let row = m * mel.nFrames
        means[f * nMels + m] = (mel.values[row + first] + mel.values[row + second]) / 2
      }
    }
    minimum = means.min() ?? 0
    maximum = means.max() ?? 0
    let range = maximum - minimum
    let (low, scale) = (minimum, range > 0 ? 255 / range : 0)
    levels = means.map { UInt8(max(0, min(255, (($0 - low) * scale).rounded()))) }
  }
}
