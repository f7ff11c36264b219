import CLeafXABI
import LeafXCore

#if canImport(Glibc)
  import Glibc
#endif

/// The thread-local message behind `leafx_last_error()`: a malloc'd C string per thread,
/// replaced on each failure and freed when the thread exits.
enum ErrorState {
  static let key: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { free($0) }
    return key
  }()

  static func set(_ message: String) {
    let previous = pthread_getspecific(key)
    pthread_setspecific(key, strdup(message))
    free(previous)
  }

  static var current: UnsafePointer<CChar>? {
    pthread_getspecific(key).map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) }
  }
}

extension LeafXError {
  /// The 1:1 mapping of core errors to C status codes.
  var status: leafx_status {
    switch self {
    case .invalidArgument: return LEAFX_ERR_INVALID_ARGUMENT
    case .misuse: return LEAFX_ERR_MISUSE
    case .io: return LEAFX_ERR_IO
    case .format: return LEAFX_ERR_FORMAT
    case .unsupported: return LEAFX_ERR_UNSUPPORTED
    case .noMemory: return LEAFX_ERR_NO_MEMORY
    case .internal: return LEAFX_ERR_INTERNAL
    case .cancelled: return LEAFX_CANCELLED
    }
  }
}

/// The core names an option by its concept (the Swift property); a C caller knows it by its
/// params field.
private let cFieldNames = [
  "beamSize": "beam_size", "bestOf": "best_of", "lengthPenalty": "length_penalty", "maxLength": "max_length",
  "maxInitialTimestamp": "max_initial_timestamp_s", "steps": "ig_steps", "occlusionWindow": "window_frames",
  "occlusionStride": "stride_frames", "samples": "n_samples", "segmentFrames": "segment_frames",
]

extension LeafXError {
  /// The error with an option named as the C params struct names it (also after a
  /// `params->` prefix).
  var inCTerms: LeafXError {
    guard case .invalidArgument(let argument, let reason) = self else { return self }
    let prefix = argument.hasPrefix("params->") ? "params->" : ""
    guard let field = cFieldNames[String(argument.dropFirst(prefix.count))] else { return self }
    return .invalidArgument(argument: prefix + field, reason: reason)
  }
}

/// Runs the body of an exported function: a thrown error becomes its status code and the
/// thread's message (options named as the C structs name them), prefixed with the function's
/// name.
func abiCall(_ function: StaticString, _ body: () throws -> Void) -> leafx_status {
  do {
    try body()
    return LEAFX_OK
  } catch let error as LeafXError {
    ErrorState.set("\(function): \(error.inCTerms.description)")
    return error.status
  } catch {
    ErrorState.set("\(function): internal error (please report): \(error)")
    return LEAFX_ERR_INTERNAL
  }
}

/// Throws `invalidArgument` when a required pointer argument is NULL.
func required<T>(_ pointer: T?, _ name: String) throws -> T {
  guard let pointer else {
    throw LeafXError.invalidArgument(argument: name, reason: "must not be NULL")
  }
  return pointer
}
