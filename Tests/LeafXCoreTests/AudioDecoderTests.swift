import Testing

@testable import LeafXCore

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct AudioDecoderTests {
  static func sine(frequency: Double, rate: Int, seconds: Double, channels: Int) -> [Float] {
    let frames = Int(Double(rate) * seconds)
    var out = [Float](repeating: 0, count: frames * channels)
    for i in 0..<frames {
      let v = Float(0.5 * sin(2 * Double.pi * frequency * Double(i) / Double(rate)))
      for c in 0..<channels { out[i * channels + c] = v }
    }
    return out
  }

  /// Power of a single DFT bin at `frequency`, normalised by length.
  static func tonePower(_ x: [Float], frequency: Double, rate: Int) -> Double {
    var re = 0.0
    var im = 0.0
    for (i, v) in x.enumerated() {
      let phase = 2 * Double.pi * frequency * Double(i) / Double(rate)
      re += Double(v) * cos(phase)
      im += Double(v) * sin(phase)
    }
    return (re * re + im * im) / Double(x.count * x.count)
  }

  @Test(arguments: [8000, 22050, 44100, 48000])
  func resamplesToSixteenKilohertzKeepingLengthAndPitch(rate: Int) throws {
    let input = Self.sine(frequency: 1000, rate: rate, seconds: 1, channels: 2)
    let audio = try input.withUnsafeBufferPointer {
      try AudioDecoder.convert(interleaved: $0, channels: 2, sampleRate: rate)
    }
    #expect(audio.samples.count == 16000)
    #expect(audio.sourceSampleRate == rate && audio.sourceChannels == 2)
    // The tone stays at 1 kHz with its amplitude (0.5 → power 0.0625 in this normalisation).
    let atTone = Self.tonePower(audio.samples, frequency: 1000, rate: 16000)
    let offTone = Self.tonePower(audio.samples, frequency: 1250, rate: 16000)
    #expect(abs(atTone - 0.0625) < 0.002, "power at 1 kHz \(atTone)")
    #expect(offTone < 1e-4, "power at 1.25 kHz \(offTone)")
  }

  @Test func sameRateIsACopy() throws {
    let input: [Float] = [0.1, -0.2, 0.3, 0.0]
    let audio = try input.withUnsafeBufferPointer {
      try AudioDecoder.convert(interleaved: $0, channels: 1, sampleRate: 16000)
    }
    #expect(audio.samples == input)
  }

  @Test func rejectsNonFiniteSamplesAndBadChannels() {
    let input: [Float] = [0, 0, .infinity, 0]
    #expect(throws: LeafXError.self) {
      try input.withUnsafeBufferPointer { try AudioDecoder.convert(interleaved: $0, channels: 2, sampleRate: 16000) }
    }
    #expect(throws: LeafXError.self) {
      try [Float](repeating: 0, count: 4).withUnsafeBufferPointer {
        try AudioDecoder.convert(
          interleaved: $0, channels: 2, sampleRate: 16000, options: AudioOptions(channel: 2))
      }
    }
  }

  @Test func missingFileIsAnIOError() {
    #expect(throws: LeafXError.io(path: "/nonexistent/a.wav", reason: "No such file or directory")) {
      try AudioDecoder.load(path: "/nonexistent/a.wav")
    }
  }

  /// A 16-bit PCM WAV header claiming `rate` Hz, followed by `frames` zero frames, mono.
  static func wavBytes(rate: UInt32, frames: Int) -> [UInt8] {
    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    let data = [UInt8](repeating: 0, count: frames * 2)
    let fmt: [UInt8] = le(UInt16(1)) + le(UInt16(1)) + le(rate) + le(rate &* 2) + le(UInt16(2)) + le(UInt16(16))
    let body: [UInt8] = Array("WAVEfmt ".utf8) + le(UInt32(fmt.count)) + fmt + Array("data".utf8) + le(UInt32(data.count)) + data
    return Array("RIFF".utf8) + le(UInt32(body.count)) + body
  }

  /// Regression (Fuzz/Targets/FuzzAudio.swift): a 4 KB file whose header claims 1 Hz decoded
  /// as 2000 s of audio, resampled up 16000-fold, for minutes. Header rates outside the range
  /// raw PCM accepts are refused by name; the edges of the range still load.
  @Test(arguments: [(UInt32(1), false), (999, false), (384_001, false), (2_000_000_000, false), (1000, true), (384_000, true)])
  func headerSampleRatesOutsideTheRangeAreRefused(rate: UInt32, loads: Bool) throws {
    let path = "/tmp/leafx-rate-\(getpid())-\(rate).wav"
    let bytes = Self.wavBytes(rate: rate, frames: 2000)
    let file = fopen(path, "wb")!
    _ = fwrite(bytes, 1, bytes.count, file)
    fclose(file)
    defer { unlink(path) }
    if loads {
      let audio = try AudioDecoder.load(path: path)
      #expect(audio.sourceSampleRate == Int(rate))
    } else {
      #expect {
        _ = try AudioDecoder.load(path: path)
      } throws: { error in
        guard case LeafXError.format(let where_, _, let reason) = error else { return false }
        return where_ == path && reason.contains("sample rate \(rate) Hz")
      }
    }
  }
}
