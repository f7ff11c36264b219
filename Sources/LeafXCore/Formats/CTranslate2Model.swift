// The CTranslate2 `model.bin` container (docs/model-formats.md, "CTranslate2 model.bin"), read from
// CTranslate2 @ 0d8bcd36: python/ctranslate2/specs/model_spec.py (`ModelSpec._serialize`),
// src/models/model.cc (`Model::load`), include/ctranslate2/models/model.h
// (`current_binary_version = 6`).
//
// ```
// u32 binary_version (1...6)
// [v>=2] str spec_name, u32 spec_revision
// u32 num_variables, then per variable:
//   str name; u8 rank; u32 dim[rank];
//   [v>=4] u8 dtype_id (0 f32 1 i8 2 i16 3 i32 4 f16 5 bf16); u32 num_bytes
//   [v<4]  u8 item_size; u32 element_count
//   u8 data[num_bytes]
// [v>=3] u32 num_aliases, then per alias: str alias, str target
// str := u16 length counting the NUL, UTF-8 bytes, 0x00
// ```
// Little-endian, packed, no padding; nothing may follow the aliases.

/// One variable of a CTranslate2 model: where its data sits in the mapped file.
struct CT2Variable: Sendable {
  /// Scope name, e.g. `encoder/layer_0/ffn/linear_0/weight`.
  var name: String
  /// Row-major shape; `[]` for scalars.
  var shape: [Int]
  /// Stored element type.
  var dtype: StoredDType
  /// Number of elements, `shape` multiplied out (checked against overflow).
  var count: Int
  /// Byte offset of the data in the file.
  var offset: Int
  /// Byte length of the data, `count * itemSize`.
  var byteCount: Int
}

/// A validated index of a CTranslate2 `model.bin`: every variable's shape, type and location,
/// checked against the file size before any data is touched.
struct CT2ModelFile {
  /// Highest binary version this reader (and CTranslate2 4.x) understands.
  static let currentBinaryVersion = 6

  /// The mapped model.bin.
  let file: MappedFile
  /// `binary_version` from the header.
  let binaryVersion: Int
  /// `spec_name` (`WhisperSpec` for Whisper), empty before version 2.
  let specName: String
  /// `spec_revision`, 1 before version 2.
  let specRevision: Int
  /// Variables by name.
  private(set) var variables: [String: CT2Variable] = [:]
  /// Alias name to the variable that holds the data.
  private(set) var aliases: [String: String] = [:]

  /// Maps and indexes `path`.
  /// - Throws: `io` when the file cannot be read; `format` naming the offset of the first
  ///   invalid field (unknown version or dtype, size mismatch, truncation, duplicate name,
  ///   dangling alias, trailing bytes).
  init(path: String) throws {
    file = try MappedFile(path: path)
    var cursor = file.cursor()
    let version = Int(try cursor.u32("binary_version"))
    guard (1...Self.currentBinaryVersion).contains(version) else {
      throw cursor.error(
        "binary_version \(version) is not supported (1...\(Self.currentBinaryVersion); is this a CTranslate2 model.bin?)",
        at: 0)
    }
    binaryVersion = version
    if version >= 2 {
      specName = try cursor.ct2String("spec_name")
      specRevision = Int(try cursor.u32("spec_revision"))
    } else {
      specName = ""
      specRevision = 1
    }
    let variableCount = Int(try cursor.u32("num_variables"))
    // The smallest variable record is 10 bytes; never reserve more than the file can hold.
    variables.reserveCapacity(min(variableCount, cursor.remaining / 10))
    for _ in 0..<variableCount {
      let variable = try Self.readVariable(&cursor, version: version)
      guard variables[variable.name] == nil else {
        throw cursor.error("variable \(variable.name) appears twice", at: variable.offset)
      }
      variables[variable.name] = variable
    }
    if version >= 3 {
      let aliasCount = Int(try cursor.u32("num_aliases"))
      for _ in 0..<aliasCount {
        let start = cursor.offset
        let alias = try cursor.ct2String("alias name")
        let target = try cursor.ct2String("alias target of \(alias)")
        guard variables[alias] == nil, aliases[alias] == nil else {
          throw cursor.error("alias \(alias) duplicates an existing name", at: start)
        }
        guard variables[target] != nil else {
          throw cursor.error("alias \(alias) points to \(target), which is not a variable", at: start)
        }
        aliases[alias] = target
      }
    }
    guard cursor.isAtEnd else {
      throw cursor.error("\(cursor.remaining) unexpected bytes after the last record")
    }
  }

  /// Reads one variable record and skips its data.
  private static func readVariable(_ cursor: inout ByteCursor, version: Int) throws -> CT2Variable {
    let start = cursor.offset
    let name = try cursor.ct2String("variable name")
    let rank = Int(try cursor.u8("rank of \(name)"))
    var shape: [Int] = []
    shape.reserveCapacity(rank)
    for _ in 0..<rank { shape.append(Int(try cursor.u32("shape of \(name)"))) }
    guard let count = CheckedSize.elementCount(shape) else {
      throw cursor.error("shape \(shape) of \(name) overflows", at: start)
    }
    let dtype: StoredDType
    let byteCount: Int
    if version >= 4 {
      let id = try cursor.u8("dtype of \(name)")
      guard let known = Self.dtype(id: id) else {
        throw cursor.error("variable \(name) has unknown dtype id \(id)", at: cursor.offset - 1)
      }
      dtype = known
      let declared = Int(try cursor.u32("num_bytes of \(name)"))
      guard let expected = dtype.byteCount(elements: count), expected == declared else {
        throw cursor.error(
          "variable \(name) declares \(declared) bytes but shape \(shape) of \(dtype) needs \(dtype.byteCount(elements: count).map(String.init) ?? "an overflowing size")",
          at: cursor.offset - 4)
      }
      byteCount = declared
    } else {
      let itemSize = try cursor.u8("item_size of \(name)")
      switch itemSize {
      case 4: dtype = .f32
      case 2: dtype = .i16
      case 1: dtype = .i8
      default: throw cursor.error("variable \(name) has item size \(itemSize)", at: cursor.offset - 1)
      }
      let elements = Int(try cursor.u32("element count of \(name)"))
      guard elements == count, let bytes = dtype.byteCount(elements: count) else {
        throw cursor.error(
          "variable \(name) declares \(elements) elements but shape \(shape) holds \(count)",
          at: cursor.offset - 4)
      }
      byteCount = bytes
    }
    let offset = cursor.offset
    try cursor.skip(byteCount, "data of \(name)")
    return CT2Variable(
      name: name, shape: shape, dtype: dtype, count: count, offset: offset, byteCount: byteCount)
  }

