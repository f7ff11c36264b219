// Widening of stored weight element types to float32 (docs/design.md, "The Whisper engine": compute
// in fp32).
//
// Plain types: f32, f16 (IEEE binary16), bf16, and CTranslate2's int8/int16 weights with a
// `<name>_scale` companion (x = q / scale, CTranslate2 python/ctranslate2/specs/model_spec.py
// `_quantize`). ggml block types, as dequantized by ggml/src/ggml-quants.c
// (`dequantize_row_q4_0` ... `dequantize_row_q8_0`) and laid out in ggml-common.h; every
// block holds 32 values and starts with an f16 scale `d`:
//
// ```
// q4_0 {f16 d;          u8 qs[16]}   x[j] = ((qs[j] & 15) - 8) * d,  x[j+16] = ((qs[j] >> 4) - 8) * d
// q4_1 {f16 d; f16 m;   u8 qs[16]}   x[j] = (qs[j] & 15) * d + m,    x[j+16] = (qs[j] >> 4) * d + m
// q5_0 {f16 d; u8 qh[4]; u8 qs[16]}  h = u32le(qh); x[j] = ((qs[j] & 15) | bit j of h << 4) - 16) * d
//                                     x[j+16] = ((qs[j] >> 4) | bit (j+16) of h << 4) - 16) * d
// q5_1 {f16 d; f16 m; u8 qh[4]; u8 qs[16]}  as q5_0 without the -16, plus m
// q8_0 {f16 d;          i8 qs[32]}   x[j] = qs[j] * d
// ```
//
// Priorities: no read outside the source buffer whatever the caller passes (sizes are checked
// once, up front, and a mismatch is an `internal` error, not a trap); exact results (f16 and
// bf16 widening is exact; block formulas use the same float operations as ggml); then speed:
// the loops run on raw pointers with no per-element bounds checks, and the f16 conversion is
// branch-free integer/float arithmetic the compiler can vectorise.

/// A stored element type and its block geometry.
enum StoredDType: String, Sendable, Equatable, CaseIterable {
  /// IEEE-754 binary32.
  case f32
  /// IEEE-754 binary16.
  case f16
  /// bfloat16: the upper 16 bits of a binary32.
  case bf16
  /// Signed 8-bit integers (CTranslate2, needs a scale).
  case i8
  /// Signed 16-bit integers (CTranslate2, needs a scale).
  case i16
  /// Signed 32-bit integers (CTranslate2 scalars only).
  case i32
  /// ggml q4_0: 32 values in 18 bytes.
  case q4_0
  /// ggml q4_1: 32 values in 20 bytes.
  case q4_1
  /// ggml q5_0: 32 values in 22 bytes.
  case q5_0
  /// ggml q5_1: 32 values in 24 bytes.
  case q5_1
  /// ggml q8_0: 32 values in 34 bytes.
  case q8_0

  /// Values per block: 32 for ggml block types, 1 otherwise.
  var blockSize: Int {
    switch self {
    case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
    default: return 1
    }
  }

  /// Bytes per block.
  var blockBytes: Int {
    switch self {
    case .f32, .i32: return 4
    case .f16, .bf16, .i16: return 2
    case .i8: return 1
    case .q4_0: return 18
    case .q4_1: return 20
    case .q5_0: return 22
    case .q5_1: return 24
    case .q8_0: return 34
    }
  }

  /// True for the integer types that need a CTranslate2 scale to mean anything.
  var needsScale: Bool { self == .i8 || self == .i16 || self == .i32 }

  /// Bytes that `elements` values occupy, or nil when `elements` is negative, not a whole
  /// number of blocks, or the size overflows.
  func byteCount(elements: Int) -> Int? {
    guard elements >= 0, elements % blockSize == 0 else { return nil }
    return CheckedSize.product(elements / blockSize, blockBytes)
  }
}

