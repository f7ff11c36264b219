// whisper.cpp legacy ggml model files (`ggml-*.bin`, docs/model-formats.md, "whisper.cpp ggml"), as
// written by whisper.cpp @ f0d2bfbf models/convert-pt-to-ggml.py and read by
// src/whisper.cpp `whisper_model_load`.
//
// ```
// i32 magic 0x67676d6c ("lmgg" on disk)
// i32 n_vocab n_audio_ctx n_audio_state n_audio_head n_audio_layer
//     n_text_ctx n_text_state n_text_head n_text_layer n_mels ftype   (ftype % 1000 = ggml_ftype)
// i32 n_mel, i32 n_fft (= 201), f32 filters[n_mel * n_fft]            mel bank, row-major
// i32 n_tokens, n_tokens times { u32 len, u8 bytes[len] }             raw token bytes, ids 0..<n
// until EOF: i32 n_dims, i32 name_len, i32 ttype, i32 ne[n_dims], u8 name[name_len],
//            u8 data[n_elements / block_size * type_size]             ne = numpy shape reversed
// ```
// Names are already openai-whisper's; conv biases are stored `[n, 1]` and become `[n]`.

/// Reads whisper.cpp legacy ggml model files.
public enum GGMLReader: ModelWeightsReader {
  /// `.ggml`.
  public static let format = ModelFormat.ggml

  /// `GGML_FILE_MAGIC` as the little-endian i32 that opens the file.
  static let magic: UInt32 = 0x6767_6d6c

  /// `n_fft` of the stored mel bank: 1 + 400 / 2 frequency bins (whisper.cpp asserts it).
  static let melBins = 201

  /// Longest tensor name accepted (whisper.cpp's longest is ~40 bytes).
  static let maximumNameLength = 1024

  /// True when `path` is a file that starts with the ggml magic.
  public static func canRead(path: String) -> Bool {
    guard MappedFile.kind(of: path) == .file, let file = try? MappedFile(path: path) else { return false }
    var cursor = file.cursor()
    return (try? cursor.u32()) == magic
  }

  /// Reads and validates the ggml file at `path`.
  /// - Throws: `io` when it cannot be read, `format` naming the offset of the first invalid
  ///   field, `unsupported` for ggml types leafx does not widen (k-quants, q8_1).
  public static func read(path: String) throws -> WhisperCheckpoint {
    let checkpoint = try readUnvalidated(path: path)
    try checkpoint.validate()
    return checkpoint
  }

  /// The ggml type ids leafx widens (`enum ggml_type`).
  static func dtype(ggmlType: Int32) -> StoredDType? {
    switch ggmlType {
    case 0: return .f32
    case 1: return .f16
    case 2: return .q4_0
    case 3: return .q4_1
    case 6: return .q5_0
    case 7: return .q5_1
    case 8: return .q8_0
    default: return nil
    }
  }

  /// One tensor record: name, numpy shape, type and data location.
  struct Record {
    /// openai-whisper name.
    var name: String
    /// numpy-order shape (ggml `ne` reversed).
    var shape: [Int]
    /// Stored type.
    var dtype: StoredDType
    /// Element count.
    var count: Int
    /// Offset of the data.
    var offset: Int
    /// Byte length of the data.
    var byteCount: Int
  }

  /// Reads the file without the final `WhisperCheckpoint.validate()` pass.
  static func readUnvalidated(path: String) throws -> WhisperCheckpoint {
    let file = try MappedFile(path: path)
    var cursor = file.cursor()
    guard try cursor.u32("magic") == magic else {
      throw cursor.error("not a ggml file (magic is not \"lmgg\")", at: 0)
    }
    var header: [Int] = []
    for name in ["n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer", "n_text_ctx",
                 "n_text_state", "n_text_head", "n_text_layer", "n_mels", "ftype"] {
      header.append(Int(try cursor.i32(name)))
    }
    let dimensions = WhisperDimensions(
      nMels: header[9], nAudioCtx: header[1], nAudioState: header[2], nAudioHead: header[3],
      nAudioLayer: header[4], nVocab: header[0], nTextCtx: header[5], nTextState: header[6],
      nTextHead: header[7], nTextLayer: header[8])
    try dimensions.validate(path: path)
    guard dimensions.nAudioState == dimensions.nTextState else {
      throw cursor.error(
        "n_audio_state \(dimensions.nAudioState) differs from n_text_state \(dimensions.nTextState)", at: 28)
    }
    let ftype = header[10]
    guard ftype >= 0, [0, 1, 2, 3, 4, 7, 8, 9].contains(ftype % 1000) else {
      throw cursor.error("ftype \(ftype) is not a whisper.cpp legacy ftype", at: 44)
    }

    let melFilters = try readMelFilters(&cursor, nMels: dimensions.nMels)
    let tokens = try readTokens(&cursor, nVocab: dimensions.nVocab)
    let records = try readRecords(&cursor)

    let expected = WhisperCheckpoint.expectedShapes(dimensions)
    var tensors: [String: Tensor] = [:]
    tensors.reserveCapacity(expected.count)
    for record in records where expected[record.name] != nil {
      let source = UnsafeRawBufferPointer(rebasing: file.bytes[record.offset..<(record.offset + record.byteCount)])
      let values = try DTypeWidening.widen(source, as: record.dtype, count: record.count)
      var shape = record.shape
      if record.name == "encoder.conv1.bias" || record.name == "encoder.conv2.bias",
        shape.filter({ $0 != 1 }).count <= 1
      {
        shape = [record.count]
      }
      tensors[record.name] = Tensor(shape: shape, values: values)
    }
    return WhisperCheckpoint(
      format: .ggml, path: path, dimensions: dimensions, tensors: tensors, melFilters: melFilters,
      vocabulary: .ggmlTokens(tokens), generation: GenerationConfig())
  }

