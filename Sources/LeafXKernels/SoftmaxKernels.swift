/// The softmax row kernel of LeafXCore's `Softmax.forward`, `@inlinable` so that each kernel
/// module compiles it for its own target CPU (see MatrixVectorKernels). Lane by lane the
/// same operations in both builds, so the same bits.
public enum SoftmaxKernels {
  public typealias Lanes = SIMD8<Float>

  /// One row in three passes (maximum; exp stored and summed; scale), 8 lanes at a time. The
  /// sum keeps eight partial sums over blocks of 8 plus a scalar tail, in that order.
  @inlinable @inline(__always)
  public static func forwardRow(_ row: UnsafeMutablePointer<Float>, count n: Int) {
    let raw = UnsafeMutableRawPointer(row)
    let full = n / Lanes.scalarCount * Lanes.scalarCount
    var peaks = Lanes(repeating: -.infinity)
    var j = 0
    while j < full {
      // `replacing(with:where:)` compiles to a vector compare and blend; `pointwiseMax` was an
      // out-of-line call per 8 lanes (measured 8× slower).
      let values = raw.loadUnaligned(fromByteOffset: j * 4, as: Lanes.self)
      peaks = peaks.replacing(with: values, where: values .> peaks)
      j += Lanes.scalarCount
    }
    var peak = full > 0 ? peaks.max() : -Float.infinity
    for j in full..<n { peak = max(peak, row[j]) }
    var partial = Lanes()
    j = 0
    while j < full {
      let e = fastExp(raw.loadUnaligned(fromByteOffset: j * 4, as: Lanes.self) - peak)
      raw.storeBytes(of: e, toByteOffset: j * 4, as: Lanes.self)
      partial += e
      j += Lanes.scalarCount
    }
    var sum = partial.sum()
    for j in full..<n {
      let e = fastExp(row[j] - peak)
      row[j] = e
      sum += e
    }
    let scale = 1 / sum
    for j in 0..<n { row[j] *= scale }
  }

  /// `fastExp` on 8 lanes: the same operations lane by lane, so each lane equals the scalar
  /// `fastExp` of its value bit for bit.
  @inlinable @inline(__always)
  public static func fastExp(_ value: Lanes) -> Lanes {
    // The scalar version's min(max(x, −87.3), 88.7), lane by lane (NaN stays NaN in both).
    let lowest = Lanes(repeating: -87.3)
    let highest = Lanes(repeating: 88.7)
    var x = value.replacing(with: lowest, where: value .< lowest)
    x = x.replacing(with: highest, where: x .> highest)
    let magic: Float = 12_582_912
    let shifted = x * 1.442_695_04 + magic
    let k = shifted - magic
    var r = x - k * 0.693_359_375
    r = r - k * -2.121_944_4e-4
    var p = Lanes(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_1e-1
    let e = p * (r * r) + r + 1
    let kBits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- Int32(bitPattern: magic.bitPattern)
    return e * unsafeBitCast((kBits &+ 127) &<< 23, to: Lanes.self)
  }

  /// `exp(x)` by Cephes' `expf` scheme, written without branches or calls so that loops over it
  /// vectorise; within 2 ulp of libm's `expf` for x ∈ [−87.3, 88.7]. Below −87.3 the result is
  /// the clamped `exp(−87.3) ≈ 1e-38` instead of a denormal or 0, which no softmax row can tell
  /// apart after normalisation.
  ///
  /// ```
  /// k = round(x / ln 2),  r = x − k ln 2  (ln 2 in two parts, so r is exact),  |r| ≤ ½ ln 2
  /// exp(x) = 2^k · (1 + r + r² P(r)),  P a degree-5 minimax polynomial
  /// ```
  @inlinable @inline(__always)
  public static func fastExp(_ x: Float) -> Float {
    let x = min(max(x, -87.3), 88.7)
    // Round x·log2(e) to the nearest integer with the 1.5·2²³ trick: the integer ends up in
    // the low mantissa bits of `shifted`.
    let magic: Float = 12_582_912
    let shifted = x * 1.442_695_04 + magic
    let k = shifted - magic
    var r = x - k * 0.693_359_375
    r = r - k * -2.121_944_4e-4
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_1e-1
    let e = p * (r * r) + r + 1
    // 2^k: k + 127 in the exponent field.
    let kBits = Int32(bitPattern: shifted.bitPattern &- magic.bitPattern)
    return e * Float(bitPattern: UInt32(bitPattern: (kBits &+ 127) &<< 23))
  }

}
