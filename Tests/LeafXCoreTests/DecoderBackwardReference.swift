import Foundation

@testable import LeafXCore

/// A small random Whisper for the decoder-backward tests: d = 16, 2 heads, 2 decoder layers,
/// vocabulary 50, n_text_ctx 16, F = 12 audio frames (the encoder is as tiny and unused).
///
/// Weights are uniform with a Glorot-like width (`±√(3/in)`), query and key projections 2.5×
/// wider so that attention is peaked rather than uniform (a uniform map would hide errors in
/// the softmax backward), layer-norm gains around 1.
enum SyntheticDecoder {
  /// The model's hyper-parameters.
  static let dimensions = WhisperDimensions(
    nMels: 4, nAudioCtx: 12, nAudioState: 16, nAudioHead: 2, nAudioLayer: 1, nVocab: 50, nTextCtx: 16,
    nTextState: 16, nTextHead: 2, nTextLayer: 2)

  /// Random tensors under every canonical name of `WhisperCheckpoint.expectedShapes`.
  static func checkpoint(seed: UInt64 = 7, dimensions: WhisperDimensions = dimensions) -> WhisperCheckpoint {
    var random = DecoderTestRandom(seed: seed)
    var tensors: [String: Tensor] = [:]
    for (name, shape) in WhisperCheckpoint.expectedShapes(dimensions).sorted(by: { $0.key < $1.key }) {
      let count = shape.reduce(1, *)
      let isNorm = name.contains("ln.") || name.contains("_ln.") || name.contains("ln_post.")
      let values: [Float] = (0..<count).map { _ in
        let u = Float.random(in: -1...1, using: &random)
        if isNorm { return name.hasSuffix(".weight") ? 1 + 0.3 * u : 0.2 * u }
        if name.hasSuffix("token_embedding.weight") { return u }
        if name.hasSuffix("positional_embedding") { return 0.5 * u }
        if name.hasSuffix(".bias") { return 0.2 * u }
        if shape.count == 2 {
          let gain: Float = name.contains(".query.") || name.contains(".key.") ? 2.5 : 1
          return gain * (3 / Float(shape[1])).squareRoot() * u
        }
        return 0.3 * u
      }
      tensors[name] = Tensor(shape: shape, values: values)
    }
    return WhisperCheckpoint(
      format: .ggml, path: "synthetic-decoder", dimensions: dimensions, tensors: tensors,
      vocabulary: .ggmlTokens([]))
  }

  /// A random "encoder output" `[F, d]` standing in for `WhisperEncoder.encode`.
  static func encoded(seed: UInt64 = 11) -> [Float] {
    var random = DecoderTestRandom(seed: seed)
    return (0..<(dimensions.nAudioCtx * dimensions.nTextState)).map { _ in Float.random(in: -1.7...1.7, using: &random) }
  }
}

/// SplitMix64 (own copy, so this file stands alone): deterministic test data.
struct DecoderTestRandom: RandomNumberGenerator {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// One attention probability moved by `delta` after softmax, before use.
struct AttentionPerturbation {
  var kind: AttentionKind
  var layer: Int
  var head: Int
  var row: Int
  var column: Int
  var delta: Double
}

/// Whisper's decoder written again in plain loops over `Double`, sharing nothing with the
/// production code but the checkpoint's numbers: the reference the backward pass is checked
/// against by central finite differences.
///
/// ```
/// x = E[tokens] + P;  per layer: x += SelfAttn(ln x);  x += CrossAttn(ln x);  x += MLP(ln x)
/// logits = ln(x) Eᵀ;   attention: softmax(q kᵀ / √d_h) (causal for self), then perturbation
/// ```
struct NaiveDecoder {
  /// One pass: logits `[T][vocab]`, maps `[layer][head][i][j]`.
  struct Pass {
    var logits: [[Double]]
    var selfMaps: [[[[Double]]]]
    var crossMaps: [[[[Double]]]]