  /// Reads the mel filterbank, `[n_mel, 201]`.
  /// - Throws: `format` when `n_fft` is not 201, `n_mel` disagrees with the header, data is
  ///   truncated or a value is not finite.
  static func readMelFilters(_ cursor: inout ByteCursor, nMels: Int) throws -> Tensor {
    let start = cursor.offset
    let nMel = Int(try cursor.i32("mel filters n_mel"))
    let nFFT = Int(try cursor.i32("mel filters n_fft"))
    guard nMel == nMels else {
      throw cursor.error("mel filters have \(nMel) rows but the header says n_mels = \(nMels)", at: start)
    }
    guard nFFT == melBins else {
      throw cursor.error("mel filters have n_fft = \(nFFT), expected \(melBins)", at: start + 4)
    }
    let count = nMel * nFFT  // both validated small above
    let dataStart = cursor.offset
    let values = try DTypeWidening.widen(try cursor.bytes(count * 4, "mel filters"), as: .f32, count: count)
    if let bad = values.firstIndex(where: { !$0.isFinite }) {
      throw cursor.error("mel filter value \(values[bad]) at element \(bad)", at: dataStart + 4 * bad)
    }
    return Tensor(shape: [nMel, nFFT], values: values)
  }

  /// Reads the regular tokens' raw bytes.
  /// - Throws: `format` when the count is negative or above `n_vocab`, or a token runs past
  ///   the end of the file.
  static func readTokens(_ cursor: inout ByteCursor, nVocab: Int) throws -> [[UInt8]] {
    let start = cursor.offset
    let count = Int(try cursor.i32("vocabulary size"))
    guard count >= 0, count <= nVocab else {
      throw cursor.error("vocabulary holds \(count) tokens, n_vocab is \(nVocab)", at: start)
    }
    // Each token needs at least its 4-byte length: check before reserving.
    try cursor.require(count * 4, for: "\(count) vocabulary entries")
    var tokens: [[UInt8]] = []
    tokens.reserveCapacity(count)
    for id in 0..<count {
      let length = Int(try cursor.u32("length of token \(id)"))
      tokens.append([UInt8](try cursor.bytes(length, "token \(id)")))
    }
    return tokens
  }

  /// Reads every tensor record up to the end of the file, checking sizes but not touching
  /// data.
  /// - Throws: `format` on a bad `n_dims` (1...4), name length, `ne`, unknown type, size past
  ///   the end, invalid UTF-8 name or duplicated name; `unsupported` for known ggml types
  ///   leafx does not widen.
  static func readRecords(_ cursor: inout ByteCursor) throws -> [Record] {
    var records: [Record] = []
    var seen = Set<String>()
    while !cursor.isAtEnd {
      let start = cursor.offset
      let nDims = Int(try cursor.i32("tensor n_dims"))
      let nameLength = Int(try cursor.i32("tensor name length"))
      let type = try cursor.i32("tensor type")
      guard (1...4).contains(nDims) else {
        throw cursor.error("tensor n_dims = \(nDims), expected 1...4", at: start)
      }
      guard (1...maximumNameLength).contains(nameLength) else {
        throw cursor.error("tensor name length \(nameLength), expected 1...\(maximumNameLength)", at: start + 4)
      }
      guard let dtype = dtype(ggmlType: type) else {
        if (9...40).contains(type) {
          throw LeafXError.unsupported(
            "\(cursor.file.path): at \(start + 8): ggml type \(type) (leafx widens f32, f16, q4_0, q4_1, q5_0, q5_1, q8_0)")
        }
        throw cursor.error("unknown ggml tensor type \(type)", at: start + 8)
      }
      var ne: [Int] = []
      for axis in 0..<nDims {
        let value = Int(try cursor.i32("tensor ne[\(axis)]"))
        guard value > 0 else { throw cursor.error("tensor ne[\(axis)] = \(value)", at: cursor.offset - 4) }
        ne.append(value)
      }
      let name = try cursor.string(nameLength, "tensor name")
      guard let count = CheckedSize.elementCount(ne) else {
        throw cursor.error("tensor \(name): ne \(ne) overflows", at: start)
      }
      guard ne[0] % dtype.blockSize == 0, let byteCount = dtype.byteCount(elements: count) else {
        throw cursor.error(
          "tensor \(name): ne[0] = \(ne[0]) is not a multiple of the \(dtype) block size \(dtype.blockSize)", at: start)
      }
      let offset = cursor.offset
      try cursor.skip(byteCount, "data of tensor \(name) (\(dtype), ne \(ne))")
      guard seen.insert(name).inserted else {
        throw cursor.error("tensor \(name) appears twice", at: start)
      }
      records.append(
        Record(name: name, shape: ne.reversed(), dtype: dtype, count: count, offset: offset, byteCount: byteCount))
    }
    return records
  }
}
