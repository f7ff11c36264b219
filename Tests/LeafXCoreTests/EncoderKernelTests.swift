import Foundation
import Testing

@testable import LeafXCore

/// The encoder's element-wise kernels: SIMD GELU against libm's `erff`, the SIMD `fastExp`
/// against the scalar one, and the passes split over `ComputeThreads` (softmax rows inside
/// `Attention.forward`, layer-norm rows) against the same passes on one thread.
///
/// Tolerances and why:
/// - `geluTolerance` 1e-6 absolute: the rational erf is within 5e-7 of the exact erf on [−6, 6]
///   (and libm's `erff` within an ulp, ≤ 6e-8), and GELU multiplies the error by |x|/2 ≤ 3.
/// - The SIMD `fastExp` and the thread splits promise identical results, so those use `==`.
@Suite struct EncoderKernelTests {
  static let geluTolerance: Float = 1.5e-6

  @Test func geluMatchesLibmErf() {
    for count in [0, 1, 7, 8, 9, 31, 1000, 70_001] {
      let input = TensorKernelTests.values(count, seed: UInt64(count)).map { $0 * 6 }
      var fast = input
      var naive = input
      fast.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: count) }
      naive.withUnsafeMutableBufferPointer { GELU.forwardNaive($0.baseAddress!, count: count) }
      for i in 0..<count {
        #expect(abs(fast[i] - naive[i]) <= Self.geluTolerance, "gelu(\(input[i])): \(fast[i]) vs \(naive[i])")
      }
    }
    // Far tails: exactly x for large x, ~0 for very negative x.
    var tails: [Float] = [10, 100, -10, -100]
    tails.withUnsafeMutableBufferPointer { GELU.forward($0.baseAddress!, count: 4) }
    #expect(tails[0] == 10 && tails[1] == 100)
    #expect(abs(tails[2]) <= Self.geluTolerance && abs(tails[3]) <= 1e-4)
  }

  @Test func simdFastExpEqualsScalar() {
    var x: Float = -100
    while x < 100 {
      let lanes = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0137 })
      let e = Softmax.fastExp(lanes)
      for lane in 0..<8 {
        #expect(e[lane] == Softmax.fastExp(lanes[lane]), "exp(\(lanes[lane]))")
      }
      x += 0.31
    }
  }

  @Test func threadSplitsDoNotChangeResults() {
    let (tq, tk, width, heads) = (301, 301, 24, 3)
    let q = TensorKernelTests.values(tq * width, seed: 1).map { $0 * 3 }
    let k = TensorKernelTests.values(tk * width, seed: 2).map { $0 * 3 }
    let v = TensorKernelTests.values(tk * width, seed: 3)
    func attention(causal: Bool) -> [Float] {
      var out = [Float](repeating: 0, count: tq * width)
      q.withUnsafeBufferPointer { q in
        k.withUnsafeBufferPointer { k in
          v.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
              Attention.forward(
                q: q.baseAddress!, k: k.baseAddress!, v: v.baseAddress!, tq: tq, tk: tk, width: width, heads: heads,
                causalOffset: causal ? 0 : nil, into: o.baseAddress!)
            }
          }
        }
      }
      return out
    }
    let norm = LayerNorm(
      weight: Tensor(shape: [width], values: TensorKernelTests.values(width, seed: 4)),
      bias: Tensor(shape: [width], values: TensorKernelTests.values(width, seed: 5)))
    let rows = 2000
    let x = TensorKernelTests.values(rows * width, seed: 6)
    ComputeThreads.set(1)
    let single = (attention(causal: false), attention(causal: true), norm.forward(x, rows: rows))
    ComputeThreads.set(2)
    let split = (attention(causal: false), attention(causal: true), norm.forward(x, rows: rows))
    #expect(single.0 == split.0)
    #expect(single.1 == split.1)
    #expect(single.2 == split.2)
  }

  /// `gemm` on 1, 2 and 3 threads, bit for bit, in both of its splits: row blocks (an
  /// encoder-sized product) and column blocks (a few rows, as a decoder prompt). OpenBLAS's
  /// Zen kernels give an element other bits at another position in a call, so a split that
  /// followed the thread count changed the last bits of a transcript with `--threads`.
  @Test func gemmDoesNotDependOnTheThreadCount() {
    func product(m: Int, n: Int, k: Int) -> [Float] {
      let a = TensorKernelTests.values(m * k, seed: 7)
      let b = TensorKernelTests.values(k * n, seed: 8)
      var c = [Float](repeating: 0, count: m * n)
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          c.withUnsafeMutableBufferPointer { c in
            gemm(false, true, m: m, n: n, k: k, a.baseAddress!, lda: k, b.baseAddress!, ldb: k, c.baseAddress!, ldc: n)
          }
        }
      }
      return c
    }
    let previous = ComputeThreads.current
    defer { ComputeThreads.set(previous) }
    for (m, n, k) in [(1500, 384, 384), (24, 1152, 384), (8, 51865, 384)] {
      let results = [1, 2, 3].map { threads in
        ComputeThreads.set(threads)
        return product(m: m, n: n, k: k)
      }
      for threads in [2, 3] {
        let differing = zip(results[0], results[threads - 1]).filter { $0.0.bitPattern != $0.1.bitPattern }.count
        #expect(differing == 0, "\(m)×\(n)×\(k): \(differing) elements differ between 1 and \(threads) threads")
      }
    }
  }
}
