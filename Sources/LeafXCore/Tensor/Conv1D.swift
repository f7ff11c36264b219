/// 1-D convolution with kernel 3 and padding 1 (Whisper's conv stem), by im2col and one sgemm:
///
/// ```
/// out[c, t] = b[c] + Σ_{i, k} W[c, i, k] · x[i, stride·t + k − 1]     (x = 0 outside)
/// ```
/// Input `[inChannels, length]`, output `[outChannels, outLength]` with
/// `outLength = (length + 2 − 3) / stride + 1`.
public struct Conv1D: Sendable {
  public let inChannels: Int
  public let outChannels: Int
  public let stride: Int
  /// `[out, in, 3]` row-major, which is already the `[out, in·3]` matrix im2col needs.
  public let weight: [Float]
  public let bias: [Float]

  public init(weight: Tensor, bias: Tensor, stride: Int) {
    precondition(weight.shape.count == 3 && weight.shape[2] == 3, "Conv1D weight must be [out, in, 3]")
    outChannels = weight.shape[0]
    inChannels = weight.shape[1]
    self.stride = stride
    self.weight = weight.values
    self.bias = bias.values
  }

  public func outputLength(_ length: Int) -> Int { (length - 1) / stride + 1 }

  /// Convolves `input [inChannels, length]`; returns `[outChannels, outLength]`.
  public func forward(_ input: [Float], length: Int) -> [Float] {
    let outLength = outputLength(length)
    let k = inChannels * 3
    // columns[(i·3 + k), t] = x[i, stride·t + k − 1]
    var columns = [Float](repeating: 0, count: k * outLength)
    input.withUnsafeBufferPointer { x in
      columns.withUnsafeMutableBufferPointer { col in
        for i in 0..<inChannels {
          for tap in 0..<3 {
            let row = col.baseAddress! + (i * 3 + tap) * outLength
            let source = x.baseAddress! + i * length
            for t in 0..<outLength {
              let s = stride * t + tap - 1
              row[t] = (s >= 0 && s < length) ? source[s] : 0
            }
          }
        }
      }
    }
    var output = [Float](repeating: 0, count: outChannels * outLength)
    output.withUnsafeMutableBufferPointer { y in
      for c in 0..<outChannels {
        let b = bias[c]
        for t in 0..<outLength { y[c * outLength + t] = b }
      }
      weight.withUnsafeBufferPointer { w in
        columns.withUnsafeBufferPointer { col in
          gemm(
            false, false, m: outChannels, n: outLength, k: k, w.baseAddress!, lda: k, col.baseAddress!, ldb: outLength,
            beta: 1, y.baseAddress!, ldc: outLength)
        }
      }
    }
    return output
  }

  /// Backward of `forward` with respect to its input (weights held constant), by one sgemm and
  /// the transpose of im2col (col2im):
  ///
  /// ```
  /// ∂L/∂columns[(i·3 + k), t] = Σ_c W[c, i, k] · ∂L/∂out[c, t]           (Wᵀ · ∂out)
  /// ∂L/∂x[i, stride·t + k − 1] += ∂L/∂columns[(i·3 + k), t]              (taps inside x only)
  /// ```
  /// - Parameters:
  ///   - outputGradient: `∂L/∂out`, `[outChannels, outputLength(length)]`.
  ///   - length: the forward's input length.
  /// - Returns: `∂L/∂x`, `[inChannels, length]`.
  public func backward(outputGradient: [Float], length: Int) -> [Float] {
    let outLength = outputLength(length)
    precondition(outputGradient.count == outChannels * outLength, "Conv1D.backward: gradient of the wrong size")
    let k = inChannels * 3
    var columns = [Float](repeating: 0, count: k * outLength)
    weight.withUnsafeBufferPointer { w in
      outputGradient.withUnsafeBufferPointer { dy in
        columns.withUnsafeMutableBufferPointer { col in
          gemm(
            true, false, m: k, n: outLength, k: outChannels, w.baseAddress!, lda: k, dy.baseAddress!, ldb: outLength,
            col.baseAddress!, ldc: outLength)
        }
      }
    }
    var input = [Float](repeating: 0, count: inChannels * length)
    columns.withUnsafeBufferPointer { col in
      input.withUnsafeMutableBufferPointer { dx in
        for i in 0..<inChannels {
          let target = dx.baseAddress! + i * length
          for tap in 0..<3 {
            let row = col.baseAddress! + (i * 3 + tap) * outLength
            for t in 0..<outLength {
              let s = stride * t + tap - 1
              if s >= 0 && s < length { target[s] += row[t] }
            }
          }
        }
      }
    }
    return input
  }

  /// Reference of `backward` by loops in Double (tests only).
  func backwardNaive(outputGradient: [Float], length: Int) -> [Float] {
    let outLength = outputLength(length)
    var input = [Double](repeating: 0, count: inChannels * length)
    for c in 0..<outChannels {
      for t in 0..<outLength {
        let g = Double(outputGradient[c * outLength + t])
        for i in 0..<inChannels {
          for tap in 0..<3 {
            let s = stride * t + tap - 1
            if s >= 0 && s < length { input[i * length + s] += g * Double(weight[(c * inChannels + i) * 3 + tap]) }
          }
        }
      }
    }
    return input.map { Float($0) }
  }
}