/// Widening of stored elements to `[Float]`.
enum DTypeWidening {
  /// Widens `count` values of type `dtype` stored at the start of `source`.
  ///
  /// Integer types are converted by value (no scale); use `widenScaled` for CTranslate2
  /// quantized weights.
  /// - Parameters:
  ///   - source: raw little-endian bytes, any alignment; must hold at least
  ///     `dtype.byteCount(elements: count)` bytes.
  ///   - dtype: the stored type.
  ///   - count: number of values, a multiple of `dtype.blockSize`.
  /// - Returns: `count` floats.
  /// - Throws: `internal` when `count` does not fit `source` (callers validate sizes first).
  static func widen(_ source: UnsafeRawBufferPointer, as dtype: StoredDType, count: Int) throws -> [Float] {
    guard let needed = dtype.byteCount(elements: count), needed <= source.count else {
      throw LeafXError.internal(
        "widen \(dtype): \(count) values do not fit \(source.count) bytes")
    }
    if count == 0 { return [] }
    guard let base = source.baseAddress else {
      throw LeafXError.internal("widen \(dtype): empty source for \(count) values")
    }
    return [Float](unsafeUninitializedCapacity: count) { output, initialized in
      let out = output.baseAddress!
      switch dtype {
      case .f32: copyFloat32(base, out, count)
      case .f16: widenFloat16(base, out, count)
      case .bf16: widenBFloat16(base, out, count)
      case .i8: widenInt8(base, out, count)
      case .i16: widenInt16(base, out, count)
      case .i32: widenInt32(base, out, count)
      case .q4_0: widenQ4_0(base, out, count / 32)
      case .q4_1: widenQ4_1(base, out, count / 32)
      case .q5_0: widenQ5(base, out, count / 32, hasMinimum: false)
      case .q5_1: widenQ5(base, out, count / 32, hasMinimum: true)
      case .q8_0: widenQ8_0(base, out, count / 32)
      }
      initialized = count
    }
  }

  /// Widens CTranslate2 quantized integers: row `r` of a `[rows, columns]` matrix is
  /// `q / scale[r]`, or `q / scale[0]` for every row when `scale` has one value (int16).
  ///
  /// ```
  /// x[r, c] = Float(q[r, c]) / scale[r]      (CTranslate2 model_spec.py `_quantize`:
  ///                                           scale = 127 / amax(|row|), q = rint(x * scale))
  /// ```
  /// - Parameters:
  ///   - source: `rows * columns` integers of `dtype` (`i8` or `i16`).
  ///   - rows: leading dimension.
  ///   - columns: product of the remaining dimensions.
  ///   - scale: `rows` values or one.
  /// - Throws: `internal` when sizes disagree.
  static func widenScaled(
    _ source: UnsafeRawBufferPointer, as dtype: StoredDType, rows: Int, columns: Int, scale: [Float]
  ) throws -> [Float] {
    guard let count = CheckedSize.product(rows, columns),
      scale.count == rows || scale.count == 1
    else {
      throw LeafXError.internal("widenScaled: \(rows)x\(columns) with \(scale.count) scales")
    }
    var values = try widen(source, as: dtype, count: count)
    if count == 0 { return values }
    values.withUnsafeMutableBufferPointer { buffer in
      scale.withUnsafeBufferPointer { scales in
        let out = buffer.baseAddress!
        for r in 0..<rows {
          let s = scales[scales.count == 1 ? 0 : r]
          let row = out + r * columns
          for c in 0..<columns { row[c] = row[c] / s }
        }
      }
    }
    return values
  }

  // MARK: - Scalar conversions

  /// Exact IEEE binary16 -> binary32, branch-free so loops over it vectorise.
  ///
  /// ```
  /// magnitude = (h & 0x7fff) << 13            exponent and mantissa in binary32 position
  /// finite:   Float(bits: magnitude) * 2^112  rebias 15 -> 127, also exact for subnormals
  /// inf/NaN:  magnitude | 0x7f800000          (half exponent 31 -> binary32 exponent 255)
  /// result |= sign << 16
  /// ```
  @inline(__always)
  static func float(fromHalf h: UInt16) -> Float {
    let bits = UInt32(h)
    let sign = (bits & 0x8000) << 16
    let magnitude = (bits & 0x7fff) << 13
    let finite = (Float(bitPattern: magnitude) * 0x1p112).bitPattern
    let special = magnitude | 0x7f80_0000
    let value = magnitude >= 0x0f80_0000 ? special : finite
    return Float(bitPattern: value | sign)
  }

  /// Exact bfloat16 -> binary32.
  @inline(__always)
  static func float(fromBFloat16 h: UInt16) -> Float {
    Float(bitPattern: UInt32(h) << 16)
  }

