import LeafXCore
import Synchronization

/// Every live handle given to C, keyed by its address. A C pointer is turned back into an
/// object only through this table, so NULL, freed (double free) and foreign pointers are
/// reported as misuse without ever being dereferenced.
final class HandleRegistry: Sendable {
  static let shared = HandleRegistry()

  private let live = Mutex<[UInt: any AnyObject & Sendable]>([:])

  /// Registers `object` and returns its handle (the object's address). The table keeps the
  /// object alive until `remove`.
  func insert(_ object: any AnyObject & Sendable) -> OpaquePointer {
    let pointer = OpaquePointer(Unmanaged.passUnretained(object).toOpaque())
    live.withLock { $0[UInt(bitPattern: pointer)] = object }
    return pointer
  }

  /// The object behind `handle` if it is a live handle of type `T`.
  /// - Throws: `misuse` naming `argument` and the expected kind.
  func object<T: AnyObject & Sendable>(_ handle: OpaquePointer?, as type: T.Type, argument: String) throws -> T {
    guard let handle else {
      throw LeafXError.misuse("\(argument) is NULL")
    }
    let found = live.withLock { $0[UInt(bitPattern: handle)] }
    guard let object = found as? T else {
      throw LeafXError.misuse(
        "\(argument) (\(handle)) is not a live \(Self.kind(T.self)) handle (freed, or never returned by leafx)")
    }
    return object
  }

  /// Unregisters and releases the object behind `handle`; NULL is a no-op.
  /// - Throws: `misuse` when `handle` is not a live handle of type `T` (double free).
  func remove<T: AnyObject & Sendable>(_ handle: OpaquePointer?, as type: T.Type, argument: String) throws {
    guard let handle else { return }
    let removed: (any AnyObject & Sendable)? = live.withLock { table in
      let key = UInt(bitPattern: handle)
      guard table[key] is T else { return nil }
      return table.removeValue(forKey: key)
    }
    guard removed != nil else {
      throw LeafXError.misuse(
        "\(argument) (\(handle)) is not a live \(Self.kind(T.self)) handle (double free, or never returned by leafx)")
    }
  }

  /// Registers a string handed to the caller, keyed by its character pointer.
  func insertString(_ string: PinnedCString) -> UnsafeMutablePointer<CChar> {
    live.withLock { $0[UInt(bitPattern: string.pointer)] = string }
    return string.pointer
  }

  /// Releases a string from `insertString`; NULL is a no-op.
  /// - Throws: `misuse` for a pointer leafx did not return or already freed.
  func removeString(_ pointer: UnsafeMutablePointer<CChar>?) throws {
    guard let pointer else { return }
    let removed: (any AnyObject & Sendable)? = live.withLock { table in
      let key = UInt(bitPattern: pointer)
      guard table[key] is PinnedCString else { return nil }
      return table.removeValue(forKey: key)
    }
    guard removed != nil else {
      throw LeafXError.misuse("string (\(pointer)) was not returned by leafx or was already freed")
    }
  }

  private static func kind(_ type: Any.Type) -> String {
    switch type {
    case is AudioHandle.Type: return "leafx_audio"
    case is MelHandle.Type: return "leafx_mel"
    case is ModelHandle.Type: return "leafx_model"
    case is ResultHandle.Type: return "leafx_result"
    default: return "\(type)"
    }
  }
}

/// A float array whose address stays fixed for the lifetime of the handle that owns it,
/// so accessors can lend it to C.
final class PinnedFloats: @unchecked Sendable {  // immutable after init
  let buffer: UnsafeMutableBufferPointer<Float>

  init(_ values: [Float]) {
    buffer = .allocate(capacity: max(values.count, 1))
    _ = buffer.initialize(from: values)
  }

  var count: Int { buffer.count }

  deinit { buffer.deallocate() }
}

/// `leafx_audio`: decoded audio with its samples pinned.
final class AudioHandle: Sendable {
  let audio: Audio
  let samples: PinnedFloats
  let count: Int

  init(_ audio: Audio) {
    self.audio = audio
    self.samples = PinnedFloats(audio.samples)
    self.count = audio.samples.count
  }
}

/// `leafx_mel`: a log-mel spectrogram with its values pinned.
final class MelHandle: Sendable {
  let nMels: Int
  let nFrames: Int
  let values: PinnedFloats

  init(_ mel: MelSpectrogram) {
    nMels = mel.nMels
    nFrames = mel.nFrames
    values = PinnedFloats(mel.values)
  }
}
