#if canImport(Glibc)
  import Glibc
#endif

/// Resolves `-m` arguments (docs/cli.md, "Models and the cache"): a path to a model directory or
/// ggml file, or a name (`tiny.en`, `base`) looked up in the model cache `$LEAFX_MODELS`
/// (default `~/.cache/leafx/models`, filled by `make models`).
public enum ModelCache {
  /// The default model when none is named.
  public static let defaultModel = "tiny.en"

  /// The cache directory.
  public static var directory: String {
    if let explicit = getenv("LEAFX_MODELS").map({ String(cString: $0) }), !explicit.isEmpty { return explicit }
    if let cache = getenv("LEAFX_CACHE").map({ String(cString: $0) }), !cache.isEmpty { return cache + "/models" }
    let home = getenv("HOME").map { String(cString: $0) } ?? "."
    return home + "/.cache/leafx/models"
  }

  /// The path `nameOrPath` refers to.
  /// - Throws: `io` naming both the path and the cache entry tried when neither exists.
  public static func resolve(_ nameOrPath: String?) throws -> String {
    let given = nameOrPath ?? defaultModel
    if exists(given) { return given }
    if !given.contains("/") {
      let cached = directory + "/" + given
      if exists(cached) { return cached }
      throw LeafXError.io(
        path: given,
        reason: "no such file, and no model named \"\(given)\" in \(directory) (run `make models`, or set LEAFX_MODELS)")
    }
    throw LeafXError.io(path: given, reason: "no such file or directory")
  }

  static func exists(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0
  }
}
