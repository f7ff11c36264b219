import Testing

@testable import LeafXCore

/// Widening of stored element types (f16, bf16, CT2 int8/int16, ggml blocks) to float32.
@Suite struct FormatsDTypeWideningTests {
  /// Widens `bytes` placed one byte past an aligned start, to exercise unaligned loads.
  static func widenUnaligned(_ bytes: [UInt8], as dtype: StoredDType, count: Int) throws -> [Float] {
    let padded = [0xEE] + bytes
    return try padded.withUnsafeBytes { raw in
      try DTypeWidening.widen(UnsafeRawBufferPointer(rebasing: raw[1...]), as: dtype, count: count)
    }
  }

  /// f16 widening equals `Float(Float16(bitPattern:))` for all 65536 patterns.
  @Test func halfWideningIsExactForEveryBitPattern() throws {
    var bytes = ByteWriter()
    for bits in 0...UInt16.max { bytes.u16(bits) }
    let widened = try Self.widenUnaligned(bytes.bytes, as: .f16, count: 65536)
    var mismatches: [UInt16] = []
    for bits in 0...UInt16.max {
      let reference = Float(Float16(bitPattern: bits))
      let value = widened[Int(bits)]
      let same = reference.isNaN ? value.isNaN : value.bitPattern == reference.bitPattern
      if !same { mismatches.append(bits) }
    }
    #expect(mismatches.isEmpty, "f16 patterns widened wrongly: \(mismatches.prefix(8).map { String($0, radix: 16) })")
    #expect(DTypeWidening.float(fromHalf: 0x3C00) == 1)
    #expect(DTypeWidening.float(fromHalf: 0x0001) == 0x1p-24)
    #expect(DTypeWidening.float(fromHalf: 0xFC00) == -.infinity)
  }

  /// bf16 and f32 widen exactly from unaligned bytes.
  @Test func bfloat16AndFloat32() throws {
    let values: [Float] = [0, -0.0, 1, -2.5, 3.140625, 1e30, -.infinity]
    var bf = ByteWriter()
    var f = ByteWriter()
    for v in values {
      bf.u16(UInt16(v.bitPattern >> 16))
      f.f32(v)
    }
    let fromBF = try Self.widenUnaligned(bf.bytes, as: .bf16, count: values.count)
    let fromF = try Self.widenUnaligned(f.bytes, as: .f32, count: values.count)
    #expect(fromF.map(\.bitPattern) == values.map(\.bitPattern))
    #expect(fromBF.map(\.bitPattern) == values.map { $0.bitPattern & 0xFFFF_0000 })
    #expect(fromBF[4] == 3.140625)
  }

