/// A dense float32 tensor, row-major (C order), with a numpy-order shape.
///
/// Every weight format is widened to this at load (docs/design.md, "The Whisper engine": compute in
/// fp32), so the model code sees one type whatever the file stored (f16, bf16, int8, q8_0, q5_0,
/// q4_0).
public struct Tensor: Sendable, Equatable {
  /// Dimensions, outermost first: a Linear weight is `[out, in]`, a Conv1D weight
  /// `[out, in, kernel]`.
  public var shape: [Int]
  /// `shape.reduce(1, *)` values in row-major order.
  public var values: [Float]

  public init(shape: [Int], values: [Float]) {
    precondition(shape.reduce(1, *) == values.count, "Tensor: shape \(shape) does not hold \(values.count) values")
    self.shape = shape
    self.values = values
  }

  /// Number of elements.
  public var count: Int { values.count }
}
