/// Scores a window's explained tokens with parts of its audio removed: the primitive shared
/// by the perturbation baselines (specmask, LIME, KernelSHAP) and the faithfulness metrics
/// (deletion, insertion, INF, SaCo) (DESIGN §7–8).
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

/// leafx's own engine as a `MaskedScorer`: one encoder pass and one teacher-forced decoder
/// pass per mask.
final class EngineMaskedScorer: MaskedScorer {
  let model: WhisperModel
  let input: [Int]
  let rows: [Int]
  let targets: [Int]
  /// The window's encoder input `[n_mels, inputFrames]`.
  let melWindow: [Float]
  let frames: Int
  let silence: Float

  init(model: WhisperModel, input: [Int], rows: [Int], targets: [Int], melWindow: [Float], frames: Int, silence: Float) {
    self.model = model
    self.input = input
    self.rows = rows
    self.targets = targets
    self.melWindow = melWindow
    self.frames = frames
    self.silence = silence
  }

  var tokenCount: Int { targets.count }

  func unmaskedLogProbs() throws -> [Float] {
    try logProbs(keeping: [[Bool](repeating: true, count: frames)])[0]
  }

  func logProbs(keeping masks: [[Bool]]) throws -> [[Float]] {
    let nMels = model.dimensions.nMels
    let inputFrames = model.encoder.inputFrames
    return try masks.map { keep in
      guard keep.count == frames else {
        throw LeafXError.internal("mask of \(keep.count) frames for a window of \(frames)")
      }
      let mel = MaskedScoring.masked(melWindow, nMels: nMels, inputFrames: inputFrames, keep: keep, silence: silence)
      let audio = model.decoder.audioContext(model.encoder.encode(mel))
      return scores(audio)
    }
  }

  /// `log p(y_k)` of the explained tokens given a window's cross keys and values.
  func scores(_ audio: WhisperDecoder.AudioContext) -> [Float] {
    var cache = WhisperDecoder.Cache(layers: model.dimensions.nTextLayer)
    let logits = model.decoder.forward(input, cache: &cache, audio: audio, logitRows: input.count)
    let vocab = model.dimensions.nVocab
    return logits.withUnsafeBufferPointer { z in
      zip(rows, targets).map { row, token in
        let start = z.baseAddress! + row * vocab
        return start[token] - Softmax.logSumExp(start, count: vocab)
      }
    }
  }
}
