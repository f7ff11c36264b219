import CLeafXABI
import LeafXCore

#if canImport(Glibc)
  import Glibc
#endif

/// The size-versioned params protocol of docs/design.md, "Parameter structs": `_init` writes
/// defaults into at most the caller's `struct_size` bytes, and calls read at most that many bytes
/// back, taking the library's defaults for fields the caller's (older) struct does not have, and
/// refusing a (newer) caller's struct that sets fields this library does not know.
enum ParamsStruct {
  /// Writes `defaults` (with `struct_size` set) into the caller's struct.
  static func initialize<T>(
    _ destination: UnsafeMutablePointer<T>?, size: Int, defaults: T, minimumSize: Int,
    structSize: WritableKeyPath<T, Int>, name: String
  ) throws {
    let destination = try required(destination, "params")
    guard size >= minimumSize else {
      throw LeafXError.invalidArgument(
        argument: "struct_size",
        reason: "\(size) is smaller than sizeof(\(name)) of leafx 0.1 (\(minimumSize))")
    }
    var value = defaults
    value[keyPath: structSize] = size
    let ours = MemoryLayout<T>.size
    if size > ours {
      // A newer caller: zero the fields this library does not know.
      memset(UnsafeMutableRawPointer(destination), 0, size)
    }
    withUnsafeBytes(of: &value) { bytes in
      _ = memcpy(UnsafeMutableRawPointer(destination), bytes.baseAddress!, min(size, ours))
    }
  }

  /// Reads the caller's struct over `defaults`; NULL means all defaults.
  static func read<T>(
    _ source: UnsafePointer<T>?, defaults: T, minimumSize: Int, name: String
  ) throws -> T {
    guard let source else { return defaults }
    let size = UnsafeRawPointer(source).load(as: Int.self)
    guard size >= minimumSize else {
      throw LeafXError.invalidArgument(
        argument: "params->struct_size",
        reason: "\(size) is smaller than sizeof(\(name)) of leafx 0.1 (\(minimumSize)); fill it with \(name)_init")
    }
    guard size <= 1 << 16 else {
      throw LeafXError.invalidArgument(
        argument: "params->struct_size",
        reason: "\(size) is implausibly large; fill the struct with \(name)_init")
    }
    let ours = MemoryLayout<T>.size
    if size > ours {
      // A caller compiled against a newer header: the fields this library does not know
      // must still hold the zeros `_init` wrote, or the caller asked for something this
      // version would silently ignore.
      let unknown = UnsafeRawBufferPointer(start: UnsafeRawPointer(source) + ours, count: size - ours)
      if let offset = unknown.firstIndex(where: { $0 != 0 }) {
        throw LeafXError.unsupported(
          "\(name): the field at byte \(ours + offset) is set, but this library (leafx \(LeafXVersion.string)) "
            + "knows only the first \(ours) bytes of the struct; it is older than the header the caller was compiled against")
      }
    }
    var value = defaults
    withUnsafeMutableBytes(of: &value) { bytes in
      _ = memcpy(bytes.baseAddress!, UnsafeRawPointer(source), min(size, ours))
    }
    return value
  }
}

/// Runs `body`, naming an offending option as a field of the caller's params struct
/// ("params->n_mels") rather than as a bare option name; `abiCall` then names a core option
/// by its C field (`ErrorState.swift`, `cFieldNames`).
func asParamsField<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch LeafXError.invalidArgument(let argument, let reason) where !argument.hasPrefix("params->") {
    throw LeafXError.invalidArgument(argument: "params->\(argument)", reason: reason)
  }
}
