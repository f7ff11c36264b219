import Foundation
import Testing

@testable import LeafXCore

/// The decoder-step kernels (Tensor/MatrixVector.swift, the rows == 1 path of Linear) and the
/// vectorisable softmax (Tensor/Softmax.swift) against their naive references, on odd shapes:
/// sizes that are not multiples of the 8/16/32-wide unrolling, size 1 and empty.
///
/// Tolerances and why:
/// - `productTolerance` 1e-5 relative to Σ|a·x|: float32 sums of ≤ 600 products in 16 lanes
///   against a Double reference (rounding ~n·2⁻²⁴ of the absolute sum, far below 1e-5).
/// - `softmaxTolerance` 1e-6 absolute on probabilities ≤ 1: `fastExp` is within 2 ulp of libm's
///   `expf` (≈ 2.4e-7 relative) and the sum is reassociated.
@Suite struct TensorKernelTests {
  static let productTolerance: Float = 1e-5
  static let softmaxTolerance: Float = 1e-6

  static func values(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Float(generator.nextUnit() * 2 - 1) }
  }

  static let shapes: [(m: Int, n: Int, stride: Int)] = [
    (1, 1, 1), (3, 7, 7), (5, 16, 20), (17, 33, 40), (9, 64, 384), (2, 100, 100), (40, 385, 385), (0, 8, 8), (4, 0, 3),
  ]

  @Test(arguments: KernelBuild.available) func multiplyMatchesNaive(kernels: KernelBuild) {
    for (index, shape) in Self.shapes.enumerated() {
      let a = Self.values(max(shape.m * shape.stride, 1), seed: UInt64(index))
      let x = Self.values(max(shape.n, 1), seed: UInt64(100 + index))
      let expected = MatrixVector.multiplyNaive(a, rows: shape.m, columns: shape.n, rowStride: shape.stride, alpha: 0.5, x)
      var y = [Float](repeating: 7, count: max(shape.m, 1))
      a.withUnsafeBufferPointer { a in
        x.withUnsafeBufferPointer { x in
          y.withUnsafeMutableBufferPointer { y in
            MatrixVector.multiply(
              a.baseAddress!, rows: shape.m, columns: shape.n, rowStride: shape.stride, alpha: 0.5, x.baseAddress!,
              into: y.baseAddress!, kernels: kernels)
          }
        }
      }
      let scale = Float(max(shape.n, 1))
      for i in 0..<shape.m {
        #expect(abs(y[i] - expected[i]) <= Self.productTolerance * scale, "shape \(shape) row \(i): \(y[i]) vs \(expected[i])")
      }
    }
  }

  @Test func multiplyAccumulates() {
    let a: [Float] = [1, 2, 3, 4, 5, 6]
    let x: [Float] = [1, 1, 1]
    var y: [Float] = [10, 20]
    a.withUnsafeBufferPointer { a in
      x.withUnsafeBufferPointer { x in
        y.withUnsafeMutableBufferPointer { y in
          MatrixVector.multiply(a.baseAddress!, rows: 2, columns: 3, rowStride: 3, x.baseAddress!, accumulate: true, into: y.baseAddress!)
        }
      }
    }
    #expect(y == [16, 35])
  }

  @Test(arguments: KernelBuild.available) func multiplyTransposedMatchesNaive(kernels: KernelBuild) {
    for (index, shape) in Self.shapes.enumerated() {
      let a = Self.values(max(shape.m * shape.stride, 1), seed: UInt64(200 + index))
      let x = Self.values(max(shape.m, 1), seed: UInt64(300 + index))
      let expected = MatrixVector.multiplyTransposedNaive(a, rows: shape.m, columns: shape.n, rowStride: shape.stride, x)
      var y = [Float](repeating: 7, count: max(shape.n, 1))
      a.withUnsafeBufferPointer { a in
        x.withUnsafeBufferPointer { x in
          y.withUnsafeMutableBufferPointer { y in
            MatrixVector.multiplyTransposed(
              a.baseAddress!, rows: shape.m, columns: shape.n, rowStride: shape.stride, x.baseAddress!, into: y.baseAddress!,
              kernels: kernels)
          }
        }
      }
      let scale = Float(max(shape.m, 1))
      for j in 0..<shape.n {
        #expect(abs(y[j] - expected[j]) <= Self.productTolerance * scale, "shape \(shape) column \(j): \(y[j]) vs \(expected[j])")
      }
    }
  }

  /// `LEAFX_KERNELS=baseline` forces the baseline copy; nothing selects AVX2 on a CPU without it.
  @Test func kernelChoiceFollowsTheCPUAndLEAFX_KERNELS() {
    #expect(KernelBuild.choose(cpuSupportsAVX2: true, setting: nil) == .avx2)
    #expect(KernelBuild.choose(cpuSupportsAVX2: true, setting: "") == .avx2)
    #expect(KernelBuild.choose(cpuSupportsAVX2: true, setting: "avx2") == .avx2)
    #expect(KernelBuild.choose(cpuSupportsAVX2: true, setting: "baseline") == .baseline)
    #expect(KernelBuild.choose(cpuSupportsAVX2: true, setting: "sse") == .avx2)
    #expect(KernelBuild.choose(cpuSupportsAVX2: false, setting: nil) == .baseline)
    #expect(KernelBuild.choose(cpuSupportsAVX2: false, setting: "avx2") == .baseline)
    #expect(KernelBuild.available.contains(KernelBuild.preferred))
  }

  /// The AVX2 build of the kernels must give the baseline build's bits (same source, no fused
  /// multiply-add), so a model decodes the same tokens on every x86-64 CPU.
  @Test(.enabled(if: KernelBuild.available.contains(.avx2), "needs a CPU with AVX2"))
  func avx2KernelsGiveTheBaselineBits() {
    for (index, shape) in Self.shapes.enumerated() {
      let count = 3
      let a = Self.values(max(shape.m * shape.stride, 1), seed: UInt64(400 + index))
      let x = Self.values(max(count * max(shape.n, shape.m), 1), seed: UInt64(500 + index))
      let width = max(shape.n, shape.m)
      func run(_ kernels: KernelBuild) -> (rows: [Float], columns: [Float]) {
        var rows = [Float](repeating: 1, count: max(count * shape.m, 1))
        var columns = [Float](repeating: 1, count: max(count * shape.n, 1))
        a.withUnsafeBufferPointer { a in
          x.withUnsafeBufferPointer { x in
            rows.withUnsafeMutableBufferPointer { y in
              MatrixVector.multiply(
                a.baseAddress!, rows: shape.m, columns: shape.n, rowStride: shape.stride, alpha: 0.75,
                vectors: x.baseAddress!, vectorStride: width, count: count, accumulate: true, into: y.baseAddress!,
                outputStride: shape.m, kernels: kernels)
            }
            columns.withUnsafeMutableBufferPointer { y in
              MatrixVector.multiplyTransposed(
                a.baseAddress!, rows: shape.m, columns: shape.n, rowStride: shape.stride, vectors: x.baseAddress!,
                vectorStride: width, count: count, into: y.baseAddress!, outputStride: shape.n, kernels: kernels)
            }
          }
        }
        return (rows, columns)
      }
      let baseline = run(.baseline)
      let avx2 = run(.avx2)
      #expect(baseline.rows.map(\.bitPattern) == avx2.rows.map(\.bitPattern), "shape \(shape)")
      #expect(baseline.columns.map(\.bitPattern) == avx2.columns.map(\.bitPattern), "shape \(shape)")
    }
    for width in [1, 7, 8, 33, 1500] {
      let logits = Self.values(width, seed: UInt64(600 + width)).map { $0 * 30 }
      var baseline = logits
      var avx2 = logits
      baseline.withUnsafeMutableBufferPointer { Softmax.forwardRow($0.baseAddress!, count: width, kernels: .baseline) }
      avx2.withUnsafeMutableBufferPointer { Softmax.forwardRow($0.baseAddress!, count: width, kernels: .avx2) }
      #expect(baseline.map(\.bitPattern) == avx2.map(\.bitPattern), "softmax width \(width)")
    }
  }

  @Test func linearSingleRowMatchesNaive() {
    for (inFeatures, outFeatures) in [(1, 1), (7, 3), (33, 17), (384, 40)] {
      let weight = Tensor(shape: [outFeatures, inFeatures], values: Self.values(outFeatures * inFeatures, seed: 7))
      let bias = Tensor(shape: [outFeatures], values: Self.values(outFeatures, seed: 8))
      let x = Self.values(inFeatures, seed: 9)
      for linear in [Linear(weight: weight, bias: bias), Linear(weight: weight, bias: nil)] {
        let fast = linear.forward(x, rows: 1)
        let naive = linear.forwardNaive(x, rows: 1)
        for o in 0..<outFeatures {
          #expect(abs(fast[o] - naive[o]) <= Self.productTolerance * Float(inFeatures))
        }
      }
    }
  }

  @Test func softmaxMatchesNaive() {
    for width in [0, 1, 7, 8, 9, 17, 64, 1500] {
      for causal in [false, true] {
        let rows = 3
        var fast = Self.values(rows * width, seed: UInt64(width)).map { $0 * 30 }
        var naive = fast
        let valid: (Int) -> Int = causal ? { $0 * 4 + 1 } : { _ in Int.max }
        fast.withUnsafeMutableBufferPointer { Softmax.forward($0.baseAddress!, rows: rows, width: width, valid: valid) }
        naive.withUnsafeMutableBufferPointer { Softmax.forwardNaive($0.baseAddress!, rows: rows, width: width, valid: valid) }
        for i in fast.indices {
          #expect(abs(fast[i] - naive[i]) <= Self.softmaxTolerance, "width \(width) index \(i): \(fast[i]) vs \(naive[i])")
        }
      }
    }
  }

  @Test func fastExpIsWithinTwoUlps() {
    var x: Float = -87
    while x < 88 {
      let reference = expf(x)
      let error = abs(Softmax.fastExp(x) - reference) / reference.ulp
      #expect(error <= 2, "exp(\(x)): \(Softmax.fastExp(x)) vs \(reference)")
      x += 0.173
    }
    #expect(Softmax.fastExp(0) == 1)
    #expect(Softmax.fastExp(-1000) < 1e-37)
  }
}