  /// CTranslate2 int8 (per-row scale) and int16 (one scale) are divided by their scale.
  @Test func ctranslate2ScaledIntegers() throws {
    // int8, per-row scale: x = q / scale[row].
    let q: [Int8] = [127, -127, 0, 64, -1, 2]
    let bytes = q.map { UInt8(bitPattern: $0) }
    let rows = try bytes.withUnsafeBytes {
      try DTypeWidening.widenScaled($0, as: .i8, rows: 2, columns: 3, scale: [127, 2])
    }
    #expect(rows == [1, -1, 0, 32, -0.5, 1])
    // int16, one global scale.
    var w = ByteWriter()
    for v: Int16 in [1024, -2048, 512] { w.u16(UInt16(bitPattern: v)) }
    let global = try w.bytes.withUnsafeBytes {
      try DTypeWidening.widenScaled($0, as: .i16, rows: 3, columns: 1, scale: [1024])
    }
    #expect(global == [1, -2, 0.5])
    #expect(throws: LeafXError.self) {
      try bytes.withUnsafeBytes { try DTypeWidening.widenScaled($0, as: .i8, rows: 2, columns: 3, scale: [1, 2, 3]) }
    }
  }

  /// qs[j] = j | (15 - j) << 4: low nibble of byte j is j, high nibble 15 - j.
  static let nibbleRamp: [UInt8] = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }

  /// q4_0: one block computed by hand from the ggml-quants.c formula.
  @Test func q4_0HandComputedBlock() throws {
    // d = 0.5 (f16 0x3800); x[j] = (j - 8) * 0.5, x[j + 16] = ((15 - j) - 8) * 0.5.
    let block: [UInt8] = [0x00, 0x38] + Self.nibbleRamp
    let x = try Self.widenUnaligned(block, as: .q4_0, count: 32)
    #expect(x[0] == -4 && x[8] == 0 && x[15] == 3.5)
    #expect(x[16] == 3.5 && x[23] == 0 && x[31] == -4)
    let low: [Float] = (0..<16).map { Float($0 - 8) * 0.5 }
    let high: [Float] = (0..<16).map { Float(7 - $0) * 0.5 }
    #expect(x == low + high)
  }

  /// q4_1: one block computed by hand from the ggml-quants.c formula.
  @Test func q4_1HandComputedBlock() throws {
    // d = 0.25 (0x3400), m = -1 (0xBC00); x = nibble * 0.25 - 1.
    let block: [UInt8] = [0x00, 0x34, 0x00, 0xBC] + Self.nibbleRamp
    let x = try Self.widenUnaligned(block, as: .q4_1, count: 32)
    #expect(x[0] == -1 && x[4] == 0 && x[15] == 2.75 && x[16] == 2.75 && x[31] == -1)
    let low: [Float] = (0..<16).map { Float($0) * 0.25 - 1 }
    let high: [Float] = (0..<16).map { Float(15 - $0) * 0.25 - 1 }
    #expect(x == low + high)
  }

  /// q5_0: one block computed by hand from the ggml-quants.c formula.
  @Test func q5_0HandComputedBlock() throws {
    // d = 1 (0x3C00); qh = 0xAAAA5555 little-endian: bit j set for even j < 16 and odd j >= 16.
    let block: [UInt8] = [0x00, 0x3C, 0x55, 0x55, 0xAA, 0xAA] + Self.nibbleRamp
    let x = try Self.widenUnaligned(block, as: .q5_0, count: 32)
    // Element 0: nibble 0 | 16 -> 16 - 16 = 0. Element 1: nibble 1, no high bit -> 1 - 16 = -15.
    // Element 16: nibble 15, bit 16 clear -> -1. Element 17: nibble 14 | 16 = 30 -> 14.
    #expect(x[0] == 0 && x[1] == -15 && x[14] == 14 && x[15] == -1)
    #expect(x[16] == -1 && x[17] == 14 && x[30] == -15 && x[31] == 0)
  }

  /// q5_1: one block computed by hand from the ggml-quants.c formula.
  @Test func q5_1HandComputedBlock() throws {
    // d = 0.5 (0x3800), m = 1 (0x3C00); qh = 0xFFFF0000: the upper 16 values get bit 4.
    let block: [UInt8] = [0x00, 0x38, 0x00, 0x3C, 0x00, 0x00, 0xFF, 0xFF] + Self.nibbleRamp
    let x = try Self.widenUnaligned(block, as: .q5_1, count: 32)
    #expect(x[0] == 1 && x[15] == 8.5)
    #expect(x[16] == 1 + 31 * 0.5 && x[31] == 1 + 16 * 0.5)
  }

  /// q8_0: one block computed by hand from the ggml-quants.c formula.
  @Test func q8_0HandComputedBlock() throws {
    // d = 0.125 (0x3000); qs[j] = 8j - 128 -> x = j - 16.
    let block: [UInt8] = [0x00, 0x30] + (0..<32).map { UInt8(bitPattern: Int8($0 * 8 - 128)) }
    let x = try Self.widenUnaligned(block, as: .q8_0, count: 32)
    let expected: [Float] = (0..<32).map { Float($0 - 16) }
    #expect(x == expected)
  }

  /// Block types round trip the reference quantizers.
  @Test func blockTypesRoundTripTheReferenceQuantizers() throws {
    // Test-side quantizers follow ggml-quants.c; widening must undo them within one step d.
    let values = (0..<96).map { Float(($0 * 37) % 97 - 48) / 50 }
    for type in [StoredDType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0] {
      let (bytes, bound) = SyntheticWhisper.encode(values, as: type)
      #expect(bytes.count == type.byteCount(elements: values.count))
      let x = try Self.widenUnaligned(bytes, as: type, count: values.count)
      let error = zip(x, values).map { abs($0 - $1) }.max()!
      #expect(error <= bound * 1.01 + 1e-3, "\(type): max error \(error), step \(bound)")
    }
  }

  /// Size mismatches throw instead of reading past the end.
  @Test func sizeMismatchesThrowInsteadOfReadingPastTheEnd() {
    let bytes = [UInt8](repeating: 0, count: 40)
    bytes.withUnsafeBytes { raw in
      #expect(throws: LeafXError.self) { try DTypeWidening.widen(raw, as: .f32, count: 11) }
      #expect(throws: LeafXError.self) { try DTypeWidening.widen(raw, as: .q8_0, count: 64) }
      #expect(throws: LeafXError.self) { try DTypeWidening.widen(raw, as: .q4_0, count: 31) }
      #expect(throws: LeafXError.self) { try DTypeWidening.widen(raw, as: .f16, count: -1) }
      #expect(throws: LeafXError.self) { try DTypeWidening.widen(raw, as: .f16, count: Int.max) }
      #expect((try? DTypeWidening.widen(raw, as: .f16, count: 0)) == [])
    }
    #expect(StoredDType.f32.byteCount(elements: Int.max / 2) == nil)
    #expect(StoredDType.q8_0.byteCount(elements: 33) == nil)
    #expect(StoredDType.q5_1.byteCount(elements: 64) == 48)
  }
}
