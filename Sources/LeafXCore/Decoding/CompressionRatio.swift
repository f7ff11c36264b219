import CZlib

/// openai-whisper's repetition check: `len(text) / len(zlib.compress(text))` over the UTF-8
/// bytes, with zlib's default level (Python's `zlib.compress` default, −1 = 6). Looping
/// hallucinations compress well, so a ratio above 2.4 triggers the temperature fallback.
public enum CompressionRatio {
  public static func of(_ text: String) -> Float {
    let bytes = Array(text.utf8)
    guard !bytes.isEmpty else { return 0 }
    var bound = compressBound(uLong(bytes.count))
    var out = [UInt8](repeating: 0, count: Int(bound))
    let status = out.withUnsafeMutableBufferPointer { o in
      bytes.withUnsafeBufferPointer { i in
        compress2(o.baseAddress, &bound, i.baseAddress, uLong(i.count), Z_DEFAULT_COMPRESSION)
      }
    }
    guard status == Z_OK, bound > 0 else { return 0 }
    return Float(bytes.count) / Float(bound)
  }
}
