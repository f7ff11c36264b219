/// Base64 (RFC 4648 §4, standard alphabet, `=` padding) for the data the HTML report embeds:
/// the audio, the spectrogram. Foundation is not used in the core (docs/design.md, "The C ABI").
public enum Base64 {
  static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  /// The base64 text of `bytes`: 4 characters per 3 bytes, the last group padded with `=`.
  public static func encode(_ bytes: [UInt8]) -> String {
    var out = [UInt8]()
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = 0
    while i + 3 <= bytes.count {
      let group = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
      out += [sextet(group, 18), sextet(group, 12), sextet(group, 6), sextet(group, 0)]
      i += 3
    }
    let rest = bytes.count - i
    if rest > 0 {
      let group = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
      out += [sextet(group, 18), sextet(group, 12), rest == 2 ? sextet(group, 6) : UInt8(ascii: "="), UInt8(ascii: "=")]
    }
    return String(decoding: out, as: UTF8.self)
  }

  @inline(__always)
  static func sextet(_ group: UInt32, _ shift: UInt32) -> UInt8 {
    alphabet[Int((group >> shift) & 63)]
  }
}
