/// A RIFF/WAVE file of mono 16-bit PCM: how the HTML report embeds the audio it explains, so
/// that clicking a word can play that stretch without any file beside the page.
public enum WAVEncoding {
  /// The bytes of a WAV file holding `samples` (floats in [-1, 1], clipped) at `sampleRate`.
  ///
  /// 16-bit PCM is what every browser plays; it halves the size of float WAV, and the
  /// quantisation noise (−96 dB) is far below anything a reviewer listens for.
  public static func pcm16(_ samples: [Float], sampleRate: Int = 16_000) -> [UInt8] {
    let dataBytes = samples.count * 2
    var out = [UInt8]()
    out.reserveCapacity(44 + dataBytes)
    out += Array("RIFF".utf8) + le32(36 + dataBytes) + Array("WAVE".utf8)
    // fmt chunk: PCM (1), 1 channel, rate, byte rate, block align 2, 16 bits per sample.
    out += Array("fmt ".utf8) + le32(16) + le16(1) + le16(1) + le32(sampleRate) + le32(sampleRate * 2) + le16(2) + le16(16)
    out += Array("data".utf8) + le32(dataBytes)
    for sample in samples {
      let clipped = sample.isFinite ? min(max(sample, -1), 1) : 0
      let value = Int16((clipped * 32767).rounded())
      let bits = UInt16(bitPattern: value)
      out.append(UInt8(bits & 0xff))
      out.append(UInt8(bits >> 8))
    }
    return out
  }

  static func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xff), UInt8((value >> 8) & 0xff)] }
  static func le32(_ value: Int) -> [UInt8] { le16(value & 0xffff) + le16((value >> 16) & 0xffff) }
}
