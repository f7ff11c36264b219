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
  /// `sampled` (tokens after the prompt).
  public func apply(_ logits: UnsafeMutableBufferPointer<Float>, sampled: [Int]) {
    if sampled.isEmpty {
      for token in suppressedAtBegin where token < logits.count { logits[token] = -.infinity }
    }
    for token in suppressed { logits[token] = -.infinity }
    if withTimestamps { applyTimestampRules(logits, sampled: sampled) }
  }

  func applyTimestampRules(_ logits: UnsafeMutableBufferPointer<Float>, sampled: [Int]) {
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
    let total = Softmax.logSumExp(UnsafePointer(logits.baseAddress!), count: n)
    let timestampLogProb =
      Softmax.logSumExp(UnsafePointer(logits.baseAddress! + timestampBegin), count: n - timestampBegin) - total
    var maxText = -Float.infinity
    for t in 0..<timestampBegin { maxText = max(maxText, logits[t]) }
    if timestampLogProb > maxText - total {
      for t in 0..<timestampBegin { logits[t] = -.infinity }
    }
  }
}
