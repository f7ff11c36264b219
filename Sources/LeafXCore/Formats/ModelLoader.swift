/// Loads a Whisper checkpoint from any supported format (docs/design.md, "Model formats"),
/// detecting the format from the path when it is not given.
///
/// ```
/// directory with model.bin          -> .ctranslate2   (also: the model.bin file itself)
/// directory with model.safetensors  -> .safetensors   (also: the model.safetensors file itself)
/// file starting with "lmgg"         -> .ggml          (whisper.cpp legacy magic 0x67676d6c)
/// ```
public enum ModelLoader {
  /// The format of the model at `path`.
  /// - Parameter path: a model directory, a ggml file, or the `model.bin` /
  ///   `model.safetensors` inside a model directory.
  /// - Returns: the detected format.
  /// - Throws: `io` when nothing is at `path`; `format` (listing what was looked for) when it
  ///   is not a model leafx recognises; `unsupported` for GGUF files and sharded safetensors.
  public static func detectFormat(path: String) throws -> ModelFormat {
    switch MappedFile.kind(of: path) {
    case .missing:
      throw LeafXError.io(path: path, reason: "no such file or directory")
    case .other:
      throw LeafXError.io(path: path, reason: "not a regular file or directory")
    case .directory:
      if CTranslate2Reader.canRead(path: path) { return .ctranslate2 }
      if SafetensorsReader.canRead(path: path) { return .safetensors }
      if MappedFile.kind(of: MappedFile.join(path, "model.safetensors.index.json")) == .file {
        throw LeafXError.unsupported("\(path): sharded safetensors (model.safetensors.index.json); merge the shards into model.safetensors")
      }
      throw LeafXError.format(
        path: path, offset: nil,
        reason: "not a model directory: looked for model.bin (CTranslate2) and model.safetensors (Hugging Face)")
    case .file:
      let file = try MappedFile(path: path)
      var cursor = file.cursor()
      let magic = try? cursor.u32()
      if magic == GGMLReader.magic { return .ggml }
      if magic == 0x4655_4747 {  // "GGUF"
        throw LeafXError.unsupported("\(path): GGUF files are not supported; use a whisper.cpp ggml .bin")
      }
      let name = path.split(separator: "/").last.map(String.init) ?? path
      if name == "model.safetensors" { return .safetensors }
      if name == "model.bin", let magic, (1...UInt32(CT2ModelFile.currentBinaryVersion)).contains(magic) {
        return .ctranslate2
      }
      throw LeafXError.format(
        path: path, offset: 0,
        reason: "not a model: looked for the ggml magic \"lmgg\", or a directory holding model.bin (CTranslate2) or model.safetensors (Hugging Face)")
    }
  }

  /// Loads, widens to float32 and validates the checkpoint at `path`.
  /// - Parameters:
  ///   - path: as for `detectFormat(path:)`.
  ///   - format: the format to read; nil detects it.
  /// - Returns: a checkpoint that passed `WhisperCheckpoint.validate()`.
  /// - Throws: `io`, `format` (naming the file, tensor and offset), `unsupported`.
  public static func load(path: String, format: ModelFormat? = nil) throws -> WhisperCheckpoint {
    let format = try format ?? detectFormat(path: path)
    var target = path
    let components = path.split(separator: "/", omittingEmptySubsequences: false)
    let mainFile = format == .ctranslate2 ? "model.bin" : "model.safetensors"
    if format != .ggml, components.last.map(String.init) == mainFile, MappedFile.kind(of: path) == .file {
      // The model.bin / model.safetensors file itself: read its directory.
      target = components.dropLast().joined(separator: "/")
      if components.count == 1 { target = "." } else if target.isEmpty { target = "/" }
    }
    let checkpoint: WhisperCheckpoint
    switch format {
    case .ctranslate2: checkpoint = try CTranslate2Reader.readUnvalidated(path: target)
    case .ggml: checkpoint = try GGMLReader.readUnvalidated(path: target)
    case .safetensors: checkpoint = try SafetensorsReader.readUnvalidated(path: target)
    }
    try checkpoint.validate()
    return checkpoint
  }
}
