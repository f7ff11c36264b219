/// Scores a window's explained tokens with parts of its audio removed: the primitive shared
/// by the perturbation baselines (specmask, LIME, KernelSHAP) and the faithfulness metrics
/// (deletion, insertion, INF, SaCo) (docs/methods.md, "Baselines"; docs/metrics.md).
///
/// A mask keeps or removes each 20 ms audio frame of the window (`keep[j]`, `j < frames`);
/// removed frames are set, in the log-mel, to the value Whisper's front end gives digital
/// silence (`MaskedScoring.silenceValue`), both mel frames of the 20 ms frame. The decoder
/// input (prompt and written tokens) is held fixed (teacher forcing) and the score of
/// explained token k is `log p(y_k)` under the full softmax of its row.
protocol MaskedScorer: AnyObject {
  /// 20 ms audio frames of the window (the attribution grid).
  var frames: Int { get }
  /// Explained tokens of the window.
  var tokenCount: Int { get }
  /// `log p(y_k)` of every explained token with nothing removed, `[k]`.
  func unmaskedLogProbs() throws -> [Float]
  /// `log p(y_k)` per mask, `[mask][k]`; each mask has `frames` entries, true = keep.
  func logProbs(keeping masks: [[Bool]]) throws -> [[Float]]
}

enum MaskedScoring {
  /// The normalised log-mel value of digital silence in a recording whose loudest
  /// normalised value is `maximum`: the front end floors log10 power at
  /// `max(log10(1e-10), max − 8)` before `(x + 4) / 4`, so silence sits at
  /// `max(−1.5, maximum − 2)` after normalisation.
  static func silenceValue(maximum: Float) -> Float { max(-1.5, maximum - 2) }

  /// A copy of the `[n_mels, inputFrames]` window with the removed 20 ms frames set to
  /// `silence` (only the first `2·keep.count` mel frames are touched).
  static func masked(_ mel: [Float], nMels: Int, inputFrames: Int, keep: [Bool], silence: Float) -> [Float] {
    var out = mel
    out.withUnsafeMutableBufferPointer { m in
      for (j, kept) in keep.enumerated() where !kept {
        for frame in (2 * j)..<min(inputFrames, 2 * j + 2) {
          for bin in 0..<nMels { m[bin * inputFrames + frame] = silence }
        }
      }
    }
    return out
  }
}

/// leafx's own engine as a `MaskedScorer`: masks are encoded `batchSize` at a time
/// (`WhisperEncoder.encode(batch:)`, one sgemm per linear layer for the whole batch), then
/// each is scored by one teacher-forced decoder pass (the decoder is a few percent of the
/// cost: ~30 rows against the encoder's 1500, see `leafx bench-masking`).
final class EngineMaskedScorer: MaskedScorer {
  let model: WhisperModel
  let input: [Int]
  let rows: [Int]
  let targets: [Int]
  /// The window's encoder input `[n_mels, inputFrames]`.
  let melWindow: [Float]
  let frames: Int
  let silence: Float
  /// Masked windows encoded together; 1 scores mask by mask.
  var batchSize: Int
  /// Polled before each batch (a few encoder passes), so that an abort stops specmask, lime,
  /// kernelshap or `--verify` within one batch rather than after all their masks.
  var beforeEachBatch: () throws -> Void = {}

  init(
    model: WhisperModel, input: [Int], rows: [Int], targets: [Int], melWindow: [Float], frames: Int, silence: Float,
    batchSize: Int? = nil
  ) {
    self.model = model
    self.input = input
    self.rows = rows
    self.targets = targets
    self.melWindow = melWindow
    self.frames = frames
    self.silence = silence
    self.batchSize = batchSize ?? Self.defaultBatchSize(model.dimensions)
  }

  /// At most 4 windows, and at most ~512 MB of encoder activations (about 10 floats of
  /// width d per row and window are alive at once: residual, norm, q, k, v, mixed, 4d MLP).
  /// Measured with `leafx bench-masking` (tiny.en, JFK, 2 cores shared with ~20 other jobs):
  /// CPU time per mask is unchanged by batching (ratios 0.99–1.00 at B = 2 and 4, 1.06 at
  /// B = 8, whose activations outgrow the caches), wall time 5–19 % lower (fewer sgemm calls,
  /// so fewer thread hand-offs on a loaded machine); M = 1500 rows already keep sgemm busy.
  static func defaultBatchSize(_ dimensions: WhisperDimensions) -> Int {
    let bytesPerWindow = 10 * dimensions.nAudioCtx * dimensions.nAudioState * MemoryLayout<Float>.size
    return max(1, min(4, (512 << 20) / max(1, bytesPerWindow)))
  }

  var tokenCount: Int { targets.count }

  private var unmasked: [Float]?

  func unmaskedLogProbs() throws -> [Float] {
    if let unmasked { return unmasked }
    let out = try logProbs(keeping: [[Bool](repeating: true, count: frames)])[0]
    unmasked = out
    return out
  }

  func logProbs(keeping masks: [[Bool]]) throws -> [[Float]] {
    let nMels = model.dimensions.nMels
    let inputFrames = model.encoder.inputFrames
    if let bad = masks.first(where: { $0.count != frames }) {
      throw LeafXError.internal("mask of \(bad.count) frames for a window of \(frames)")
    }
    var out: [[Float]] = []
    out.reserveCapacity(masks.count)
    for start in stride(from: 0, to: masks.count, by: max(1, batchSize)) {
      try beforeEachBatch()
      let chunk = masks[start..<min(masks.count, start + max(1, batchSize))]
      let mels = chunk.map { MaskedScoring.masked(melWindow, nMels: nMels, inputFrames: inputFrames, keep: $0, silence: silence) }
      for encoded in model.encoder.encode(batch: mels) {
        out.append(scores(model.decoder.audioContext(encoded)))
      }
    }
    return out
  }

  /// `log p(y_k)` of the explained tokens given a window's cross keys and values; logits
  /// only from the first explained row on.
  func scores(_ audio: WhisperDecoder.AudioContext) -> [Float] {
    guard let first = rows.min() else { return [] }
    var cache = WhisperDecoder.Cache(layers: model.dimensions.nTextLayer)
    let logitRows = input.count - first
    let logits = model.decoder.forward(input, cache: &cache, audio: audio, logitRows: logitRows)
    let vocab = model.dimensions.nVocab
    return logits.withUnsafeBufferPointer { z in
      zip(rows, targets).map { row, token in
        let start = z.baseAddress! + (row - first) * vocab
        return start[token] - Softmax.logSumExp(start, count: vocab)
      }
    }
  }
}
