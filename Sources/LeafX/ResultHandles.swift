import CLeafXABI
import LeafXCore

/// `leafx_model`: a loaded model and its name as a C string.
final class ModelHandle: Sendable {
  let model: WhisperModel
  let name: PinnedCString

  init(_ model: WhisperModel) {
    self.model = model
    self.name = PinnedCString(model.name)
  }
}

/// `leafx_result`: a transcript with every string the accessors lend pinned, and the
/// segment and token views C reads.
final class ResultHandle: @unchecked Sendable {  // immutable after init
  let transcript: Transcript
  let model: WhisperModel
  let text: PinnedCString
  let language: PinnedCString
  private let strings: [PinnedCString]
  let segments: [leafx_segment]
  let tokens: [leafx_token]

  init(_ transcript: Transcript, model: WhisperModel) {
    self.transcript = transcript
    self.model = model
    text = PinnedCString(transcript.text)
    language = PinnedCString(transcript.language)
    var strings: [PinnedCString] = []
    var segments: [leafx_segment] = []
    var tokens: [leafx_token] = []
    let tokenizer = model.tokenizer
    for (index, segment) in transcript.segments.enumerated() {
      let segmentText = PinnedCString(segment.text)
      strings.append(segmentText)
      let first = tokens.count
      for (id, probability) in zip(segment.tokens, segment.tokenProbabilities) where !tokenizer.isSpecial(id) {
        let tokenText = PinnedCString(tokenizer.tokenText(id))
        strings.append(tokenText)
        tokens.append(
          leafx_token(
            struct_size: MemoryLayout<leafx_token>.size, id: Int32(id), text: UnsafePointer(tokenText.pointer),
            probability: probability, i_segment: index))
      }
      segments.append(
        leafx_segment(
          struct_size: MemoryLayout<leafx_segment>.size, start_s: segment.start, end_s: segment.end,
          text: UnsafePointer(segmentText.pointer), i_first_token: first, n_tokens: tokens.count - first,
          avg_logprob: segment.avgLogProb, no_speech_prob: segment.noSpeechProb, temperature: segment.temperature,
          compression_ratio: segment.compressionRatio))
    }
    self.strings = strings
    self.segments = segments
    self.tokens = tokens
  }
}
