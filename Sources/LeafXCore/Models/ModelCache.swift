#if canImport(Glibc)
  import Glibc
#endif

/// Resolves `-m` arguments (docs/cli.md, "Models and the cache"): a path to a model directory or
/// ggml file, or a name (`tiny.en`, `base`) looked up in the model cache `$LEAFX_MODELS`
/// (default `~/.cache/leafx/models`, filled by `leafx models fetch NAME` or `make models`).
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
      throw LeafXError.io(path: given, reason: "no such file, and " + notInCache(given))
    }
    throw LeafXError.io(path: given, reason: "no such file or directory")
  }

  /// That `name` is not in the cache, and what to do: the models the cache holds, how to fetch
  /// more, and the paths `-m` takes instead.
  public static func notInCache(_ name: String) -> String {
    let present = entries()
    let holds = present.isEmpty ? "which holds no model" : "which holds " + present.joined(separator: ", ")
    return "no model named \"\(name)\" in the model cache \(directory) (\(holds); "
      + "LEAFX_MODELS sets another). `leafx models list` shows the models leafx can fetch with "
      + "`leafx models fetch NAME`; -m also takes the path of a CTranslate2 or Hugging Face model "
      + "directory or of a ggml file"
  }

  /// The names in the cache directory, sorted: its entries (directories, files and links)
  /// whose names do not start with "." (a fetch stages its work under hidden names).
  public static func entries() -> [String] {
    guard let stream = opendir(directory) else { return [] }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
      }
      if !name.hasPrefix(".") { names.append(name) }
    }
    return names.sorted()
  }

  /// Whether `path` names anything (a link counts only when its target exists).
  public static func exists(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0
  }
}
