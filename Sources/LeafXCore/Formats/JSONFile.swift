import FoundationEssentials

/// Decoding of the JSON side files of model directories (`config.json`, `tokenizer.json`,
/// the safetensors header) with FoundationEssentials' `JSONDecoder`, mapping every failure to
/// a `LeafXError` that names the file and the JSON path at fault.
enum JSONFile {
  /// Largest JSON file accepted, in bytes: far above any Whisper config or tokenizer
  /// (tokenizer.json is ~2.5 MB), low enough that a lying size cannot exhaust memory.
  static let maximumSize = 64 << 20

  /// Decodes the JSON file at `path`.
  /// - Throws: `io` when it cannot be read, `format` when it is too large, not JSON, or does
  ///   not have the expected structure.
  static func decode<T: Decodable>(_ type: T.Type, path: String) throws -> T {
    let file = try MappedFile(path: path)
    guard file.count <= maximumSize else {
      throw LeafXError.format(
        path: path, offset: nil, reason: "\(file.count) bytes is too large for a JSON side file")
    }
    return try decode(type, bytes: file.bytes, path: path, offset: nil)
  }

  /// Decodes JSON held in `bytes` (part of the file at `path`, starting at `offset`).
  /// - Throws: `format` naming `path`, `offset` and the JSON path of the first mismatch.
  static func decode<T: Decodable>(
    _ type: T.Type, bytes: UnsafeRawBufferPointer, path: String, offset: Int?
  ) throws -> T {
    let data = bytes.baseAddress.map { Data(bytes: $0, count: bytes.count) } ?? Data()
    do {
      return try JSONDecoder().decode(type, from: data)
    } catch let error as DecodingError {
      throw LeafXError.format(path: path, offset: offset, reason: describe(error))
    } catch {
      throw LeafXError.format(path: path, offset: offset, reason: "invalid JSON: \(error)")
    }
  }

  /// A one-line account of a decoding failure: the JSON path and what was wrong there.
  static func describe(_ error: DecodingError) -> String {
    /// `codingPath` as `.a[3].b`.
    func where_(_ path: [any CodingKey]) -> String {
      guard !path.isEmpty else { return "top level" }
      return path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
    switch error {
    case .typeMismatch(let type, let context):
      return "\(where_(context.codingPath)): expected \(type) (\(context.debugDescription))"
    case .valueNotFound(let type, let context):
      return "\(where_(context.codingPath)): missing \(type) value"
    case .keyNotFound(let key, let context):
      return "\(where_(context.codingPath)): missing key \"\(key.stringValue)\""
    case .dataCorrupted(let context):
      return "\(where_(context.codingPath)): \(context.debugDescription)"
    @unknown default:
      return "invalid JSON: \(error)"
    }
  }
}
