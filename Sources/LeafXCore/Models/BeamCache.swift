/// Self-attention keys and values of the live hypotheses of a beam search, one slot per
/// hypothesis, all of the same length (every beam advances one token per step).
///
/// Per layer, keys and values are `[slots, capacity, d]`: a slot is contiguous, so a
/// hypothesis attends its own prefix in place. When beam selection gives a parent several
/// children, the first child keeps the parent's slot and only the others copy the prefix
/// into a slot whose hypothesis died (`assign`): a beam that simply continues costs no copy.
public struct BeamCache: Sendable {
  public let slots: Int
  /// Rows per slot: the most tokens a hypothesis can hold.
  public let capacity: Int
  public let width: Int
  /// Per layer `[slots · capacity · width]`.
  var keys: [[Float]]
  var values: [[Float]]
  /// Tokens held by every slot.
  public internal(set) var length: Int

  /// A cache whose slot 0 holds `prefix` (the prompt's keys and values); the other slots are
  /// filled by `assign`.
  public init(prefix: WhisperDecoder.Cache, slots: Int, capacity: Int, width: Int) {
    precondition(slots >= 1 && capacity >= prefix.length, "BeamCache: \(slots) slots of \(capacity) rows")
    self.slots = slots
    self.capacity = capacity
    self.width = width
    length = prefix.length
    let size = slots * capacity * width
    keys = prefix.keys.map { layer in
      var storage = [Float](repeating: 0, count: size)
      storage.replaceSubrange(0..<layer.count, with: layer)
      return storage
    }
    values = prefix.values.map { layer in
      var storage = [Float](repeating: 0, count: size)
      storage.replaceSubrange(0..<layer.count, with: layer)
      return storage
    }
  }

  /// Gives each new hypothesis a slot holding its parent's prefix. `parents[i]` is the slot of
  /// hypothesis i's parent; returns hypothesis i's slot. The first child of a parent takes the
  /// parent's slot as it is; a later child takes a slot no child claimed (its hypothesis died)
  /// and the parent's `length` rows are copied there.
  public mutating func assign(parents: [Int]) -> [Int] {
    precondition(parents.count <= slots, "BeamCache: \(parents.count) hypotheses for \(slots) slots")
    var claimed = [Bool](repeating: false, count: slots)
    var result = [Int](repeating: -1, count: parents.count)
    for (i, parent) in parents.enumerated() where !claimed[parent] {
      claimed[parent] = true
      result[i] = parent
    }
    var free = (0..<slots).filter { !claimed[$0] }.makeIterator()
    for i in parents.indices where result[i] < 0 {
      let slot = free.next()!
      copy(slot: parents[i], to: slot)
      result[i] = slot
    }
    return result
  }

  mutating func copy(slot source: Int, to target: Int) {
    let count = length * width
    let from = source * capacity * width
    let to = target * capacity * width
    for layer in keys.indices {
      keys[layer].withUnsafeMutableBufferPointer { k in
        (k.baseAddress! + to).update(from: k.baseAddress! + from, count: count)
      }
      values[layer].withUnsafeMutableBufferPointer { v in
        (v.baseAddress! + to).update(from: v.baseAddress! + from, count: count)
      }
    }
  }

  /// Slot `slot` as a single hypothesis's cache (tests compare it with `forward`'s).
  public func cache(slot: Int) -> WhisperDecoder.Cache {
    var cache = WhisperDecoder.Cache(layers: keys.count)
    let range = (slot * capacity * width)..<(slot * capacity * width + length * width)
    cache.keys = keys.map { Array($0[range]) }
    cache.values = values.map { Array($0[range]) }
    cache.length = length
    return cache
  }
}
