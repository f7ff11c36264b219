/// The log-mel of a whole recording, produced window by window so that hours of audio need
/// no more feature memory than one window (docs/design.md, "The Whisper engine" and "Reliability").
///
/// Whisper's front end floors every value at the recording's global maximum − 8 (LogMel),
/// so a window's features depend on the whole recording through that one number: the
/// initialiser makes one pass over the recording keeping only the maximum of
/// `log10(max(M, 1e-10))`, and `frames(_:)` then computes any range of frames from the PCM
/// with that floor. The STFT frames are taken at their absolute positions in the recording
/// (reflect padding at its edges only) and in the same sgemm chunks as `LogMel.compute`, so
/// every value is bit-identical to the same slice of the whole-recording spectrogram.
///
/// Memory: the PCM (borrowed, not copied) plus O(n_mels · chunk) scratch per call.
/// Thread safety: immutable after init; any thread may call `frames`/`window` at once.
public final class StreamedLogMel: Sendable {
  public let nMels: Int
  /// Frames of the whole-recording spectrogram (`LogMel.compute` would return as many).
  public let nFrames: Int
  /// The largest `log10` filterbank energy of the recording (−∞ for no frames).
  public let peak: Float
  let pcm: [Float]
  let paddedCount: Int
  let filters: MelFilterBank

  /// One pass over `pcm` (16 kHz mono) for the global maximum.
  /// - Parameter shouldStop: polled per chunk of ~20 s of audio; true cancels.
  /// - Throws: `invalidArgument` as `LogMel.compute` does; `cancelled`.
  public init(
    _ pcm: [Float], options: MelOptions = MelOptions(), filters given: MelFilterBank? = nil,
    shouldStop: (() -> Bool)? = nil
  ) throws {
    try options.validate()
    guard pcm.count <= LogMel.maxSamples else {
      throw LeafXError.invalidArgument(
        argument: "n_samples", reason: "\(pcm.count) exceeds the limit of \(LogMel.maxSamples)")
    }
    if let bad = pcm.withUnsafeBufferPointer({ AudioDecoder.firstNonFinite($0) }) {
      throw LeafXError.invalidArgument(argument: "pcm", reason: "sample \(bad) is \(pcm[bad])")
    }
    let filters = given ?? MelFilterBank(nMels: options.nMels, sampleRate: LogMel.sampleRate, nFFT: LogMel.nFFT)
    guard filters.nMels == options.nMels, filters.nBins == LogMel.nFFT / 2 + 1 else {
      throw LeafXError.invalidArgument(
        argument: "filters", reason: "a [\(filters.nMels), \(filters.nBins)] bank for \(options.nMels) mels")
    }
    self.pcm = pcm
    self.filters = filters
    nMels = options.nMels
    paddedCount = pcm.count + options.paddingSamples
    nFrames = paddedCount / LogMel.hopLength
    var peak = -Float.infinity
    let chunk = LogMel.chunkFrames
    var scratch = [Float](repeating: 0, count: nMels * chunk)
    let paddedCount = paddedCount
    let nFrames = nFrames
    let nMels = nMels
    try pcm.withUnsafeBufferPointer { samples in
      let signal = PaddedSignal(pcm: samples, paddedCount: paddedCount)
      try scratch.withUnsafeMutableBufferPointer { out in
        var first = 0
        while first < nFrames {
          if let shouldStop, shouldStop() { throw LeafXError.cancelled }
          let count = min(chunk, nFrames - first)
          LogMel.filterbankEnergies(
            signal, frames: first..<(first + count), filters: filters, into: out.baseAddress!, rowStride: chunk)
          for m in 0..<nMels {
            let row = UnsafeMutableBufferPointer(rebasing: out[(m * chunk)..<(m * chunk + count)])
            peak = max(peak, LogMel.logCompress(row))
          }
          first += count
        }
      }
    }
    self.peak = peak
  }

  /// The largest normalised value of the recording's features (0 when there are none), as
  /// `values.max()` of the whole spectrogram.
  public var maximum: Float { nFrames == 0 ? 0 : (peak + 4) / 4 }

  /// Normalised features of frames `range` (clamped to the recording), `[nMels, count]`.
  public func frames(_ range: Range<Int>) -> MelSpectrogram {
    let range = range.clamped(to: 0..<nFrames)
    var values = [Float](repeating: 0, count: nMels * range.count)
    fill(range, into: &values, rowStride: range.count)
    return MelSpectrogram(nMels: nMels, nFrames: range.count, values: values)
  }

  /// The encoder input of the window starting at frame `start`: `[n_mels, width]`, zero past
  /// `end` (as `WhisperModel.window(of:start:end:)` cuts the whole spectrogram).
  public func window(start: Int, end: Int, width: Int) -> [Float] {
    var out = [Float](repeating: 0, count: nMels * width)
    let count = max(0, min(width, min(end, nFrames) - start))
    fill(start..<(start + count), into: &out, rowStride: width)
    return out
  }

  private func fill(_ range: Range<Int>, into out: inout [Float], rowStride: Int) {
    guard !range.isEmpty else { return }
    pcm.withUnsafeBufferPointer { samples in
      let signal = PaddedSignal(pcm: samples, paddedCount: paddedCount)
      out.withUnsafeMutableBufferPointer { out in
        LogMel.filterbankEnergies(signal, frames: range, filters: filters, into: out.baseAddress!, rowStride: rowStride)
        for m in 0..<nMels {
          let row = UnsafeMutableBufferPointer(rebasing: out[(m * rowStride)..<(m * rowStride + range.count)])
          _ = LogMel.logCompress(row)
          LogMel.floorAndScale(row, peak: peak)
        }
      }
    }
  }
}
