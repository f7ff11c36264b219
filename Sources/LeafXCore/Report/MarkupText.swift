/// Escaping for the HTML report and the SVG heatmap: text and attribute values, and JSON
/// placed inside a `<script>` element.
public enum MarkupText {
  /// `text` with `& < > " '` replaced by character references: safe as element content and
  /// as a quoted attribute value in HTML and XML.
  public static func escaped(_ text: String) -> String {
    var out = ""
    for c in text {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(c)
      }
    }
    return out
  }

  /// JSON made safe inside `<script type="application/json">`: a transcript word such as
  /// `</script>` must not end the element. `<` only occurs inside JSON strings, where
  /// `\u003c` means the same character.
  public static func scriptJSON(_ json: String) -> String {
    var out = ""
    out.reserveCapacity(json.utf8.count)
    for c in json.unicodeScalars {
      if c == "<" { out += "\\u003c" } else { out.unicodeScalars.append(c) }
    }
    return out
  }
}
