import CFFTW

/// A log-mel spectrogram, `[nMels, nFrames]` row-major, 100 frames per second.
public struct MelSpectrogram: Sendable {
  public let nMels: Int
  public let nFrames: Int
  /// `values[m * nFrames + f]` is mel bin m of frame f.
  public var values: [Float]
}

/// Options of Whisper's front end; mirrors `leafx_mel_params`.
public struct MelOptions: Sendable, Equatable {
  /// 80 (Whisper up to large-v2) or 128 (large-v3, turbo).
  public var nMels: Int = 80
  /// Zeros appended before the STFT: 160 as faster-whisper's FeatureExtractor, 480000 as
  /// openai-whisper's `log_mel_spectrogram(padding=N_SAMPLES)`.
  public var paddingSamples: Int = 160

  public init(nMels: Int = 80, paddingSamples: Int = 160) {
    self.nMels = nMels
    self.paddingSamples = paddingSamples
  }

  public func validate() throws {
    guard nMels == 80 || nMels == 128 else {
      throw LeafXError.invalidArgument(argument: "n_mels", reason: "\(nMels); Whisper uses 80 or 128")
    }
    guard (0...LogMel.samplesPerWindow).contains(paddingSamples) else {
      throw LeafXError.invalidArgument(
        argument: "padding_samples", reason: "\(paddingSamples) is outside 0...\(LogMel.samplesPerWindow)")
    }
  }
}

/// Whisper's log-mel front end (docs/design.md, "The Whisper engine"), as openai-whisper's
/// `log_mel_spectrogram` and faster-whisper's `FeatureExtractor.__call__`:
///
/// ```
/// x      = pcm ++ zeros(padding)
/// X[t]   = rfft(hann400 · reflectpad200(x)[160 t ..< 160 t + 400]),  t < len(x) / 160
/// M      = W_mel · |X|²                       (Slaney bank, [n_mels, 201])
/// L      = log10(max(M, 1e-10));  L = max(L, max(L) − 8);  out = (L + 4) / 4
/// ```
/// The STFT's last frame is dropped, so `len(x) / 160` frames remain.
///
/// Priorities: agreement with faster-whisper's numpy float32 pipeline to 1e-4, then speed
/// (FFTW for the transforms, one sgemm per chunk for the filterbank).
public enum LogMel {
  public static let sampleRate = 16000
  public static let nFFT = 400
  public static let hopLength = 160
  public static let framesPerWindow = 3000
  public static let samplesPerWindow = 480_000
  /// Upper bound on input length (2^31 samples, 37 hours), so every size fits in Int32.
  public static let maxSamples = 1 << 31

  /// Frames computed per filterbank sgemm; bounds the power-spectrum scratch buffer.
  static let chunkFrames = 2048

  /// Computes the features of `pcm` (16 kHz mono).
  /// - Throws: `invalidArgument` for bad options, too long input or a non-finite sample.
  public static func compute(
    _ pcm: UnsafeBufferPointer<Float>, options: MelOptions = MelOptions(), filters given: MelFilterBank? = nil
  ) throws -> MelSpectrogram {
    try options.validate()
    guard pcm.count <= maxSamples else {
      throw LeafXError.invalidArgument(
        argument: "n_samples", reason: "\(pcm.count) exceeds the limit of \(maxSamples)")
    }
    if let bad = AudioDecoder.firstNonFinite(pcm) {
      throw LeafXError.invalidArgument(argument: "pcm", reason: "sample \(bad) is \(pcm[bad])")
    }
    let paddedCount = pcm.count + options.paddingSamples
    let nFrames = paddedCount / hopLength
    let filters = given ?? MelFilterBank(nMels: options.nMels, sampleRate: sampleRate, nFFT: nFFT)
    guard filters.nMels == options.nMels, filters.nBins == nFFT / 2 + 1 else {
      throw LeafXError.invalidArgument(
        argument: "filters", reason: "a [\(filters.nMels), \(filters.nBins)] bank for \(options.nMels) mels")
    }
    var values = [Float](repeating: 0, count: options.nMels * nFrames)
    guard nFrames > 0 else {
      return MelSpectrogram(nMels: options.nMels, nFrames: 0, values: values)
    }

    let signal = PaddedSignal(pcm: pcm, paddedCount: paddedCount)
    values.withUnsafeMutableBufferPointer { out in
      filterbankEnergies(signal, frames: 0..<nFrames, filters: filters, into: out.baseAddress!, rowStride: nFrames)
      let peak = logCompress(out)
      floorAndScale(out, peak: peak)
    }
    return MelSpectrogram(nMels: options.nMels, nFrames: nFrames, values: values)
  }

