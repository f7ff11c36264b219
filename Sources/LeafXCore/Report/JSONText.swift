/// Minimal JSON text writing for leafx's outputs (no Foundation): string quoting and
/// number formatting with the conventions the JSON schema of DESIGN §12 uses.
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
