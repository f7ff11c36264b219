/// The four projections of one attention sublayer (`query`, `key` without bias, `value`, `out`).
public struct AttentionWeights: Sendable {
  public let query: Linear
  public let key: Linear
  public let value: Linear
  public let out: Linear

  init(_ tensors: [String: Tensor], prefix: String) throws {
    func t(_ name: String) throws -> Tensor {
      guard let tensor = tensors["\(prefix).\(name)"] else {
        throw LeafXError.format(path: prefix, offset: nil, reason: "tensor \(prefix).\(name) is missing")
      }
      return tensor
    }
    query = Linear(weight: try t("query.weight"), bias: try t("query.bias"))
    key = Linear(weight: try t("key.weight"), bias: nil)
    value = Linear(weight: try t("value.weight"), bias: try t("value.bias"))
    out = Linear(weight: try t("out.weight"), bias: try t("out.bias"))
  }
}

/// Whisper's MLP: `Linear(d, 4d) → GELU → Linear(4d, d)`.
public struct MLPWeights: Sendable {
  public let fc1: Linear
  public let fc2: Linear

  init(_ tensors: [String: Tensor], prefix: String) throws {
    fc1 = Linear(weight: try tensor(tensors, "\(prefix).mlp.0.weight"), bias: try tensor(tensors, "\(prefix).mlp.0.bias"))
    fc2 = Linear(weight: try tensor(tensors, "\(prefix).mlp.2.weight"), bias: try tensor(tensors, "\(prefix).mlp.2.bias"))
  }
}

/// A layer norm from `<prefix>.weight` / `<prefix>.bias`.
func layerNorm(_ tensors: [String: Tensor], _ prefix: String) throws -> LayerNorm {
  LayerNorm(weight: try tensor(tensors, "\(prefix).weight"), bias: try tensor(tensors, "\(prefix).bias"))
}

func tensor(_ tensors: [String: Tensor], _ name: String) throws -> Tensor {
  guard let t = tensors[name] else {
    throw LeafXError.format(path: name, offset: nil, reason: "tensor \(name) is missing")
  }
  return t
}

/// `a += b` elementwise (residual connections).
@inline(__always)
func addInPlace(_ a: inout [Float], _ b: [Float]) {
  a.withUnsafeMutableBufferPointer { x in
    b.withUnsafeBufferPointer { y in
      for i in 0..<x.count { x[i] += y[i] }
    }
  }
}
