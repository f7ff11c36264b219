#if canImport(Glibc)
  import Glibc
#endif

/// The logit filters Whisper applies before choosing each token (openai-whisper's
/// `SuppressBlank`, `SuppressTokens`, `ApplyTimestampRules`; CTranslate2 applies the same):
///
/// 1. at the first sampled position, a blank (" ") and EOT are impossible;
/// 2. the suppressed set (non-speech symbols and the task/SOT specials) is impossible;
/// 3. with timestamps: `<|notimestamps|>` is impossible; timestamps come in pairs (after a
///    lone timestamp only text or another timestamp … see `applyTimestampRules`), never
///    decrease, the first token is a timestamp no later than `maxInitialTimestamp`, and when
///    the total probability of all timestamps beats every text token, a timestamp is forced.
///
/// Disallowed entries are set to −∞; the arrays are `[n_vocab]` logits of one hypothesis.
public struct LogitFilters: Sendable {
  public let eot: Int
  public let noTimestamps: Int
  public let timestampBegin: Int
  public let nVocab: Int
  /// Tokens impossible at every step.
  public let suppressed: [Int]
  /// Tokens impossible at the first sampled step (blank and EOT), when enabled.
  public let suppressedAtBegin: [Int]
  public let withTimestamps: Bool
  /// Index (in 0.02 s steps) of the latest allowed first timestamp, or nil for no limit.
  public let maxInitialTimestampIndex: Int?

  public init(
    tokenizer: WhisperTokenizer, options: DecodingOptions, configSuppressTokens: [Int]?
  ) {
    eot = tokenizer.eot
    noTimestamps = tokenizer.noTimestamps
    timestampBegin = tokenizer.timestampBegin
    nVocab = tokenizer.nVocab
    withTimestamps = !options.withoutTimestamps
    maxInitialTimestampIndex = Int((options.maxInitialTimestamp / 0.02).rounded())
    // faster-whisper's get_suppressed_tokens: -1 expands to the non-speech symbols; the
    // task and SOT-family specials are always suppressed.
    var set = Set(options.suppressTokens.filter { $0 >= 0 })
    if options.suppressTokens.contains(-1) {
      set.formUnion(configSuppressTokens ?? tokenizer.nonSpeechTokens)
    }
    set.formUnion([
      tokenizer.transcribe, tokenizer.translate, tokenizer.sot, tokenizer.startOfPrev,
      tokenizer.startOfLM, tokenizer.noSpeech,
    ])
    suppressed = set.filter { $0 >= 0 && $0 < tokenizer.nVocab }.sorted()
    suppressedAtBegin = options.suppressBlank ? tokenizer.encode(" ") + [tokenizer.eot] : []
  }

  /// Applies every filter to `logits` of a hypothesis whose sampled tokens so far are
  /// `sampled` (tokens after the prompt), and returns `log Σ exp` of the filtered logits (the
  /// log-softmax normaliser).
  @discardableResult
  public func apply(_ logits: UnsafeMutableBufferPointer<Float>, sampled: [Int]) -> Float {
    if sampled.isEmpty {
      for token in suppressedAtBegin where token < logits.count { logits[token] = -.infinity }
    }
    for token in suppressed { logits[token] = -.infinity }
    if withTimestamps { return applyTimestampRules(logits, sampled: sampled) }
    return Softmax.logSumExp(UnsafePointer(logits.baseAddress!), count: logits.count)
  }

  /// The timestamp rules; returns `log Σ exp` of the filtered logits.
  func applyTimestampRules(_ logits: UnsafeMutableBufferPointer<Float>, sampled: [Int]) -> Float {
    let n = logits.count
    logits[noTimestamps] = -.infinity
    let lastWasTimestamp = sampled.count >= 1 && sampled[sampled.count - 1] >= timestampBegin
    let penultimateWasTimestamp = sampled.count < 2 || sampled[sampled.count - 2] >= timestampBegin
    if lastWasTimestamp {
      if penultimateWasTimestamp {
        // A pair is complete: the next token must be text (or EOT).
        for t in timestampBegin..<n { logits[t] = -.infinity }
      } else {
        // A lone timestamp: the next one closes the pair, or EOT follows.
        for t in 0..<eot { logits[t] = -.infinity }
      }
    }
    if let lastTimestamp = sampled.last(where: { $0 >= timestampBegin }) {
      // Timestamps never decrease; after a closing timestamp they strictly increase.
      let bound = lastWasTimestamp && !penultimateWasTimestamp ? lastTimestamp : lastTimestamp + 1
      for t in timestampBegin..<min(bound, n) { logits[t] = -.infinity }
    }
    if sampled.isEmpty {
      // The first token is a timestamp, and not too late.
      for t in 0..<timestampBegin { logits[t] = -.infinity }
      if let maxInitialTimestampIndex {
        let lastAllowed = timestampBegin + maxInitialTimestampIndex
        if lastAllowed + 1 < n { for t in (lastAllowed + 1)..<n { logits[t] = -.infinity } }
      }
    }
    // If all timestamps together are more probable than any single text token, force one.
    // One pass of exp over the vocabulary gives the text and timestamp sums, from which the
    // total, the timestamps' share and the normaliser after forcing all follow.
    let base = UnsafePointer(logits.baseAddress!)
    let textPeak = Softmax.maximum(base, count: timestampBegin)
    let timestampPeak = Softmax.maximum(base + timestampBegin, count: n - timestampBegin)
    let textSum = Softmax.sumOfExp(base, count: timestampBegin, shift: textPeak)
    let timestampSum = Softmax.sumOfExp(base + timestampBegin, count: n - timestampBegin, shift: timestampPeak)
    let timestampLSE = timestampPeak == -.infinity ? -Float.infinity : timestampPeak + Float(log(timestampSum))
    let total = Softmax.logAddExp(textPeak, textSum, timestampPeak, timestampSum)
    if timestampLSE - total > textPeak - total {
      for t in 0..<timestampBegin { logits[t] = -.infinity }
      return timestampLSE
    }
    return total
  }
}