  /// The mel filterbank energies `M = W_mel · |X|²` of STFT frames `frames` (absolute frame
  /// indices of the recording, so that reflect padding applies at its edges only), written
  /// to `out[m * rowStride + (t − frames.lowerBound)]`. Computed `chunkFrames` at a time in
  /// the chunks a whole-recording pass uses (aligned to multiples of `chunkFrames`), so that
  /// any range of frames gets bit-identical values (the sgemm's blocking is the same).
  static func filterbankEnergies(
    _ signal: PaddedSignal, frames: Range<Int>, filters: MelFilterBank, into out: UnsafeMutablePointer<Float>,
    rowStride: Int
  ) {
    let lastFrame = signal.paddedCount / hopLength
    let frames = frames.clamped(to: 0..<lastFrame)
    guard !frames.isEmpty else { return }
    let nBins = filters.nBins
    let nMels = filters.nMels
    let fft = FFTWorkspace()
    let window = hannWindow
    var power = [Float](repeating: 0, count: chunkFrames * nBins)
    var chunkOut = [Float](repeating: 0, count: nMels * chunkFrames)
    power.withUnsafeMutableBufferPointer { power in
      chunkOut.withUnsafeMutableBufferPointer { chunkOut in
        filters.weights.withUnsafeBufferPointer { weights in
          var chunk = frames.lowerBound / chunkFrames * chunkFrames
          while chunk < frames.upperBound {
            let count = min(chunkFrames, lastFrame - chunk)
            for local in 0..<count {
              let start = (chunk + local) * hopLength - nFFT / 2
              signal.fill(fft.input, from: start, window: window)
              fft.powerSpectrum(into: power.baseAddress! + local * nBins)
            }
            // chunkOut[:, 0 ..< count] = W [nMels, nBins] · P[count, nBins]ᵀ
            gemm(
              false, true, m: nMels, n: count, k: nBins, weights.baseAddress!, lda: nBins,
              power.baseAddress!, ldb: nBins, chunkOut.baseAddress!, ldc: chunkFrames)
            let lo = max(chunk, frames.lowerBound)
            let hi = min(chunk + count, frames.upperBound)
            if lo < hi {
              for m in 0..<nMels {
                (out + m * rowStride + (lo - frames.lowerBound)).update(
                  from: chunkOut.baseAddress! + m * chunkFrames + (lo - chunk), count: hi - lo)
              }
            }
            chunk += chunkFrames
          }
        }
      }
    }
  }

  /// `log10(max(x, 1e-10))` in place; returns the largest value (−∞ when empty).
  static func logCompress(_ values: UnsafeMutableBufferPointer<Float>) -> Float {
    var peak = -Float.infinity
    for i in values.indices {
      let logValue = log10f(max(values[i], 1e-10))
      values[i] = logValue
      peak = max(peak, logValue)
    }
    return peak
  }

  /// Floors log values at the recording's `peak` − 8, then `(x + 4) / 4`.
  static func floorAndScale(_ values: UnsafeMutableBufferPointer<Float>, peak: Float) {
    let floor = peak - 8
    for i in values.indices { values[i] = (max(values[i], floor) + 4) / 4 }
  }

  /// Periodic Hann window of 400 samples: `0.5 − 0.5 cos(2π n / 400)`.
  static let hannWindow: [Float] = (0..<nFFT).map {
    Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(nFFT)))
  }
}

/// The PCM followed by `paddedCount − pcm.count` zeros, read with reflect padding beyond
/// either end (numpy's `mode="reflect"`: the edge sample is not repeated).
struct PaddedSignal {
  let pcm: UnsafeBufferPointer<Float>
  let paddedCount: Int

  @inline(__always)
  func sample(_ index: Int) -> Float {
    var i = index
    if paddedCount == 1 { i = 0 }
    let period = 2 * (paddedCount - 1)
    while i < 0 || i >= paddedCount {
      if period > 0 { i = ((i % period) + period) % period }
      if i >= paddedCount { i = period - i }
    }
    return i < pcm.count ? pcm[i] : 0
  }

  /// Writes `window[k] · x[start + k]` for k < window.count into `destination`.
  func fill(_ destination: UnsafeMutablePointer<Float>, from start: Int, window: [Float]) {
    let n = window.count
    window.withUnsafeBufferPointer { w in
      if start >= 0 && start + n <= pcm.count {
        // Interior frame: no reflection, no padding.
        for k in 0..<n { destination[k] = w[k] * pcm[start + k] }
      } else {
        for k in 0..<n { destination[k] = w[k] * sample(start + k) }
      }
    }
  }
}

/// One real-to-complex FFTW plan of size 400, created once (FFTW's planner is not
/// thread-safe; executing a plan on new arrays is), and per-call aligned buffers.
final class FFTWorkspace {
  let input: UnsafeMutablePointer<Float>
  let output: UnsafeMutablePointer<fftwf_complex>
  let nBins = LogMel.nFFT / 2 + 1

  init() {
    input = fftwf_alloc_real(LogMel.nFFT)!
    output = fftwf_alloc_complex(nBins)!
  }

  deinit {
    fftwf_free(input)
    fftwf_free(output)
  }

  /// The shared plan; fftwf_malloc'd arrays have the alignment it was planned with.
  /// FFTW documents `fftwf_execute_dft_r2c` on a finished plan as thread-safe, and the
  /// plan is never mutated after this initialiser, which Swift runs exactly once.
  nonisolated(unsafe) static let plan: fftwf_plan = {
    let input = fftwf_alloc_real(LogMel.nFFT)!
    let output = fftwf_alloc_complex(LogMel.nFFT / 2 + 1)!
    defer {
      fftwf_free(input)
      fftwf_free(output)
    }
    return fftwf_plan_dft_r2c_1d(Int32(LogMel.nFFT), input, output, UInt32(FFTW_ESTIMATE))!
  }()

  /// `|rfft(input)|²` into `nBins` floats at `destination`.
  func powerSpectrum(into destination: UnsafeMutablePointer<Float>) {
    fftwf_execute_dft_r2c(Self.plan, input, output)
    for k in 0..<nBins {
      let re = output[k].0
      let im = output[k].1
      destination[k] = re * re + im * im
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
