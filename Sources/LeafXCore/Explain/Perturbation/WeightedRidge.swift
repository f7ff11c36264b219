/// Weighted ridge regression shared by LIME and KernelSHAP, in Double, for many targets that
/// share one design (every explained token of a window is scored on the same masks):
///
/// ```
/// A = Xᵀ W X + α I,   β = A⁻¹ Xᵀ W y          (X [n, p], W = diag(w), one y [n] per target)
/// ```
/// `A` is factored once by Cholesky (α > 0 makes it positive definite even with fewer
/// samples than features) and reused for every target.
struct WeightedRidge {
  let p: Int
  /// Lower Cholesky factor of A, `[p, p]` row-major.
  private var factor: [Double]
  /// `Xᵀ W` is formed per target from these.
  private let design: [[Double]]
  private let weights: [Double]

  /// - Parameters:
  ///   - design: rows `x_i`, each of `p` values.
  ///   - weights: `w_i ≥ 0`, one per row.
  ///   - ridge: α ≥ 0 added to A's diagonal, except at `unpenalised` (an intercept column).
  /// - Throws: `LeafXError.internal` if A is not positive definite (α = 0 and a singular design).
  init(design: [[Double]], weights: [Double], ridge: Double, unpenalised: Int? = nil) throws {
    let p = design.first?.count ?? 0
    self.p = p
    self.design = design
    self.weights = weights
    var a = [Double](repeating: 0, count: p * p)
    a.withUnsafeMutableBufferPointer { a in
      for (x, w) in zip(design, weights) where w != 0 {
        for i in 0..<p where x[i] != 0 {
          let wx = w * x[i]
          for j in 0...i { a[i * p + j] += wx * x[j] }
        }
      }
    }
    for i in 0..<p where i != unpenalised { a[i * p + i] += ridge }
    factor = try Self.cholesky(a, p)
  }

  /// β for one target `y` (one value per design row).
  func solve(_ y: [Double]) -> [Double] {
    var b = [Double](repeating: 0, count: p)
    for (i, x) in design.enumerated() where weights[i] != 0 {
      let wy = weights[i] * y[i]
      for j in 0..<p { b[j] += x[j] * wy }
    }
    return solveNormal(b)
  }

  /// `A⁻¹ b` by the two triangular solves.
  func solveNormal(_ b: [Double]) -> [Double] {
    var z = b
    for i in 0..<p {
      var s = z[i]
      for j in 0..<i { s -= factor[i * p + j] * z[j] }
      z[i] = s / factor[i * p + i]
    }
    for i in stride(from: p - 1, through: 0, by: -1) {
      var s = z[i]
      for j in (i + 1)..<p { s -= factor[j * p + i] * z[j] }
      z[i] = s / factor[i * p + i]
    }
    return z
  }

  /// `L` with `L Lᵀ = A` (lower triangle of `a` used).
  static func cholesky(_ a: [Double], _ p: Int) throws -> [Double] {
    var l = [Double](repeating: 0, count: p * p)
    for i in 0..<p {
      for j in 0...i {
        var s = a[i * p + j]
        for k in 0..<j { s -= l[i * p + k] * l[j * p + k] }
        if i == j {
          guard s > 0, s.isFinite else {
            throw LeafXError.internal("surrogate regression: normal matrix not positive definite at \(i)")
          }
          l[i * p + i] = s.squareRoot()
        } else {
          l[i * p + j] = s / l[j * p + j]
        }
      }
    }
    return l
  }
}
