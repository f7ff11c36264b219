/// GPT-2 byte-level byte-pair encoding: the merge engine behind Whisper's tokenizer.
///
/// Text is cut into pieces by `PreTokenizer`; each piece's UTF-8 bytes start as one symbol per
/// byte (the id of the single-byte token), and adjacent symbols are merged, lowest rank first,
/// until no adjacent pair has a rank:
///
/// ```
/// symbols = [id(b0), id(b1), ..., id(bn-1)]
/// repeat: (i, r) = argmin over i of rank(symbols[i], symbols[i+1])   (ties: smallest i)
///         if no pair has a rank: stop
///         symbols[i ... i+1] = merged(symbols[i], symbols[i+1])
/// ```
///
/// Two rank sources give the same engine:
/// - Hugging Face `tokenizer.json` merges: rank = index in the merge list, merged id =
///   vocabulary id of the concatenation (the `tokenizers` BPE model).
/// - tiktoken ranks, where the rank of a merge *is* the id of the merged token: any split of
///   a token's bytes into two tokens is a pair whose rank is that token's id. This is how
///   openai-whisper's tiktoken encodes, and it needs only the vocabulary (CTranslate2's
///   `vocabulary.txt`, whisper.cpp's ggml token list), no merge list.
///
/// Tokens are stored as raw bytes (not GPT-2's unicode form), flat in one buffer. Reference:
/// openai/tiktoken `src/lib.rs` `_byte_pair_merge`; huggingface/tokenizers
/// `tokenizers/src/models/bpe/word.rs` `merge_all` (both: lowest rank, leftmost on ties).
///
/// Priorities: the same ids as the references, then no trap with any vocabulary, then speed
/// (short pieces use a linear scan, long pieces a heap, so a 100 kB piece stays O(n log n)).
struct ByteLevelBPE: Sendable {
  /// One merge rule's outcome: its priority and the token it produces.
  struct Merge: Sendable, Equatable {
    /// Lower merges first.
    var rank: Int32
    /// The id of the merged token.
    var merged: Int32
  }

  /// Concatenated raw bytes of tokens `0..<count`.
  private let bytes: [UInt8]
  /// `offsets[id] ..< offsets[id + 1]` is token `id`'s range in `bytes`; `count + 1` entries.
  private let offsets: [Int]
  /// The id of the token made of the single byte `b`, for `b` in `0...255`.
  private let byteTokens: [Int32]
  /// `pairKey(left, right)` to the merge of that adjacent pair.
  private let merges: [UInt64: Merge]

  /// Pieces with more symbols than this are merged with a heap instead of a linear scan.
  static let heapThreshold = 48

  /// The number of tokens (ids `0..<count`).
  var count: Int { offsets.count - 1 }

  /// Builds an encoder from explicit merge rules (Hugging Face `tokenizer.json`).
  /// - Parameters:
  ///   - tokens: raw bytes of tokens `0..<tokens.count`; an empty entry is a hole.
  ///   - merges: `(left, right, merged)` ids in priority order (rank = index). A repeated
  ///     pair keeps its last rank, as `tokenizers` does.
  ///   - path: the file the vocabulary came from, for error messages.
  /// - Throws: `format` when an id is out of range, a byte has no single-byte token, or
  ///   there are over 2^31 tokens or merges.
  init(tokens: [[UInt8]], merges: [(left: Int, right: Int, merged: Int)], path: String) throws {
    guard tokens.count < Int(Int32.max), merges.count < Int(Int32.max) else {
      throw LeafXError.format(path: path, offset: nil, reason: "too many tokens or merges")
    }
    (bytes, offsets) = Self.flatten(tokens)
    byteTokens = try Self.singleByteTokens(tokens, path: path)
    var table: [UInt64: Merge] = [:]
    table.reserveCapacity(merges.count)
    for (rank, rule) in merges.enumerated() {
      for id in [rule.left, rule.right, rule.merged] where !(0..<tokens.count).contains(id) {
        throw LeafXError.format(
          path: path, offset: nil,
          reason: "merge #\(rank) refers to token id \(id), outside 0..<\(tokens.count)")
      }
      table[Self.pairKey(rule.left, rule.right)] = Merge(rank: Int32(rank), merged: Int32(rule.merged))
    }
    self.merges = table
  }

