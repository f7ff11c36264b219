#if canImport(Glibc)
  import Glibc
#endif

/// How an output names the audio and model files it came from. By default (`names`) only
/// their file names ("jfk.wav", "tiny.en"), so that a JSON file, report or results file can
/// be shared without telling where the files were on the machine that wrote it; `full`
/// (`--full-paths`) writes absolute paths instead.
public enum OutputPaths: Sendable, Equatable {
  /// The last component of the path: the file's or directory's name.
  case names
  /// The absolute path, made from the working directory when the path is relative.
  case full

  /// `path` as this policy writes it.
  public func render(_ path: String) -> String {
    switch self {
    case .names: return Self.fileName(path)
    case .full: return Self.absolute(path)
    }
  }

  /// The last component of `path` once made absolute, so that "." and "dir/.." name a
  /// directory too: "/data/jfk.wav" → "jfk.wav", "models/tiny.en/" → "tiny.en".
  public static func fileName(_ path: String) -> String {
    let resolved = absolute(path)
    guard let slash = resolved.lastIndex(of: "/"), resolved != "/" else { return resolved }
    return String(resolved[resolved.index(after: slash)...])
  }

  /// `path` made absolute against the working directory, with "." and ".." components and
  /// repeated or trailing slashes removed (lexically: symbolic links are kept as given).
  public static func absolute(_ path: String) -> String {
    var full = path
    if !path.hasPrefix("/"), let cwd = workingDirectory() {
      full = cwd + "/" + path
    }
    var parts: [Substring] = []
    for part in full.split(separator: "/", omittingEmptySubsequences: true) {
      switch part {
      case ".": continue
      case "..": if !parts.isEmpty { parts.removeLast() }
      default: parts.append(part)
      }
    }
    // Relative only when the working directory is unknown.
    let joined = parts.joined(separator: "/")
    return full.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
  }

  static func workingDirectory() -> String? {
    guard let buffer = getcwd(nil, 0) else { return nil }
    defer { free(buffer) }
    return String(cString: buffer)
  }
}
