#if canImport(Glibc)
  import Glibc
#endif

/// Minimal JSON text writing for leafx's outputs (no Foundation): string quoting and
/// number formatting with the conventions docs/json-schema.md uses.
public enum JSONText {
  /// A JSON string literal.
  public static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  /// Shortest round-tripping decimal form of a float; `null` for NaN and infinities.
  public static func number(_ value: Float) -> String {
    value.isFinite ? "\(value)" : "null"
  }

  /// A share in [0, 1] rounded to `digits` significant digits in its shortest decimal form
  /// ("0.0154", "1.23e-7"), for copies of attributions that only need to be drawn; other values
  /// (negative, above 1, not finite) as `number(_:)`.
  public static func share(_ value: Float, digits: Int) -> String {
    guard value > 0, value < 1, digits > 0 else { return value == 0 ? "0" : number(value) }
    var exponent = Int(log10f(value).rounded(.down))
    var mantissa = Int((Double(value) * pow10(digits - 1 - exponent)).rounded())
    if mantissa >= intPow10(digits) {  // 0.09996 → 0.100
      mantissa /= 10
      exponent += 1
    }
    var significand = String(mantissa)
    while significand.count > 1 && significand.hasSuffix("0") { significand.removeLast() }
    if exponent >= 0 { return "1" }
    if exponent >= -5 {
      return "0." + String(repeating: "0", count: -exponent - 1) + significand
    }
    let head = significand.prefix(1), tail = significand.dropFirst()
    return head + (tail.isEmpty ? "" : "." + tail) + "e\(exponent)"
  }

  static func pow10(_ n: Int) -> Double {
    var result = 1.0
    for _ in 0..<abs(n) { result *= 10 }
    return n < 0 ? 1 / result : result
  }

  static func intPow10(_ n: Int) -> Int { (0..<n).reduce(1) { r, _ in r * 10 } }

  /// Seconds with millisecond resolution ("1.230").
  public static func seconds(_ value: Double) -> String {
    guard value.isFinite else { return "null" }
    let ms = Int((value * 1000).rounded())
    let sign = ms < 0 ? "-" : ""
    let magnitude = abs(ms)
    let fraction = String(magnitude % 1000)
    return "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
  }
}
