import LeafXCore

#if canImport(Glibc)
  import Glibc
#endif

/// Writes command output to a file or to standard output ("-").
enum OutputFile {
  static func write(_ bytes: [UInt8], to path: String) throws {
    let isStdout = path == "-"
    let fd = isStdout ? 1 : open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else {
      throw LeafXError.io(path: path, reason: "cannot open for writing: \(String(cString: strerror(errno)))")
    }
    defer { if !isStdout { close(fd) } }
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
      if written < 0 && errno == EINTR { continue }
      guard written > 0 else {
        throw LeafXError.io(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
      }
      offset += written
    }
  }
}

/// Prints a line to standard error.
func printError(_ message: String) {
  let line = message + "\n"
  _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
}

/// NumPy `.npy` version 1.0 writer (little-endian float32, C order).
enum NpyWriter {
  static func float32Matrix(_ values: [Float], rows: Int, columns: Int) -> [UInt8] {
    float32(values, shape: [rows, columns])
  }

  /// An array of any shape (`values.count` = product of `shape`).
  static func float32(_ values: [Float], shape: [Int]) -> [UInt8] {
    let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
    // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64
    // and ended by a newline, as the format requires.
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    let length = UInt16(header.utf8.count)
    bytes += [UInt8(length & 0xff), UInt8(length >> 8)]
    bytes += Array(header.utf8)
    bytes.reserveCapacity(bytes.count + values.count * 4)
    for value in values {
      let bits = value.bitPattern.littleEndian
      bytes += [UInt8(bits & 0xff), UInt8((bits >> 8) & 0xff), UInt8((bits >> 16) & 0xff), UInt8(bits >> 24)]
    }
    return bytes
  }
}
