import LeafXCore

#if canImport(Glibc)
  import Glibc
#endif

/// Output structs the caller sizes (`leafx_model_info`, `leafx_segment`, `leafx_token`,
/// `leafx_word`): the caller sets `struct_size` first, the library writes at most that many
/// bytes (keeping the caller's struct_size), so structs can grow in later versions like the
/// params structs: a caller compiled against an older header gets the fields it knows.
enum OutStruct {
  /// - Parameter minimumSize: the struct's size in leafx 0.1 (the whole struct when it has
  ///   not grown since).
  static func write<T>(
    _ value: T, to destination: UnsafeMutablePointer<T>, name: String, minimumSize: Int = MemoryLayout<T>.size
  ) throws {
    let size = UnsafeRawPointer(destination).load(as: Int.self)
    guard size >= minimumSize else {
      throw LeafXError.invalidArgument(
        argument: "struct_size",
        reason: "\(size) is smaller than sizeof(\(name)) of leafx 0.1 (\(minimumSize)); set it to sizeof(\(name))")
    }
    let ours = min(size, MemoryLayout<T>.size)
    guard size <= 1 << 16 else {
      throw LeafXError.invalidArgument(argument: "struct_size", reason: "\(size) is implausibly large")
    }
    var copy = value
    withUnsafeMutableBytes(of: &copy) { bytes in
      // Keep the caller's struct_size in the first field.
      bytes.storeBytes(of: size, toByteOffset: 0, as: Int.self)
      _ = memcpy(UnsafeMutableRawPointer(destination), bytes.baseAddress!, ours)
    }
  }
}

extension OutStruct {
  /// Writes element `index` of `items` (one of a result's segments, tokens or words) to the
  /// caller's struct, or throws `invalidArgument` naming `i_<kind>` when out of range.
  static func element<T>(
    _ items: [T], _ index: Int, kind: String, to destination: UnsafeMutablePointer<T>?,
    minimumSize: Int = MemoryLayout<T>.size
  ) throws {
    let destination = try required(destination, kind)
    guard items.indices.contains(index) else {
      throw LeafXError.invalidArgument(
        argument: "i_\(kind)", reason: "\(UInt(bitPattern: index)) is out of range (\(items.count) \(kind)s)")
    }
    try write(items[index], to: destination, name: "leafx_\(kind)", minimumSize: minimumSize)
  }
}

/// A C string whose storage lives as long as its owner (a handle).
final class PinnedCString: @unchecked Sendable {  // immutable after init
  let pointer: UnsafeMutablePointer<CChar>

  init(_ text: String) {
    pointer = strdup(text)!
  }

  deinit { free(pointer) }
}