  /// CTranslate2's `DataType` ids (include/ctranslate2/types.h).
  static func dtype(id: UInt8) -> StoredDType? {
    switch id {
    case 0: return .f32
    case 1: return .i8
    case 2: return .i16
    case 3: return .i32
    case 4: return .f16
    case 5: return .bf16
    default: return nil
    }
  }

  /// The variable called `name`, following an alias to its target.
  func variable(_ name: String) -> CT2Variable? {
    if let variable = variables[name] { return variable }
    if let target = aliases[name] { return variables[target] }
    return nil
  }

  /// The variable called `name`.
  /// - Throws: `format` naming the missing variable.
  func require(_ name: String) throws -> CT2Variable {
    guard let variable = variable(name) else {
      throw LeafXError.format(path: file.path, offset: nil, reason: "variable \(name) is missing")
    }
    return variable
  }

  /// The integer value of a scalar variable (any rank with one element), or nil if absent.
  /// - Throws: `format` when it holds more than one value or a non-integral float.
  func integerScalar(_ name: String) throws -> Int? {
    guard let variable = variable(name) else { return nil }
    guard variable.count == 1 else {
      throw LeafXError.format(
        path: file.path, offset: variable.offset,
        reason: "\(name) should be a scalar but has shape \(variable.shape)")
    }
    let value = try widen(variable, rows: nil).values[0]
    guard let integer = Int(exactly: value) else {
      throw LeafXError.format(path: file.path, offset: variable.offset, reason: "\(name) = \(value) is not an integer")
    }
    return integer
  }

  /// Widens `variable` (or rows `rows` of its first dimension) to a float32 tensor.
  ///
  /// Quantized integer weights are divided by their `<name>_scale` companion, per row
  /// (`[rows]` scale) or globally (one scale); integer scalars without a scale convert by value.
  /// - Throws: `format` when a row range is outside the shape or a scale is missing or has
  ///   the wrong size.
  func widen(_ variable: CT2Variable, rows: Range<Int>?) throws -> Tensor {
    let shape = variable.shape
    let rowCount = shape.first ?? 1
    let rowElements = shape.isEmpty ? 1 : variable.count / max(rowCount, 1)
    let range = rows ?? 0..<rowCount
    guard range.lowerBound >= 0, range.upperBound <= rowCount else {
      throw LeafXError.format(
        path: file.path, offset: variable.offset,
        reason: "\(variable.name) has shape \(shape); rows \(range) do not exist")
    }
    // All products below are bounded by `variable.count` / `variable.byteCount`, already checked.
    let outShape = shape.isEmpty ? [] : [range.count] + shape.dropFirst()
    let count = range.count * rowElements
    let itemBytes = variable.dtype.blockBytes
    let start = variable.offset + range.lowerBound * rowElements * itemBytes
    let source = UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + count * itemBytes)])
    let values: [Float]
    if variable.dtype.needsScale && !(shape.isEmpty || variable.count == 1) {
      let scaleName = variable.name + "_scale"
      guard let scaleVariable = variables[scaleName] else {
        throw LeafXError.format(
          path: file.path, offset: variable.offset,
          reason: "\(variable.name) is \(variable.dtype) but \(scaleName) is missing")
      }
      guard !scaleVariable.dtype.needsScale, scaleVariable.count == 1 || scaleVariable.count == rowCount else {
        throw LeafXError.format(
          path: file.path, offset: scaleVariable.offset,
          reason: "\(scaleName) has \(scaleVariable.count) \(scaleVariable.dtype) values for \(rowCount) rows")
      }
      var scale = try widen(scaleVariable, rows: nil).values
      if scale.count != 1 { scale = Array(scale[range]) }
      if variable.dtype == .i32 {
        throw LeafXError.unsupported("\(file.path): int32 weights (\(variable.name)) are not supported")
      }
      values = try DTypeWidening.widenScaled(
        source, as: variable.dtype, rows: range.count, columns: rowElements, scale: scale)
    } else {
      values = try DTypeWidening.widen(source, as: variable.dtype, count: count)
    }
    return Tensor(shape: outShape, values: values)
  }
}

extension ByteCursor {
  /// Reads a CTranslate2 string: u16 length counting the terminating NUL, the UTF-8 bytes,
  /// then the NUL.
  /// - Throws: `format` on a zero length, truncation, invalid UTF-8 or a missing NUL.
  mutating func ct2String(_ what: String) throws -> String {
    let start = offset
    let length = Int(try u16("\(what) length"))
    guard length >= 1 else { throw error("\(what) has length 0 (it must count its NUL)", at: start) }
    let text = try string(length - 1, what)
    guard try u8("\(what) terminator") == 0 else {
      throw error("\(what) is not NUL-terminated", at: offset - 1)
    }
    return text
  }
}
