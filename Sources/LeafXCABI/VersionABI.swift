import CLeafXABI
import LeafXCore

// Versions, status strings and the thread's last error (include/leafx.h, "Versions" and
// "Status codes and errors").

private let versionText: StaticString = "0.3.0"

@c @implementation
public func leafx_version() -> UnsafePointer<CChar>? {
  UnsafeRawPointer(versionText.utf8Start).assumingMemoryBound(to: CChar.self)
}

@c @implementation
public func leafx_version_number() -> Int32 { Int32(LeafXVersion.number) }

@c @implementation
public func leafx_abi_version() -> Int32 { Int32(LeafXVersion.abi) }

private let statusTexts: [StaticString] = [
  "ok", "invalid argument", "misuse of the API", "input/output error", "invalid file format",
  "unsupported", "out of memory", "internal error", "cancelled",
]

@c @implementation
public func leafx_status_string(_ status: leafx_status) -> UnsafePointer<CChar>? {
  let index = Int(status.rawValue)
  let text: StaticString = statusTexts.indices.contains(index) ? statusTexts[index] : "unknown status"
  return UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

private let emptyText: StaticString = ""

@c @implementation
public func leafx_last_error() -> UnsafePointer<CChar>? {
  ErrorState.current ?? UnsafeRawPointer(emptyText.utf8Start).assumingMemoryBound(to: CChar.self)
}
