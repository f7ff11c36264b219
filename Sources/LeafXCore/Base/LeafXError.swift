/// Every failure the core reports. Each case carries the context a user needs to find the
/// fault (file, argument, offset); the C shim maps the case 1:1 to a `leafx_status` and the
/// message to `leafx_last_error()`.
public enum LeafXError: Error, Equatable, CustomStringConvertible {
  /// An argument is out of range, missing or malformed. `argument` names it.
  case invalidArgument(argument: String, reason: String)
  /// A handle or call sequence is wrong (NULL, freed or foreign handle).
  case misuse(String)
  /// A file could not be opened or read.
  case io(path: String, reason: String)
  /// A file was read but its contents are invalid; `offset` is the byte (or sample) at fault
  /// when known.
  case format(path: String, offset: Int?, reason: String)
  /// Valid input this build cannot handle.
  case unsupported(String)
  /// An allocation would fail or a size would overflow.
  case noMemory(String)
  /// A broken invariant inside leafx (a bug).
  case `internal`(String)
  /// The caller's abort callback asked to stop.
  case cancelled

  /// The human-readable message, naming what is at fault.
  public var description: String {
    switch self {
    case .invalidArgument(let argument, let reason): return "\(argument): \(reason)"
    case .misuse(let message): return message
    case .io(let path, let reason): return "\(path): \(reason)"
    case .format(let path, let offset, let reason):
      if let offset { return "\(path): at \(offset): \(reason)" }
      return "\(path): \(reason)"
    case .unsupported(let message): return "unsupported: \(message)"
    case .noMemory(let message): return "out of memory: \(message)"
    case .internal(let message): return "internal error (please report): \(message)"
    case .cancelled: return "cancelled by the caller"
    }
  }
}
