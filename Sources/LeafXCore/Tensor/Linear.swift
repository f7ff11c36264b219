/// A dense layer `y = x Wᵀ + b`, PyTorch layout: `weight` is `[out, in]` row-major.
///
/// Forward runs one `gemm` over all rows at once (`MatrixVector.multiply` for a single row); the
/// naive loop beside it is the reference the kernel tests compare against.
public struct Linear: Sendable {
  public let inFeatures: Int
  public let outFeatures: Int
  /// `[outFeatures, inFeatures]` row-major.
  public let weight: [Float]
  /// `[outFeatures]`, or nil (Whisper's key projections have no bias).
  public let bias: [Float]?

  public init(weight: Tensor, bias: Tensor?) {
    precondition(weight.shape.count == 2, "Linear weight must be 2-D, got \(weight.shape)")
    outFeatures = weight.shape[0]
    inFeatures = weight.shape[1]
    self.weight = weight.values
    self.bias = bias?.values
  }

  /// `output[rows, out] = input[rows, in] · Wᵀ + b`; `output` is overwritten.
  public func forward(
    _ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>
  ) {
    guard rows > 0 else { return }
    if rows == 1 {
      // One row (a decoder step): y = W x (+ b) as a matrix-vector product, without
      // sgemm's packing of all of W (see MatrixVector).
      forwardSteps(input, rows: 1, into: output)
      return
    }
    if let bias {
      bias.withUnsafeBufferPointer { b in
        for r in 0..<rows {
          (output + r * outFeatures).update(from: b.baseAddress!, count: outFeatures)
        }
      }
    }
    weight.withUnsafeBufferPointer { w in
      gemm(
        false, true, m: rows, n: outFeatures, k: inFeatures, input, lda: inFeatures, w.baseAddress!, ldb: inFeatures,
        beta: bias == nil ? 0 : 1, output, ldc: outFeatures)
    }
  }

  /// The same product for `rows` independent decoder steps (the hypotheses of a beam): W is
  /// streamed once for all rows, split over `ComputeThreads`, and row r equals `forward` of
  /// row r alone bit for bit (`MatrixVector.multiply`'s batched form), so a batched beam
  /// step decodes exactly as the hypotheses would one by one.
  public func forwardSteps(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
    guard rows > 0 else { return }
    if let bias {
      bias.withUnsafeBufferPointer { b in
        for r in 0..<rows {
          (output + r * outFeatures).update(from: b.baseAddress!, count: outFeatures)
        }
      }
    }
    weight.withUnsafeBufferPointer { w in
      MatrixVector.multiply(
        w.baseAddress!, rows: outFeatures, columns: inFeatures, rowStride: inFeatures,
        vectors: input, vectorStride: inFeatures, count: rows, accumulate: bias != nil,
        into: output, outputStride: outFeatures, threaded: true)
    }
  }

  /// `forwardSteps` over arrays: returns `[rows, out]`.
  public func forwardSteps(_ input: [Float], rows: Int) -> [Float] {
    var output = [Float](repeating: 0, count: rows * outFeatures)
    input.withUnsafeBufferPointer { x in
      output.withUnsafeMutableBufferPointer { y in forwardSteps(x.baseAddress!, rows: rows, into: y.baseAddress!) }
    }
    return output
  }

  /// Convenience over arrays: returns `[rows, out]`.
  public func forward(_ input: [Float], rows: Int) -> [Float] {
    var output = [Float](repeating: 0, count: rows * outFeatures)
    input.withUnsafeBufferPointer { x in
      output.withUnsafeMutableBufferPointer { y in forward(x.baseAddress!, rows: rows, into: y.baseAddress!) }
    }
    return output
  }

  /// Reference implementation by loops, in Double (tests only).
  func forwardNaive(_ input: [Float], rows: Int) -> [Float] {
    var output = [Float](repeating: 0, count: rows * outFeatures)
    for r in 0..<rows {
      for o in 0..<outFeatures {
        var sum = Double(bias?[o] ?? 0)
        for i in 0..<inFeatures { sum += Double(input[r * inFeatures + i]) * Double(weight[o * inFeatures + i]) }
        output[r * outFeatures + o] = Float(sum)
      }
    }
    return output
  }
}
