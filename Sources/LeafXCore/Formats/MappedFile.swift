#if canImport(Glibc)
  import Glibc
#endif

/// A whole file mapped read-only into memory (`mmap(PROT_READ, MAP_PRIVATE)`).
///
/// The weight readers never `read(2)` model data: they map the file, validate every header
/// field against `bytes.count`, and only then widen tensor data straight out of the mapping.
/// The mapping lives as long as this object; `ByteCursor` keeps a strong reference so that a
/// cursor's slices stay valid while it exists.
///
/// Invariants: `bytes` covers exactly the file size observed by `fstat` at open time; an empty
/// file gives an empty buffer (no mapping). If another process truncates the file while it is
/// mapped, touching the lost pages raises SIGBUS: that race is outside what a reader can check.
final class MappedFile: @unchecked Sendable {
  /// The path the file was opened with, used in every error message.
  let path: String
  /// The mapped bytes, `[0, size)`.
  let bytes: UnsafeRawBufferPointer
  /// Start of the mapping to `munmap`, nil for an empty file.
  private let mapping: UnsafeMutableRawPointer?

  /// Opens and maps `path`.
  /// - Parameter path: a regular file.
  /// - Throws: `io` when the file is missing, unreadable, not a regular file, or cannot be
  ///   mapped.
  init(path: String) throws {
    self.path = path
    // O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then rejects it).
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else {
      throw LeafXError.io(path: path, reason: "cannot open: \(Self.errnoText())")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw LeafXError.io(path: path, reason: "cannot stat: \(Self.errnoText())")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw LeafXError.io(path: path, reason: "not a regular file")
    }
    let size = Int(info.st_size)
    guard size > 0 else {
      mapping = nil
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    #if LEAFX_HEAP_MAPPED_FILES
      // Sanitizer builds (Fuzz/, make test-asan): an exactly sized heap copy instead of a
      // page-rounded mapping, so AddressSanitizer sees any read past the last byte.
      let copy = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
      var done = 0
      while done < size {
        let n = read(fd, copy + done, size - done)
        guard n > 0 else {
          copy.deallocate()
          throw LeafXError.io(path: path, reason: "cannot read \(size) bytes: \(n < 0 ? Self.errnoText() : "file shrank")")
        }
        done += n
      }
      mapping = copy
      bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(copy), count: size)
      return
    #else
    let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
    guard let address, address != MAP_FAILED else {
      throw LeafXError.io(path: path, reason: "cannot map \(size) bytes: \(Self.errnoText())")
    }
    mapping = address
    bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(address), count: size)
    #endif
  }

  deinit {
    #if LEAFX_HEAP_MAPPED_FILES
      mapping?.deallocate()
    #else
      if let mapping { munmap(mapping, bytes.count) }
    #endif
  }

  /// File size in bytes.
  var count: Int { bytes.count }

  /// A cursor over the whole file, starting at byte 0.
  func cursor() -> ByteCursor { ByteCursor(file: self, offset: 0) }

  /// What is at a path, as `stat(2)` sees it (following symbolic links).
  enum Kind: Equatable {
    /// Nothing there, or not reachable.
    case missing
    /// A regular file.
    case file
    /// A directory.
    case directory
    /// A device, socket, FIFO ...
    case other
  }

  /// What is at `path`.
  static func kind(of path: String) -> Kind {
    var info = stat()
    guard stat(path, &info) == 0 else { return .missing }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .file
    case S_IFDIR: return .directory
    default: return .other
    }
  }

  /// `directory` joined with `name` by one slash.
  static func join(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }

  /// The current `errno` as text.
  static func errnoText() -> String {
    guard let text = strerror(errno) else { return "errno \(errno)" }
    return String(cString: text)
  }
}

/// A bounds-checked little-endian reader over a `MappedFile`.
///
/// Every read checks that `count` bytes remain before touching memory and otherwise throws
/// `LeafXError.format` with the offset at which the read was attempted, so that no content
/// of the file, however corrupt, can make a reader read out of bounds or trap.
struct ByteCursor {
  /// The file read; held strongly so the mapping outlives the cursor.
  let file: MappedFile
  /// Offset of the next byte to read, `0...file.count`.
  private(set) var offset: Int

