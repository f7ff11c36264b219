extension String {
  /// The string without leading and trailing white space, as Python's `str.strip()`
  /// (used where openai-whisper and faster-whisper strip text).
  public var stripped: String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
    let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
    return String(scalars[first...last])
  }
}