  /// Builds an encoder whose merge ranks are the token ids (tiktoken's convention): every
  /// split of a token's bytes into two tokens `a + b` is a pair of rank `id(a + b)`.
  /// - Parameters:
  ///   - tokens: raw bytes of tokens `0..<tokens.count`, in rank order. When two ids hold the
  ///     same bytes, the lower id is the token (the higher one is never produced).
  ///   - path: the file the vocabulary came from, for error messages.
  /// - Throws: `format` when a byte has no single-byte token or there are over 2^31 tokens.
  init(tokensRankedByID tokens: [[UInt8]], path: String) throws {
    guard tokens.count < Int(Int32.max) else {
      throw LeafXError.format(path: path, offset: nil, reason: "\(tokens.count) tokens is too many")
    }
    (bytes, offsets) = Self.flatten(tokens)
    byteTokens = try Self.singleByteTokens(tokens, path: path)
    var idOf: [[UInt8]: Int32] = [:]
    idOf.reserveCapacity(tokens.count)
    for (id, token) in tokens.enumerated() where !token.isEmpty && idOf[token] == nil {
      idOf[token] = Int32(id)
    }
    var table: [UInt64: Merge] = [:]
    table.reserveCapacity(tokens.count * 2)
    for (id, token) in tokens.enumerated() where token.count >= 2 && idOf[token] == Int32(id) {
      for split in 1..<token.count {
        guard let left = idOf[Array(token[..<split])], let right = idOf[Array(token[split...])]
        else { continue }
        table[Self.pairKey(Int(left), Int(right))] = Merge(rank: Int32(id), merged: Int32(id))
      }
    }
    self.merges = table
  }

  /// The raw bytes of token `id`; empty when `id` is outside `0..<count`.
  func tokenBytes(_ id: Int) -> ArraySlice<UInt8> {
    guard id >= 0, id < count else { return [] }
    return bytes[offsets[id]..<offsets[id + 1]]
  }

  /// Appends the raw bytes of token `id` to `output`; appends nothing for an id outside
  /// `0..<count`.
  func appendBytes(of id: Int, to output: inout [UInt8]) {
    guard id >= 0, id < count else { return }
    output.append(contentsOf: bytes[offsets[id]..<offsets[id + 1]])
  }

  /// The merge of the adjacent pair `(left, right)`, if the vocabulary has one.
  func merge(_ left: Int32, _ right: Int32) -> Merge? {
    merges[Self.pairKey(Int(left), Int(right))]
  }

  /// How `encode` runs the merge loop; both give the same ids.
  enum Strategy: Sendable {
    /// Linear scan up to `heapThreshold` symbols, heap above.
    case automatic
    /// Always the linear scan (tests).
    case scan
    /// Always the heap (tests).
    case heap
  }

  /// Encodes one pre-tokenized piece (its UTF-8 bytes) and appends the token ids to `output`.
  /// - Parameters:
  ///   - piece: the bytes of one piece; empty appends nothing.
  ///   - output: receives the ids, in order.
  ///   - scratch: reusable buffers, so that a text of many pieces allocates once.
  ///   - strategy: the merge loop; `.automatic` except in tests.
  func encode(
    _ piece: ArraySlice<UInt8>, into output: inout [Int], scratch: inout Scratch,
    strategy: Strategy = .automatic
  ) {
    guard piece.count > 1 else {
      if let byte = piece.first { output.append(Int(byteTokens[Int(byte)])) }
      return
    }
    let useHeap: Bool
    switch strategy {
    case .automatic: useHeap = piece.count > Self.heapThreshold
    case .scan: useHeap = false
    case .heap: useHeap = true
    }
    if useHeap {
      mergeByHeap(piece, into: &output, scratch: &scratch)
    } else {
      mergeByScan(piece, into: &output, scratch: &scratch)
    }
  }

  /// Reusable working memory of `encode`.
  struct Scratch {
    /// Current symbols (token ids).
    var symbols: [Int32] = []
    /// `ranks[i]` is the packed merge of `symbols[i], symbols[i+1]`, or `noMerge`.
    var ranks: [UInt64] = []
    /// Heap path: next live symbol index, or -1.
    var next: [Int32] = []
    /// Heap path: previous live symbol index, or -1.
    var previous: [Int32] = []
    /// Heap path: min-heap of `rank << 32 | position`.
    var heap: [UInt64] = []

    /// Empty buffers; they grow on first use.
    init() {}
  }

  /// Marks "this pair has no merge" in packed rank arrays; sorts after every real rank.
  private static let noMerge = UInt64.max