  /// A cursor at `offset` (clamped to the file).
  init(file: MappedFile, offset: Int) {
    self.file = file
    self.offset = min(max(offset, 0), file.count)
  }

  /// Bytes left after `offset`.
  var remaining: Int { file.count - offset }

  /// True when every byte has been consumed.
  var isAtEnd: Bool { offset >= file.count }

  /// A `format` error at `offset` (default: the cursor's offset) naming the file.
  func error(_ reason: String, at offset: Int? = nil) -> LeafXError {
    .format(path: file.path, offset: offset ?? self.offset, reason: reason)
  }

  /// Throws unless `count` bytes remain; `what` names the field in the message.
  func require(_ count: Int, for what: String) throws {
    guard count >= 0 else { throw error("\(what): negative size \(count)") }
    guard count <= remaining else {
      throw error("\(what): needs \(count) bytes but only \(remaining) remain (file truncated?)")
    }
  }

  /// Reads a fixed-width integer stored little-endian.
  private mutating func integer<T: FixedWidthInteger>(_ type: T.Type, _ what: String) throws -> T {
    try require(MemoryLayout<T>.size, for: what)
    let raw = file.bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
    offset += MemoryLayout<T>.size
    return T(littleEndian: raw)
  }

  /// Reads one byte.
  mutating func u8(_ what: String = "u8") throws -> UInt8 { try integer(UInt8.self, what) }
  /// Reads a little-endian `u16`.
  mutating func u16(_ what: String = "u16") throws -> UInt16 { try integer(UInt16.self, what) }
  /// Reads a little-endian `u32`.
  mutating func u32(_ what: String = "u32") throws -> UInt32 { try integer(UInt32.self, what) }
  /// Reads a little-endian `i32`.
  mutating func i32(_ what: String = "i32") throws -> Int32 { try integer(Int32.self, what) }
  /// Reads a little-endian `u64`.
  mutating func u64(_ what: String = "u64") throws -> UInt64 { try integer(UInt64.self, what) }
  /// Reads a little-endian IEEE-754 binary32.
  mutating func f32(_ what: String = "f32") throws -> Float {
    Float(bitPattern: try integer(UInt32.self, what))
  }

  /// Returns the next `count` bytes without copying and advances past them; the slice is
  /// valid while `file` is alive.
  mutating func bytes(_ count: Int, _ what: String = "bytes") throws -> UnsafeRawBufferPointer {
    try require(count, for: what)
    let slice = UnsafeRawBufferPointer(rebasing: file.bytes[offset..<(offset + count)])
    offset += count
    return slice
  }

  /// Advances past `count` bytes.
  mutating func skip(_ count: Int, _ what: String = "bytes") throws {
    try require(count, for: what)
    offset += count
  }

  /// Reads `count` bytes as UTF-8 text.
  /// - Throws: `format` when the bytes run past the end or are not valid UTF-8.
  mutating func string(_ count: Int, _ what: String = "string") throws -> String {
    let start = offset
    let raw = try bytes(count, what)
    guard let text = String(validating: raw, as: UTF8.self) else {
      throw error("\(what) is not valid UTF-8", at: start)
    }
    return text
  }
}

/// Overflow-checked size arithmetic for header fields read from untrusted files.
enum CheckedSize {
  /// `a * b`, or nil when it overflows `Int` or either factor is negative.
  static func product(_ a: Int, _ b: Int) -> Int? {
    guard a >= 0, b >= 0 else { return nil }
    let (value, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? nil : value
  }

  /// The product of `dims` (1 for a scalar), or nil when a dimension is negative or the
  /// product overflows.
  static func elementCount(_ dims: [Int]) -> Int? {
    var total = 1
    for dim in dims {
      guard let next = product(total, dim) else { return nil }
      total = next
    }
    return total
  }
}
