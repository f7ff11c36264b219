/// Runs one attribution method over a window's attention trace: returns, per explained row,
/// a non-negative (unnormalised) map over the window's audio frames.
struct MethodRunner {
  let model: WhisperModel
  let options: ExplainOptions

  /// - Parameters:
  ///   - rows: the decoder rows that predicted the explained tokens.
  ///   - targets: the explained token ids (`input[row + 1]`).
  func attributions(
    trace: AttentionTrace, rows: [Int], targets: [Int], audio: WhisperDecoder.AudioContext, windowSeek: Int
  ) throws -> [[Float]] {
    let layers = options.depth.layers(of: trace.layers)
    switch options.method {
    case .raa:
      return rows.map { RawAttention.attribution(trace, row: $0, layers: (trace.layers - 1)..<trace.layers) }
    case .raaMean:
      return rows.map { RawAttention.attribution(trace, row: $0, layers: 0..<trace.layers) }
    case .rollout:
      return AttentionRollout.attributions(trace, rows: rows, layers: layers)
    case .leafxPaper, .leafx:
      return LeafXPaper.attributions(trace, rows: rows, layers: layers, options: options)
    case .random:
      return RandomAttribution.attributions(rows: rows, frames: trace.frames, seed: options.seed, windowSeek: windowSeek)
    case .gradRollout, .leafxPaperGrad, .leafxGrad, .leafxPaperCausal, .leafxCausal:
      throw LeafXError.unsupported("method \(options.method.rawValue) needs the decoder backward pass, not built yet")
    }
  }
}