  /// `merge` packed as `rank << 32 | merged`, so that comparing packed values compares ranks.
  private func packedMerge(_ left: Int32, _ right: Int32) -> UInt64 {
    guard let m = merges[Self.pairKey(Int(left), Int(right))] else { return Self.noMerge }
    return UInt64(UInt32(bitPattern: m.rank)) << 32 | UInt64(UInt32(bitPattern: m.merged))
  }

  /// The linear-scan merge loop, O(n^2) in the piece length: fastest for words.
  private func mergeByScan(
    _ piece: ArraySlice<UInt8>, into output: inout [Int], scratch: inout Scratch
  ) {
    scratch.symbols.removeAll(keepingCapacity: true)
    scratch.ranks.removeAll(keepingCapacity: true)
    for byte in piece { scratch.symbols.append(byteTokens[Int(byte)]) }
    for i in 0..<(scratch.symbols.count - 1) {
      scratch.ranks.append(packedMerge(scratch.symbols[i], scratch.symbols[i + 1]))
    }
    while !scratch.ranks.isEmpty {
      var best = 0
      var bestRank = scratch.ranks[0]
      for i in 1..<scratch.ranks.count where scratch.ranks[i] < bestRank {
        best = i
        bestRank = scratch.ranks[i]
      }
      if bestRank == Self.noMerge { break }
      scratch.symbols[best] = Int32(truncatingIfNeeded: bestRank & 0xFFFF_FFFF)
      scratch.symbols.remove(at: best + 1)
      scratch.ranks.remove(at: best)
      if best < scratch.ranks.count {
        scratch.ranks[best] = packedMerge(scratch.symbols[best], scratch.symbols[best + 1])
      }
      if best > 0 {
        scratch.ranks[best - 1] = packedMerge(scratch.symbols[best - 1], scratch.symbols[best])
      }
    }
    for symbol in scratch.symbols { output.append(Int(symbol)) }
  }

  /// The heap merge loop, O(n log n): a doubly linked list of symbols and a lazy min-heap of
  /// `(rank, left position)`; a popped entry whose pair has changed is skipped.
  private func mergeByHeap(
    _ piece: ArraySlice<UInt8>, into output: inout [Int], scratch: inout Scratch
  ) {
    let n = piece.count
    scratch.symbols.removeAll(keepingCapacity: true)
    scratch.next.removeAll(keepingCapacity: true)
    scratch.previous.removeAll(keepingCapacity: true)
    scratch.heap.removeAll(keepingCapacity: true)
    for (i, byte) in piece.enumerated() {
      scratch.symbols.append(byteTokens[Int(byte)])
      scratch.previous.append(Int32(i - 1))
      scratch.next.append(i + 1 < n ? Int32(i + 1) : -1)
    }
    for i in 0..<(n - 1) {
      if let m = merge(scratch.symbols[i], scratch.symbols[i + 1]) {
        Self.heapPush(&scratch.heap, Self.heapKey(rank: m.rank, position: i))
      }
    }
    while let top = Self.heapPop(&scratch.heap) {
      let rank = Int32(truncatingIfNeeded: top >> 32)
      let position = Int(top & 0xFFFF_FFFF)
      let right = Int(scratch.next[position])
      // Stale entries: the left symbol was absorbed, or the pair now has another rank.
      guard scratch.symbols[position] >= 0, right >= 0,
        let m = merge(scratch.symbols[position], scratch.symbols[right]), m.rank == rank
      else { continue }
      scratch.symbols[position] = m.merged
      scratch.symbols[right] = -1
      let after = scratch.next[right]
      scratch.next[position] = after
      if after >= 0 { scratch.previous[Int(after)] = Int32(position) }
      if after >= 0, let m = merge(m.merged, scratch.symbols[Int(after)]) {
        Self.heapPush(&scratch.heap, Self.heapKey(rank: m.rank, position: position))
      }
      let before = Int(scratch.previous[position])
      if before >= 0, let m = merge(scratch.symbols[before], scratch.symbols[position]) {
        Self.heapPush(&scratch.heap, Self.heapKey(rank: m.rank, position: before))
      }
    }
    var i = 0
    while i >= 0 && i < n {
      output.append(Int(scratch.symbols[i]))
      i = Int(scratch.next[i])
    }
  }

