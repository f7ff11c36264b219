import LeafXCore

#if canImport(Glibc)
  import Glibc
#endif

/// A per-process scratch directory for fuzz inputs: the readers under test take paths (they
/// map whole files), so each input is written to a file first. Under /dev/shm when it exists,
/// so the fuzzing loop does not touch the disk.
enum FuzzScratch {
  /// The directory, created on first use.
  static let directory: String = {
    let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    let path = "\(base)/leafx-fuzz-\(getpid())"
    mkdir(path, 0o700)
    atexit { FuzzScratch.removeAll() }
    return path
  }()

  /// Creates `directory/name` (a subdirectory) and returns its path.
  static func subdirectory(_ name: String) -> String {
    let path = directory + "/" + name
    mkdir(path, 0o700)
    return path
  }

  /// Writes `size` bytes at `data` to `path`, replacing it.
  static func write(_ data: UnsafePointer<UInt8>?, _ size: Int, to path: String) {
    guard let file = fopen(path, "wb") else { fatalError("fuzz harness: cannot write \(path)") }
    if let data, size > 0 { _ = fwrite(data, 1, size, file) }
    fclose(file)
  }

  /// Writes `text` to `path`, replacing it.
  static func write(_ text: String, to path: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBufferPointer { write(UnsafePointer($0.baseAddress), $0.count, to: path) }
  }

  /// Removes the scratch files (the directory holds only flat files and one level of
  /// subdirectories written by the targets).
  static func removeAll() {
    guard let listing = opendir(directory) else { return }
    var subdirectories: [String] = []
    while let entry = readdir(listing) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
      if name == "." || name == ".." { continue }
      let path = directory + "/" + name
      if unlink(path) != 0 { subdirectories.append(path) }
    }
    closedir(listing)
    for sub in subdirectories {
      if let inner = opendir(sub) {
        while let entry = readdir(inner) {
          let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
          if name != "." && name != ".." { unlink(sub + "/" + name) }
        }
        closedir(inner)
      }
      rmdir(sub)
    }
    rmdir(directory)
  }
}

/// The one acceptable outcome besides success: a `LeafXError`. Anything else thrown is a
/// bug the fuzzer must report (crashes and sanitizer reports abort on their own).
/// With LEAFX_FUZZ_VERBOSE set, each outcome is printed (to check that seeds load).
func expectLeafXErrorOrSuccess(_ body: () throws -> Void) {
  do {
    try body()
    if verbose { print("fuzz input: loaded") }
  } catch let error as LeafXError {
    if verbose { print("fuzz input: \(error)") }
  } catch {
    fatalError("not a LeafXError: \(error)")
  }
}

private let verbose = getenv("LEAFX_FUZZ_VERBOSE") != nil
