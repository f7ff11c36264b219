import FoundationEssentials

/// A benchmark manifest (JSON Lines, docs/cli.md, "Bench manifest"; Tests/data/dev/manifest.jsonl
/// is one): one utterance per line with its audio path (relative to the manifest's folder),
/// reference text and word timings from a forced alignment.
public struct Manifest: Sendable {
  public struct Word: Sendable, Decodable, Equatable {
    public var word: String
    public var start: Double
    public var end: Double
  }

  public struct Utterance: Sendable, Decodable {
    public var id: String
    public var audio: String
    public var text: String
    public var words: [Word]
  }

  public var path: String
  public var utterances: [Utterance]

  /// Reads a manifest; audio paths are resolved against its folder.
  /// - Throws: `io`, or `format` naming the line at fault.
  public init(path: String) throws {
    self.path = path
    let file = try MappedFile(path: path)
    let lines = file.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
    var utterances: [Utterance] = []
    for (number, line) in lines.enumerated() {
      let bytes = Array(line)
      guard bytes.contains(where: { $0 > 32 }) else { continue }
      do {
        var utterance = try JSONDecoder().decode(Utterance.self, from: Data(bytes))
        if !utterance.audio.hasPrefix("/") { utterance.audio = folder + "/" + utterance.audio }
        utterances.append(utterance)
      } catch {
        throw LeafXError.format(path: path, offset: nil, reason: "line \(number + 1): \(error)")
      }
    }
    self.utterances = utterances
  }
}
