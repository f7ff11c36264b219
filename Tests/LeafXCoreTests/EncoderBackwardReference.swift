import Foundation

@testable import LeafXCore

/// Whisper's encoder written again in plain loops over `Double`, sharing nothing with the
/// production code but the checkpoint's numbers: the reference the encoder backward pass is
/// checked against by central finite differences (with `NaiveDecoder` on top).
///
/// ```
/// h = gelu(conv1(mel)); h = gelu(conv2(h)) (stride 2, padding 1); x = hᵀ + P
/// per block: x += Attn(ln x); x += MLP(ln x);   encoded = ln_post(x)
/// ```
struct NaiveEncoder {
  let dimensions: WhisperDimensions
  let w: [String: [Double]]

  init(checkpoint: WhisperCheckpoint) {
    dimensions = checkpoint.dimensions
    w = checkpoint.tensors.mapValues { $0.values.map(Double.init) }
  }

  /// Encodes `mel` `[n_mels][2n]`; returns `[n][d]`.
  func encode(_ mel: [[Double]]) -> [[Double]] {
    let d = dimensions.nAudioState
    let n = dimensions.nAudioCtx
    var h = conv(mel, "encoder.conv1", stride: 1).map { $0.map(gelu) }
    h = conv(h, "encoder.conv2", stride: 2).map { $0.map(gelu) }
    let positional = w["encoder.positional_embedding"]!
    var x = (0..<n).map { t in (0..<d).map { c in h[c][t] + positional[t * d + c] } }
    for b in 0..<dimensions.nAudioLayer {
      let p = "encoder.blocks.\(b)"
      let normed = layerNorm(x, "\(p).attn_ln")
      let q = NaiveDecoder.linear(normed, w["\(p).attn.query.weight"]!, w["\(p).attn.query.bias"]!)
      let k = NaiveDecoder.linear(normed, w["\(p).attn.key.weight"]!, nil)
      let v = NaiveDecoder.linear(normed, w["\(p).attn.value.weight"]!, w["\(p).attn.value.bias"]!)
      let mixed = attention(q, k, v)
      add(&x, NaiveDecoder.linear(mixed, w["\(p).attn.out.weight"]!, w["\(p).attn.out.bias"]!))
      var hidden = NaiveDecoder.linear(layerNorm(x, "\(p).mlp_ln"), w["\(p).mlp.0.weight"]!, w["\(p).mlp.0.bias"]!)
      hidden = hidden.map { $0.map(gelu) }
      add(&x, NaiveDecoder.linear(hidden, w["\(p).mlp.2.weight"]!, w["\(p).mlp.2.bias"]!))
    }
    return layerNorm(x, "encoder.ln_post")
  }

  /// `out[c][t] = b[c] + Σ_{i,k} W[c,i,k] x[i][stride·t + k − 1]`, zero outside.
  private func conv(_ x: [[Double]], _ prefix: String, stride: Int) -> [[Double]] {
    let weight = w["\(prefix).weight"]!
    let bias = w["\(prefix).bias"]!
    let inputs = x.count
    let length = x[0].count
    let outputs = bias.count
    let outLength = (length - 1) / stride + 1
    return (0..<outputs).map { c in
      (0..<outLength).map { t in
        var sum = bias[c]
        for i in 0..<inputs {
          for tap in 0..<3 {
            let s = stride * t + tap - 1
            if s >= 0 && s < length { sum += weight[(c * inputs + i) * 3 + tap] * x[i][s] }
          }
        }
        return sum
      }
    }
  }

  private func gelu(_ u: Double) -> Double { 0.5 * u * (1 + erf(u / 2.0.squareRoot())) }

  private func attention(_ q: [[Double]], _ k: [[Double]], _ v: [[Double]]) -> [[Double]] {
    let d = dimensions.nAudioState
    let heads = dimensions.nAudioHead
    let dHead = d / heads
    var out = [[Double]](repeating: [Double](repeating: 0, count: d), count: q.count)
    for h in 0..<heads {
      for i in 0..<q.count {
        var scores = (0..<k.count).map { j in
          (0..<dHead).reduce(0.0) { $0 + q[i][h * dHead + $1] * k[j][h * dHead + $1] } / Double(dHead).squareRoot()
        }
        let peak = scores.max()!
        scores = scores.map { exp($0 - peak) }
        let total = scores.reduce(0, +)
        for c in 0..<dHead {
          var sum = 0.0
          for j in 0..<k.count { sum += scores[j] / total * v[j][h * dHead + c] }
          out[i][h * dHead + c] = sum
        }
      }
    }
    return out
  }

  private func layerNorm(_ x: [[Double]], _ prefix: String) -> [[Double]] {
    let gamma = w["\(prefix).weight"]!
    let beta = w["\(prefix).bias"]!
    return x.map { row in
      let mean = row.reduce(0, +) / Double(row.count)
      let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(row.count)
      let inverse = 1 / (variance + 1e-5).squareRoot()
      return row.indices.map { (row[$0] - mean) * inverse * gamma[$0] + beta[$0] }
    }
  }

  private func add(_ x: inout [[Double]], _ y: [[Double]]) {
    for i in x.indices { for c in x[i].indices { x[i][c] += y[i][c] } }
  }
}
