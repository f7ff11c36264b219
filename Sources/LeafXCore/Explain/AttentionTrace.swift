/// The attention a decoder paid while writing one window's tokens (docs/design.md,
/// "Attention trace"): per decoder layer l and head h, cross-attention `A[l][h]` `[T, F]` over the
/// audio frames and decoder self-attention `S[l][h]` `[T, T]`, from one teacher-forced pass over
/// the window's input (prompt + written tokens).
///
/// F is cropped to the encoder frames that hold audio (`ceil(samples / 320)`), and each
/// cross-attention row is renormalised over them; the mass the row put on padding frames
/// is kept in `crossPadding` (reported, never attributed).
///
/// Row convention: the attribution of the token at input position p comes from row p − 1,
/// the query whose logits predicted it.
public struct AttentionTrace: Sendable {
  /// Decoder input: prompt followed by the written tokens.
  public let tokens: [Int]
  /// T, the number of input positions.
  public var count: Int { tokens.count }
  public let layers: Int
  public let heads: Int
  /// F, encoder frames holding audio (20 ms each).
  public let frames: Int
  /// `[layer][head]` → `[T, F]`, rows summing to 1 (or 0 where the row had no audio mass).
  public let cross: [[[Float]]]
  /// `[layer][head]` → `[T, T]`, row i has mass on columns ≤ i.
  public let selfAttention: [[[Float]]]
  /// `[layer][head]` → `[T]`: the share of each row's cross-attention on padding frames.
  public let crossPadding: [[[Float]]]

  /// Crops raw `[T, totalFrames]` cross-attention maps to the `frames` columns starting at
  /// `audioStart` (0 for Whisper; the audio pseudo-tokens of a decoder-only model elsewhere)
  /// and renormalises each row.
  public init(
    tokens: [Int], frames: Int, totalFrames: Int, rawCross: [[[Float]]], selfAttention: [[[Float]]],
    audioStart: Int = 0
  ) {
    self.tokens = tokens
    self.layers = rawCross.count
    self.heads = rawCross.first?.count ?? 0
    let start = max(0, min(audioStart, totalFrames - 1))
    let f = max(1, min(frames, totalFrames - start))
    self.frames = f
    let t = tokens.count
    var cropped: [[[Float]]] = []
    var padding: [[[Float]]] = []
    for layerMaps in rawCross {
      var layerCropped: [[Float]] = []
      var layerPadding: [[Float]] = []
      for map in layerMaps {
        var out = [Float](repeating: 0, count: t * f)
        var pad = [Float](repeating: 0, count: t)
        map.withUnsafeBufferPointer { src in
          out.withUnsafeMutableBufferPointer { dst in
            for row in 0..<t {
              let base = row * totalFrames + start
              var inside: Float = 0
              for j in 0..<f { inside += src[base + j] }
              var total: Float = 0
              for j in 0..<totalFrames { total += src[row * totalFrames + j] }
              pad[row] = total > 0 ? max(0, 1 - inside / total) : 0
              let scale: Float = inside > 0 ? 1 / inside : 0
              for j in 0..<f { dst[row * f + j] = src[base + j] * scale }
            }
          }
        }
        layerCropped.append(out)
        layerPadding.append(pad)
      }
      cropped.append(layerCropped)
      padding.append(layerPadding)
    }
    self.cross = cropped
    self.crossPadding = padding
    self.selfAttention = selfAttention
  }

  /// The raw probabilities of one head on the audio frames, `[T, F]`: the cropped map times
  /// the row's audio mass (rows not renormalised).
  public func rawCross(layer: Int, head: Int) -> [Float] {
    var out = cross[layer][head]
    let padding = crossPadding[layer][head]
    for row in 0..<count {
      let inside = 1 - padding[row]
      for j in 0..<frames { out[row * frames + j] *= inside }
    }
    return out
  }
}
