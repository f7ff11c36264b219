import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// One method's scores on one utterance: a line of the benchmark's results file (JSON Lines),
/// appended as soon as the utterance is done so that an interrupted run resumes where it
/// stopped.
public struct UtteranceResult: Sendable, Codable, Equatable {
  /// Everything but the method list that changes the numbers (model, seed, tokens, τ, depth).
  public var config: String
  public var id: String
  public var method: String
  /// The metric groups evaluated (a later run asking for more evaluates the utterance again).
  public var groups: [BenchMetric.Group]
  /// Metric name → mean over the utterance's evaluated tokens (or words); absent when none
  /// could be evaluated (no matched word, no identically decoded token).
  public var metrics: [String: Double]
  /// Metric name → number of tokens (or words) averaged.
  public var counts: [String: Int]
  /// Seconds the method spent explaining the utterance (decoding excluded).
  public var seconds: Double

  /// Names a result within one configuration: its utterance and method.
  static func key(id: String, method: String) -> String { id + "\u{1}" + method }
  var key: String { Self.key(id: id, method: method) }
}

/// The results file: reads earlier lines, appends new ones.
public struct BenchResultsFile: Sendable {
  public let path: String

  public init(path: String) { self.path = path }

  public var exists: Bool { access(path, F_OK) == 0 }

  /// Every parseable result of the file (none when it does not exist); a later line for the
  /// same configuration, utterance and method replaces an earlier one.
  /// - Throws: `format` naming the line that is not a result.
  public func read() throws -> [UtteranceResult] {
    guard exists else { return [] }
    let file = try MappedFile(path: path)
    var byKey: [String: Int] = [:]
    var results: [UtteranceResult] = []
    for (number, line) in file.bytes.split(separator: UInt8(ascii: "\n")).enumerated() {
      let bytes = Array(line)
      guard bytes.contains(where: { $0 > 32 }) else { continue }
      let result: UtteranceResult
      do {
        result = try JSONDecoder().decode(UtteranceResult.self, from: Data(bytes))
      } catch {
        // An interrupted write leaves at most a truncated last line: skip it, it is redone.
        if number == file.bytes.split(separator: UInt8(ascii: "\n")).count - 1 { continue }
        throw LeafXError.format(path: path, offset: nil, reason: "line \(number + 1) is not a benchmark result: \(error)")
      }
      let key = result.config + "\u{1}" + result.key
      if let existing = byKey[key] {
        results[existing] = result
      } else {
        byKey[key] = results.count
        results.append(result)
      }
    }
    return results
  }

  /// Appends `results` (utterance or token results), one JSON object per line, in one write.
  public func append(_ results: [some Encodable]) throws {
    guard !results.isEmpty else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    var bytes: [UInt8] = []
    for result in results {
      bytes += Array(try encoder.encode(result))
      bytes.append(UInt8(ascii: "\n"))
    }
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw LeafXError.io(path: path, reason: "cannot open for appending: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
      if written < 0 && errno == EINTR { continue }
      guard written > 0 else { throw LeafXError.io(path: path, reason: "write failed: \(String(cString: strerror(errno)))") }
      offset += written
    }
  }
}