    /// `log p(token | row)` under the full softmax.
    func logProb(row: Int, token: Int) -> Double {
      let z = logits[row]
      let peak = z.max()!
      return z[token] - (peak + log(z.reduce(0) { $0 + exp($1 - peak) }))
    }
  }

  let d: Int
  let heads: Int
  let layers: Int
  let vocab: Int
  let w: [String: [Double]]
  /// Cross keys and values per layer, `[F][d]`.
  let audioKeys: [[[Double]]]
  let audioValues: [[[Double]]]

  init(checkpoint: WhisperCheckpoint, encoded: [Float]) {
    let width = checkpoint.dimensions.nTextState
    let frames = encoded.count / width
    self.init(checkpoint: checkpoint, audio: (0..<frames).map { f in (0..<width).map { Double(encoded[f * width + $0]) } })
  }

  /// From an encoder output kept in Double, `[F][d]` (the encoder finite differences).
  init(checkpoint: WhisperCheckpoint, audio: [[Double]]) {
    let dims = checkpoint.dimensions
    d = dims.nTextState
    heads = dims.nTextHead
    layers = dims.nTextLayer
    vocab = dims.nVocab
    let weights = checkpoint.tensors.mapValues { $0.values.map(Double.init) }
    w = weights
    var keys: [[[Double]]] = []
    var values: [[[Double]]] = []
    for l in 0..<layers {
      let p = "decoder.blocks.\(l).cross_attn"
      keys.append(Self.linear(audio, weights["\(p).key.weight"]!, nil))
      values.append(Self.linear(audio, weights["\(p).value.weight"]!, weights["\(p).value.bias"]!))
    }
    audioKeys = keys
    audioValues = values
  }

  /// Runs the decoder over `tokens` (positions 0..<T).
  func forward(_ tokens: [Int], ablated: Set<Int> = [], perturbation: AttentionPerturbation? = nil) -> Pass {
    let t = tokens.count
    let embedding = w["decoder.token_embedding.weight"]!
    let positional = w["decoder.positional_embedding"]!
    var x = [[Double]](repeating: [Double](repeating: 0, count: d), count: t)
    for i in 0..<t {
      for c in 0..<d { x[i][c] = embedding[tokens[i] * d + c] + positional[i * d + c] }
    }
    var selfMaps: [[[[Double]]]] = []
    var crossMaps: [[[[Double]]]] = []
    for l in 0..<layers {
      let b = "decoder.blocks.\(l)"
      var n = layerNorm(x, "\(b).attn_ln")
      let q = Self.linear(n, w["\(b).attn.query.weight"]!, w["\(b).attn.query.bias"]!)
      let k = Self.linear(n, w["\(b).attn.key.weight"]!, nil)
      let v = Self.linear(n, w["\(b).attn.value.weight"]!, w["\(b).attn.value.bias"]!)
      let (o, sMaps) = attention(q, k, v, causal: true, kind: .selfAttention, layer: l, perturbation)
      add(&x, Self.linear(o, w["\(b).attn.out.weight"]!, w["\(b).attn.out.bias"]!))
      selfMaps.append(sMaps)

      n = layerNorm(x, "\(b).cross_attn_ln")
      let cq = Self.linear(n, w["\(b).cross_attn.query.weight"]!, w["\(b).cross_attn.query.bias"]!)
      let (co, cMaps) = attention(
        cq, audioKeys[l], audioValues[l], causal: false, kind: .crossAttention, layer: l, perturbation)
      if !ablated.contains(l) {
        add(&x, Self.linear(co, w["\(b).cross_attn.out.weight"]!, w["\(b).cross_attn.out.bias"]!))
      }
      crossMaps.append(cMaps)

      n = layerNorm(x, "\(b).mlp_ln")
      var hidden = Self.linear(n, w["\(b).mlp.0.weight"]!, w["\(b).mlp.0.bias"]!)
      for i in 0..<hidden.count {
        for c in 0..<hidden[i].count {
          let u = hidden[i][c]
          hidden[i][c] = 0.5 * u * (1 + erf(u / 2.0.squareRoot()))  // exact GELU
        }
      }
      add(&x, Self.linear(hidden, w["\(b).mlp.2.weight"]!, w["\(b).mlp.2.bias"]!))
    }
    let final = layerNorm(x, "decoder.ln")
    // Tied output projection: logits = ln(x) Eᵀ.
    let logits = Self.linear(final, embedding, nil)
    return Pass(logits: logits, selfMaps: selfMaps, crossMaps: crossMaps)
  }

