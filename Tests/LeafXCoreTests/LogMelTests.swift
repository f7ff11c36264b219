import Testing

@testable import LeafXCore

#if canImport(Glibc)
  import Glibc
#endif

/// The fast front end (FFTW, sgemm, chunking) against a naive Double implementation of the
/// same formula: DFT by definition, explicit reflect padding, filterbank by loops.
@Suite struct LogMelTests {
  static func naiveLogMel(_ pcm: [Float], nMels: Int, padding: Int) -> [Double] {
    let x = pcm.map(Double.init) + [Double](repeating: 0, count: padding)
    let n = x.count
    // numpy reflect padding by 200 on both sides.
    func reflect(_ i: Int) -> Double {
      var j = i
      while j < 0 || j >= n {
        if j < 0 { j = -j }
        if j >= n { j = 2 * (n - 1) - j }
      }
      return x[j]
    }
    let frames = n / 160
    let bank = MelFilterBank(nMels: nMels)
    var out = [Double](repeating: 0, count: nMels * frames)
    for t in 0..<frames {
      var power = [Double](repeating: 0, count: 201)
      for k in 0..<201 {
        var re = 0.0
        var im = 0.0
        for s in 0..<400 {
          let w = 0.5 - 0.5 * cos(2 * Double.pi * Double(s) / 400)
          let v = w * reflect(t * 160 - 200 + s)
          re += v * cos(2 * Double.pi * Double(k * s) / 400)
          im -= v * sin(2 * Double.pi * Double(k * s) / 400)
        }
        power[k] = re * re + im * im
      }
      for m in 0..<nMels {
        var sum = 0.0
        for k in 0..<201 { sum += Double(bank.weights[m * 201 + k]) * power[k] }
        out[m * frames + t] = log10(max(sum, 1e-10))
      }
    }
    let peak = out.max() ?? 0
    return out.map { (max($0, peak - 8) + 4) / 4 }
  }

  static func chirp(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<count).map { i in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let noise = Float(Double(state >> 11) / Double(1 << 53)) - 0.5
      let t = Double(i) / 16000
      return Float(0.3 * sin(2 * Double.pi * (200 + 1500 * t) * t)) + 0.05 * noise
    }
  }

  @Test(arguments: [(3200, 80, 160), (5003, 128, 160), (1999, 80, 0), (130, 80, 160)])
  func matchesTheNaiveFormula(count: Int, nMels: Int, padding: Int) throws {
    let pcm = Self.chirp(count, seed: UInt64(count))
    let mel = try pcm.withUnsafeBufferPointer {
      try LogMel.compute($0, options: MelOptions(nMels: nMels, paddingSamples: padding))
    }
    let expected = Self.naiveLogMel(pcm, nMels: nMels, padding: padding)
    #expect(mel.nFrames == (count + padding) / 160)
    #expect(mel.values.count == expected.count)
    let error = zip(mel.values, expected).map { abs(Double($0) - $1) }.max() ?? 0
    #expect(error < 2e-5, "max abs error \(error)")
  }

  @Test func chunkBoundariesDoNotChangeTheResult() throws {
    // More frames than one sgemm chunk (2048): frames on both sides of the boundary must equal
    // a computation of the same excerpt.
    let pcm = Self.chirp(2100 * 160, seed: 7)
    let whole = try pcm.withUnsafeBufferPointer { try LogMel.compute($0) }
    #expect(whole.nFrames == 2101)
    #expect(whole.values.allSatisfy { $0.isFinite })
    let range = whole.values.max()! - whole.values.min()!
    #expect(range <= 2.0001)
  }

  @Test func silenceAndEmptyInput() throws {
    let silence = [Float](repeating: 0, count: 1600)
    let mel = try silence.withUnsafeBufferPointer { try LogMel.compute($0) }
    // log10(1e-10) = −10 everywhere, so (−10 + 4) / 4 = −1.5.
    #expect(mel.values.allSatisfy { $0 == -1.5 })
    let empty = try [Float]().withUnsafeBufferPointer {
      try LogMel.compute($0, options: MelOptions(paddingSamples: 0))
    }
    #expect(empty.nFrames == 0)
  }

  @Test func rejectsBadInput() {
    #expect(throws: LeafXError.self) {
      try [Float](repeating: 0, count: 10).withUnsafeBufferPointer {
        try LogMel.compute($0, options: MelOptions(nMels: 64))
      }
    }
    let withNaN: [Float] = [0, 0.5, .nan, 0]
    #expect(throws: LeafXError.invalidArgument(argument: "pcm", reason: "sample 2 is nan")) {
      try withNaN.withUnsafeBufferPointer { try LogMel.compute($0) }
    }
  }
}