  // MARK: - Loops (sizes checked by the caller)

  /// Copies little-endian binary32 values from an unaligned source (a `memcpy` on
  /// little-endian hosts).
  private static func copyFloat32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    #if _endian(little)
      UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: n &* 4)
    #else
      for i in 0..<n {
        dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self)))
      }
    #endif
  }

  /// Widens little-endian binary16 values.
  private static func widenFloat16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n {
      dst[i] = float(fromHalf: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)))
    }
  }

  /// Widens little-endian bfloat16 values.
  private static func widenBFloat16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n {
      dst[i] = float(fromBFloat16: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)))
    }
  }

  /// Converts signed bytes by value.
  private static func widenInt8(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n { dst[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
  }

  /// Converts little-endian `i16` by value.
  private static func widenInt16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n {
      dst[i] = Float(Int16(littleEndian: src.loadUnaligned(fromByteOffset: i &* 2, as: Int16.self)))
    }
  }

  /// Converts little-endian `i32` by value.
  private static func widenInt32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n {
      dst[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: i &* 4, as: Int32.self)))
    }
  }

  /// Reads the f16 at `offset` as a float.
  @inline(__always)
  private static func half(_ src: UnsafeRawPointer, _ offset: Int) -> Float {
    float(fromHalf: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
  }

  /// q4_0: `{f16 d; u8 qs[16]}` per 32 values, `x = (nibble - 8) * d`; low nibbles are
  /// values 0..15, high nibbles 16..31.
  private static func widenQ4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    for b in 0..<blocks {
      let block = src + b &* 18
      let d = half(block, 0)
      let qs = block + 2
      let out = dst + b &* 32
      for j in 0..<16 {
        let q = qs.load(fromByteOffset: j, as: UInt8.self)
        out[j] = Float(Int32(q & 0x0f) - 8) * d
        out[j + 16] = Float(Int32(q >> 4) - 8) * d
      }
    }
  }

  /// q4_1: `{f16 d; f16 m; u8 qs[16]}` per 32 values, `x = nibble * d + m`.
  private static func widenQ4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    for b in 0..<blocks {
      let block = src + b &* 20
      let d = half(block, 0)
      let m = half(block, 2)
      let qs = block + 4
      let out = dst + b &* 32
      for j in 0..<16 {
        let q = qs.load(fromByteOffset: j, as: UInt8.self)
        out[j] = Float(q & 0x0f) * d + m
        out[j + 16] = Float(q >> 4) * d + m
      }
    }
  }

  /// q5_0 / q5_1: `{f16 d; [f16 m;] u8 qh[4]; u8 qs[16]}` per 32 values. The fifth bit of
  /// value `j` is bit `j` of `qh` read as a little-endian u32. q5_0: `x = (q - 16) * d`;
  /// q5_1: `x = q * d + m`.
  private static func widenQ5(
    _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int, hasMinimum: Bool
  ) {
    let header = hasMinimum ? 4 : 2
    let stride = header + 20
    for b in 0..<blocks {
      let block = src + b &* stride
      let d = half(block, 0)
      let m: Float = hasMinimum ? half(block, 2) : 0
      let bias: Int32 = hasMinimum ? 0 : 16
      let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: header, as: UInt32.self))
      let qs = block + header + 4
      let out = dst + b &* 32
      for j in 0..<16 {
        let q = UInt32(qs.load(fromByteOffset: j, as: UInt8.self))
        let low = (q & 0x0f) | (((qh >> UInt32(j)) & 1) << 4)
        let high = (q >> 4) | (((qh >> UInt32(j + 16)) & 1) << 4)
        if hasMinimum {
          out[j] = Float(low) * d + m
          out[j + 16] = Float(high) * d + m
        } else {
          out[j] = Float(Int32(low) - bias) * d
          out[j + 16] = Float(Int32(high) - bias) * d
        }
      }
    }
  }

  /// q8_0: `{f16 d; i8 qs[32]}` per 32 values, `x = q * d`.
  private static func widenQ8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    for b in 0..<blocks {
      let block = src + b &* 34
      let d = half(block, 0)
      let qs = block + 2
      let out = dst + b &* 32
      for j in 0..<32 {
        out[j] = Float(qs.load(fromByteOffset: j, as: Int8.self)) * d
      }
    }
  }
}
