/// Layer normalisation over the last axis: `y = (x − mean) / sqrt(var + ε) · γ + β`,
/// ε = 1e-5 as PyTorch's `nn.LayerNorm` default that Whisper uses.
public struct LayerNorm: Sendable {
  public let width: Int
  public let gamma: [Float]
  public let beta: [Float]
  public let epsilon: Float

  public init(weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) {
    width = weight.count
    gamma = weight.values
    beta = bias.values
    self.epsilon = epsilon
  }

  /// Normalises `rows` rows of `width` values from `input` into `output` (may alias).
  public func forward(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
    let n = width
    gamma.withUnsafeBufferPointer { g in
      beta.withUnsafeBufferPointer { b in
        ComputeThreads.split(rows, minimumPerChunk: max(1, 16_384 / max(n, 1))) { range in
          for r in range {
            let x = input + r * n
            let y = output + r * n
            let (mean, inverse) = statistics(x)
            for i in 0..<n { y[i] = (x[i] - mean) * inverse * g[i] + b[i] }
          }
        }
      }
    }
  }

  /// Backward of `forward` with respect to its input (γ and β are held constant):
  ///
  /// ```
  /// x̂ = (x − μ) · r,   r = 1 / √(σ² + ε),   g = ∂L/∂y ⊙ γ
  /// ∂L/∂x = r · (g − mean(g) − x̂ · mean(g ⊙ x̂))
  /// ```
  /// μ and r are recomputed from `input` by `statistics`, as in `forward`.
  /// - Parameters:
  ///   - input: the forward's input `[rows, width]`.
  ///   - outputGradient: `∂L/∂y`, `[rows, width]`.
  ///   - inputGradient: receives `∂L/∂x`, added to what it holds (caller-zeroed).
  public func backward(
    input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, rows: Int,
    into inputGradient: UnsafeMutablePointer<Float>
  ) {
    let n = width
    gamma.withUnsafeBufferPointer { g in
      for r in 0..<rows {
        let x = input + r * n
        let dy = outputGradient + r * n
        let dx = inputGradient + r * n
        let (mean, inverse) = statistics(x)
        // mean(g) and mean(g ⊙ x̂), accumulated in Double.
        var meanG = 0.0
        var meanGX = 0.0
        for i in 0..<n {
          let gi = Double(dy[i] * g[i])
          meanG += gi
          meanGX += gi * Double((x[i] - mean) * inverse)
        }
        let a = Float(meanG / Double(n))
        let b = Float(meanGX / Double(n))
        for i in 0..<n {
          let xHat = (x[i] - mean) * inverse
          dx[i] += inverse * (dy[i] * g[i] - a - xHat * b)
        }
      }
    }
  }

  /// The mean μ and inverse deviation r = 1 / √(σ² + ε) of one row of `width` values, the one
  /// computation `forward` and `backward` share so that backward sees forward's exact μ and r:
  /// two passes in Float with a Double accumulator for the mean and variance.
  @inline(__always)
  func statistics(_ x: UnsafePointer<Float>) -> (mean: Float, inverse: Float) {
    let n = width
    var sum = 0.0
    for i in 0..<n { sum += Double(x[i]) }
    let mean = Float(sum / Double(n))
    var squares = 0.0
    for i in 0..<n {
      let d = Double(x[i] - mean)
      squares += d * d
    }
    return (mean, 1 / (Float(squares / Double(n)) + epsilon).squareRoot())
  }

  public func forward(_ input: [Float], rows: Int) -> [Float] {
    var output = input
    input.withUnsafeBufferPointer { x in
      output.withUnsafeMutableBufferPointer { y in forward(x.baseAddress!, rows: rows, into: y.baseAddress!) }
    }
    return output
  }
}