  /// Heap ordering key: rank first, then position (leftmost wins ties).
  private static func heapKey(rank: Int32, position: Int) -> UInt64 {
    UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(truncatingIfNeeded: position))
  }

  /// Sift-up insertion into a binary min-heap.
  private static func heapPush(_ heap: inout [UInt64], _ value: UInt64) {
    heap.append(value)
    var child = heap.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      if heap[parent] <= heap[child] { break }
      heap.swapAt(parent, child)
      child = parent
    }
  }

  /// Removes and returns the minimum of a binary min-heap, or nil when it is empty.
  private static func heapPop(_ heap: inout [UInt64]) -> UInt64? {
    guard let last = heap.popLast() else { return nil }
    guard !heap.isEmpty else { return last }
    let top = heap[0]
    heap[0] = last
    var parent = 0
    while true {
      let left = 2 * parent + 1
      if left >= heap.count { break }
      let right = left + 1
      let child = right < heap.count && heap[right] < heap[left] ? right : left
      if heap[parent] <= heap[child] { break }
      heap.swapAt(parent, child)
      parent = child
    }
    return top
  }

  /// The dictionary key of the adjacent pair `(left, right)`; ids are below 2^31.
  private static func pairKey(_ left: Int, _ right: Int) -> UInt64 {
    UInt64(UInt32(truncatingIfNeeded: left)) << 32 | UInt64(UInt32(truncatingIfNeeded: right))
  }

  /// Concatenates token bytes into one buffer and offsets.
  private static func flatten(_ tokens: [[UInt8]]) -> (bytes: [UInt8], offsets: [Int]) {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(tokens.reduce(0) { $0 + $1.count })
    var offsets = [0]
    offsets.reserveCapacity(tokens.count + 1)
    for token in tokens {
      bytes.append(contentsOf: token)
      offsets.append(bytes.count)
    }
    return (bytes, offsets)
  }

  /// The lowest id holding each single byte.
  /// - Throws: `format` naming the first byte no token holds (such a vocabulary cannot encode
  ///   arbitrary text).
  private static func singleByteTokens(_ tokens: [[UInt8]], path: String) throws -> [Int32] {
    var table = [Int32](repeating: -1, count: 256)
    for (id, token) in tokens.enumerated() where token.count == 1 && table[Int(token[0])] < 0 {
      table[Int(token[0])] = Int32(truncatingIfNeeded: id)
    }
    if let missing = table.firstIndex(of: -1) {
      throw LeafXError.format(
        path: path, offset: nil,
        reason: "the vocabulary has no token for the single byte 0x\(String(missing, radix: 16))")
    }
    return table
  }
}

/// GPT-2's reversible map between bytes and printable Unicode characters (`bytes_to_unicode`
/// in openai/gpt-2 `src/encoder.py`), the spelling of tokens in `vocabulary.txt` and
/// `tokenizer.json`:
///
/// ```
/// printable = '!'...'~', '¡'...'¬', '®'...'ÿ'     (188 bytes map to the same code point)
/// every other byte b, in increasing order, maps to U+0100 + k for k = 0, 1, 2, ...
/// so ' ' (0x20) = 'Ġ' (U+0120), '\n' (0x0A) = 'Ċ' (U+010A)
/// ```
enum ByteLevelAlphabet {
  /// `scalars[b]` is the character that spells byte `b`.
  static let scalars: [Unicode.Scalar] = {
    var table = [Unicode.Scalar](repeating: " ", count: 256)
    var extra: UInt32 = 0
    for byte in 0..<256 {
      let printable =
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte)
        || (0xAE...0xFF).contains(byte)
      let value = printable ? UInt32(byte) : 0x100 + extra
      if !printable { extra += 1 }
      table[byte] = Unicode.Scalar(value) ?? " "
    }
    return table
  }()

  /// `bytes[c]` is the byte spelled by code point `c`, or -1; covers `0..<0x144`.
  static let bytes: [Int16] = {
    var table = [Int16](repeating: -1, count: 0x144)
    for (byte, scalar) in scalars.enumerated() { table[Int(scalar.value)] = Int16(byte) }
    return table
  }()

  /// Decodes a GPT-2 unicode spelling into raw bytes; nil when a character is outside the
  /// alphabet (for example a special token such as `<|endoftext|>` written with `|` is inside
  /// it, but `Ā` followed by a CJK character is not).
  static func decode(_ text: String) -> [UInt8]? {
    var output: [UInt8] = []
    output.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      let value = Int(scalar.value)
      guard value < bytes.count, bytes[value] >= 0 else { return nil }
      output.append(UInt8(bytes[value]))
    }
    return output
  }

  /// Spells raw bytes in GPT-2's unicode form.
  static func encode<S: Sequence>(_ raw: S) -> String where S.Element == UInt8 {
    var text = String.UnicodeScalarView()
    for byte in raw { text.append(scalars[Int(byte)]) }
    return String(text)
  }
}
