/// Slaney-style mel filterbank (librosa's `filters.mel(norm="slaney", htk=False)`), the
/// bank Whisper ships in `mel_filters.npz` and faster-whisper recomputes:
///
/// ```
/// mel(f)  = 3 f / 200                              for f < 1000 Hz
///         = 15 + ln(f / 1000) / (ln 6.4 / 27)      above
/// edges   = n_mels + 2 points evenly spaced in mel over [0, mel(sr / 2)]
/// W[m][k] = max(0, min(rising, falling)) · 2 / (edge[m+2] − edge[m])   (constant area)
/// ```
/// Shape `[nMels, nFFT/2 + 1]`, row-major. Computed in Double, stored as Float.
public struct MelFilterBank: Sendable {
  public let nMels: Int
  public let nBins: Int
  /// `[nMels, nBins]` row-major weights.
  public let weights: [Float]

  /// A bank given explicitly (the filters stored in a ggml file), `[nMels, 201]`.
  public init(nMels: Int, weights: [Float]) {
    self.nMels = nMels
    self.nBins = weights.count / max(nMels, 1)
    self.weights = weights
  }

  public init(nMels: Int, sampleRate: Int = 16000, nFFT: Int = 400) {
    self.nMels = nMels
    self.nBins = nFFT / 2 + 1
    let linearStep = 200.0 / 3.0
    let logRegionStartHz = 1000.0
    let logRegionStartMel = logRegionStartHz / linearStep
    let logStep = 1.8562979903656263 / 27.0  // ln(6.4) / 27

    func melToHz(_ mel: Double) -> Double {
      mel >= logRegionStartMel
        ? logRegionStartHz * (logStep * (mel - logRegionStartMel)).exp : linearStep * mel
    }
    func hzToMel(_ hz: Double) -> Double {
      hz >= logRegionStartHz
        ? logRegionStartMel + (hz / logRegionStartHz).log / logStep : hz / linearStep
    }

    let maxMel = hzToMel(Double(sampleRate) / 2)
    let edges = (0..<(nMels + 2)).map { melToHz(maxMel * Double($0) / Double(nMels + 1)) }
    let binHz = (0..<nBins).map { Double($0) * Double(sampleRate) / Double(nFFT) }

    var weights = [Float](repeating: 0, count: nMels * nBins)
    for m in 0..<nMels {
      let lowerWidth = edges[m + 1] - edges[m]
      let upperWidth = edges[m + 2] - edges[m + 1]
      let areaNorm = 2.0 / (edges[m + 2] - edges[m])
      for k in 0..<nBins {
        let rising = (binHz[k] - edges[m]) / lowerWidth
        let falling = (edges[m + 2] - binHz[k]) / upperWidth
        weights[m * nBins + k] = Float(max(0, min(rising, falling)) * areaNorm)
      }
    }
    self.weights = weights
  }
}

extension Double {
  fileprivate var exp: Double { Glibc.exp(self) }
  fileprivate var log: Double { Glibc.log(self) }
}

#if canImport(Glibc)
  import Glibc
#endif