  /// Per head: `P = softmax(q kᵀ / √d_h)` (row i sees j ≤ i when causal), the perturbation,
  /// then `o = P v`.
  private func attention(
    _ q: [[Double]], _ k: [[Double]], _ v: [[Double]], causal: Bool, kind: AttentionKind, layer: Int,
    _ perturbation: AttentionPerturbation?
  ) -> ([[Double]], [[[Double]]]) {
    let dHead = d / heads
    var out = [[Double]](repeating: [Double](repeating: 0, count: d), count: q.count)
    var maps: [[[Double]]] = []
    for h in 0..<heads {
      var p = [[Double]](repeating: [Double](repeating: 0, count: k.count), count: q.count)
      for i in 0..<q.count {
        let visible = causal ? i + 1 : k.count
        var scores = [Double](repeating: 0, count: visible)
        for j in 0..<visible {
          var dot = 0.0
          for c in 0..<dHead { dot += q[i][h * dHead + c] * k[j][h * dHead + c] }
          scores[j] = dot / Double(dHead).squareRoot()
        }
        let peak = scores.max()!
        var total = 0.0
        for j in 0..<visible {
          scores[j] = exp(scores[j] - peak)
          total += scores[j]
        }
        for j in 0..<visible { p[i][j] = scores[j] / total }
      }
      if let e = perturbation, e.kind == kind, e.layer == layer, e.head == h {
        p[e.row][e.column] += e.delta
      }
      for i in 0..<q.count {
        for c in 0..<dHead {
          var sum = 0.0
          for j in 0..<k.count { sum += p[i][j] * v[j][h * dHead + c] }
          out[i][h * dHead + c] = sum
        }
      }
      maps.append(p)
    }
    return (out, maps)
  }

  /// `(x − mean) / √(var + 1e-5) · γ + β` per row.
  private func layerNorm(_ x: [[Double]], _ prefix: String) -> [[Double]] {
    let gamma = w["\(prefix).weight"]!
    let beta = w["\(prefix).bias"]!
    var y = x
    for r in 0..<x.count {
      let n = Double(x[r].count)
      var mean = 0.0
      for value in x[r] { mean += value }
      mean /= n
      var variance = 0.0
      for value in x[r] { variance += (value - mean) * (value - mean) }
      variance /= n
      let inverse = 1 / (variance + 1e-5).squareRoot()
      for c in 0..<x[r].count { y[r][c] = (x[r][c] - mean) * inverse * gamma[c] + beta[c] }
    }
    return y
  }

  /// `y = x Wᵀ + b` with `W` `[out, in]` row-major.
  static func linear(_ x: [[Double]], _ weight: [Double], _ bias: [Double]?) -> [[Double]] {
    let inputs = x.first?.count ?? 0
    let outputs = weight.count / max(inputs, 1)
    var y = [[Double]](repeating: [Double](repeating: 0, count: outputs), count: x.count)
    for r in 0..<x.count {
      for o in 0..<outputs {
        var sum: Double = bias?[o] ?? 0
        for i in 0..<inputs { sum += x[r][i] * weight[o * inputs + i] }
        y[r][o] = sum
      }
    }
    return y
  }

  private func add(_ x: inout [[Double]], _ y: [[Double]]) {
    for i in x.indices { for c in x[i].indices { x[i][c] += y[i][c] } }
  }
}
