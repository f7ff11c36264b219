#if canImport(Glibc)
  import Glibc
#endif

/// The result of decoding one 30 s window at one temperature.
public struct WindowResult: Sendable {
  /// Sampled tokens after the prompt, without the final EOT.
  public var tokens: [Int]
  /// Log-probability of each token in `tokens` under the filtered distribution.
  public var tokenLogProbs: [Float]
  /// Σ log p over `tokens` and the final EOT (when one was produced).
  public var sumLogProb: Float
  /// `sumLogProb / (tokens.count + 1)`, faster-whisper's `avg_logprob`.
  public var avgLogProb: Float
  /// P(`<|nospeech|>`) at the SOT position (before any filter).
  public var noSpeechProb: Float
  public var temperature: Float
  public var compressionRatio: Float
  /// The text of `tokens` (special tokens skipped).
  public var text: String
}

/// Decodes one window from a prompt: greedy or beam search at temperature 0, best-of-N
/// sampling above (openai-whisper's `DecodingTask`, as faster-whisper runs it through
/// CTranslate2). The prompt is `[<|startofprev|> previous…] SOT-sequence [<|notimestamps|>]`.
public struct WindowDecoder {
  public let model: WhisperModel
  public let options: DecodingOptions
  let filters: LogitFilters
  /// Polled before each decoder step (every token of every hypothesis); when it returns
  /// true decoding stops early and the result is incomplete: the caller must discard it
  /// (the transcriber then reports cancellation).
  public var shouldStop: (() -> Bool)? = nil

  public init(model: WhisperModel, options: DecodingOptions) {
    self.model = model
    self.options = options
    self.filters = LogitFilters(
      tokenizer: model.tokenizer, options: options, configSuppressTokens: model.generation.suppressTokens)
  }

  /// A live hypothesis: sampled tokens, their log-probabilities and the decoder state.
  struct Hypothesis {
    var tokens: [Int] = []
    var logProbs: [Float] = []
    var sumLogProb: Float = 0
    var cache: WhisperDecoder.Cache
    /// Logits predicting the next token.
    var nextLogits: [Float]
    /// The hypothesis's slot in the beam search's `BeamCache` (`cache` is then unused).
    var slot = 0
  }

  public func decode(
    audio: WhisperDecoder.AudioContext, prompt: [Int], temperature: Float
  ) -> WindowResult {
    let decoder = model.decoder
    let sotIndex = prompt.lastIndex(of: model.tokenizer.sot) ?? 0
    var cache = WhisperDecoder.Cache(layers: model.dimensions.nTextLayer)
    let rows = prompt.count - sotIndex
    let promptLogits = decoder.forward(prompt, cache: &cache, audio: audio, logitRows: rows)
    let vocab = model.dimensions.nVocab
    let noSpeechProb = Self.probability(of: model.tokenizer.noSpeech, in: Array(promptLogits[0..<vocab]))
    let start = Hypothesis(cache: cache, nextLogits: Array(promptLogits[((rows - 1) * vocab)...]))
    // At most n_text_ctx / 2 new tokens per window (openai-whisper's sample_len; CTranslate2
    // applies max_length / 2 the same way), and never past the decoder context, which a
    // checkpoint may declare shorter than Whisper's 448.
    let maxLength = Self.maxLength(options, model)
    let budget = max(0, min(maxLength / 2, maxLength - prompt.count))

    let best: Hypothesis
    if temperature > 0 {
      var generator = SeededGenerator(seed: options.seed ^ UInt64(temperature.bitPattern))
      var candidates: [Hypothesis] = []
      for _ in 0..<options.bestOf {
        candidates.append(sample(from: start, audio: audio, budget: budget, temperature: temperature, using: &generator))
      }
      best = candidates.max { rank($0) < rank($1) }!
    } else if options.beamSize > 1 {
      best = beamSearch(from: start, audio: audio, budget: budget)
    } else {
      best = sample(from: start, audio: audio, budget: budget, temperature: 0, using: nil)
    }

    var tokens = best.tokens
    if tokens.last == model.tokenizer.eot { tokens.removeLast() }
    let text = model.tokenizer.decode(tokens)
    return WindowResult(
      tokens: tokens, tokenLogProbs: Array(best.logProbs.prefix(tokens.count)), sumLogProb: best.sumLogProb,
      avgLogProb: best.sumLogProb / Float(tokens.count + 1), noSpeechProb: noSpeechProb,
      temperature: temperature, compressionRatio: CompressionRatio.of(text), text: text)
  }

  /// Length-normalised score used to rank finished hypotheses (`sum / length^penalty`).
  /// The length excludes the final EOT (CTranslate2's normalisation, which faster-whisper
  /// inverts with `len(tokens)`); the sum includes EOT's log-probability.
  func rank(_ h: Hypothesis) -> Float {
    let length = Float(max(h.tokens.count - (h.tokens.last == model.tokenizer.eot ? 1 : 0), 1))
    return h.sumLogProb / powf(length, options.lengthPenalty)
  }

  /// Greedy (temperature 0) or ancestral sampling until EOT or the length budget.
  func sample(
    from start: Hypothesis, audio: WhisperDecoder.AudioContext, budget: Int, temperature: Float,
    using generator: UnsafeMutablePointer<SeededGenerator>?
  ) -> Hypothesis {
    var h = start
    var generator = generator?.pointee
    while h.tokens.count < budget {
      if let shouldStop, shouldStop() { break }
      let logProbs = filteredLogProbs(h.nextLogits, sampled: h.tokens)
      let token: Int
      if temperature > 0, var g = generator {
        token = Self.draw(logProbs, temperature: temperature, using: &g)
        generator = g
      } else {
        token = Self.argmax(logProbs)
      }
      h.tokens.append(token)
      h.logProbs.append(logProbs[token])
      h.sumLogProb += logProbs[token]
      if token == model.tokenizer.eot { break }
      h.nextLogits = model.decoder.forward([token], cache: &h.cache, audio: audio)
    }
    return h
  }

  func sample(
    from start: Hypothesis, audio: WhisperDecoder.AudioContext, budget: Int, temperature: Float,
    using generator: inout SeededGenerator
  ) -> Hypothesis {
    withUnsafeMutablePointer(to: &generator) {
      sample(from: start, audio: audio, budget: budget, temperature: temperature, using: $0)
    }
  }

  /// Beam search with patience as CTranslate2 runs it for faster-whisper
  /// (`BeamSearch::search`): each step ranks the top 2·beamSize continuations over all live
  /// beams by cumulative log-probability; an EOT among the first beamSize of them finishes
  /// that hypothesis, EOTs ranked lower are dropped, the other candidates refill the beams;
  /// decoding stops once `round(beamSize · patience)` hypotheses have finished, and the best
  /// by `sum log p / length^lengthPenalty` wins.
  func beamSearch(from start: Hypothesis, audio: WhisperDecoder.AudioContext, budget: Int) -> Hypothesis {
    let beamSize = options.beamSize
    let maxFinished = max(1, Int((Float(beamSize) * options.patience).rounded()))
    let eot = model.tokenizer.eot
    let vocab = model.dimensions.nVocab
    // Every live hypothesis in one slot of one cache, stepped together (WhisperDecoder.step).
    var cache = BeamCache(
      prefix: start.cache, slots: beamSize, capacity: start.cache.length + budget + 1,
      width: model.dimensions.nTextState)
    var first = start
    first.cache = WhisperDecoder.Cache(layers: 0)
    first.slot = 0
    var beams = [first]
    var finished: [Hypothesis] = []
    struct Candidate {
      let parent: Int
      let token: Int
      let logProb: Float
      let score: Float
    }
    for _ in 0..<budget {
      if let shouldStop, shouldStop() { break }
      var candidates: [Candidate] = []
      for (index, beam) in beams.enumerated() {
        let logProbs = filteredLogProbs(beam.nextLogits, sampled: beam.tokens)
        for token in Self.topK(logProbs, 2 * beamSize) {
          candidates.append(
            Candidate(parent: index, token: token, logProb: logProbs[token], score: beam.sumLogProb + logProbs[token]))
        }
      }
      candidates.sort { $0.score > $1.score }
      candidates = Array(candidates.prefix(2 * beamSize))
      var next: [Hypothesis] = []
      for (rank, candidate) in candidates.enumerated() {
        var h = beams[candidate.parent]
        h.tokens.append(candidate.token)
        h.logProbs.append(candidate.logProb)
        h.sumLogProb = candidate.score
        if candidate.token == eot {
          if rank < beamSize { finished.append(h) }
        } else if next.count < beamSize {
          next.append(h)
        }
      }
      if finished.count >= maxFinished || next.isEmpty { break }
      let slots = cache.assign(parents: next.map(\.slot))
      let logits = model.decoder.step(next.map { $0.tokens.last! }, slots: slots, cache: &cache, audio: audio)
      for i in next.indices {
        next[i].slot = slots[i]
        next[i].nextLogits = Array(logits[(i * vocab)..<((i + 1) * vocab)])
      }
      beams = next
    }
    if finished.isEmpty { finished = beams }
    return finished.max { rank($0) < rank($1) }!
  }

  /// The filtered logits of one hypothesis as log-probabilities (log-softmax); the filters
  /// hand back the log-normaliser they computed anyway, so the vocabulary is exponentiated once.
  func filteredLogProbs(_ logits: [Float], sampled: [Int]) -> [Float] {
    var values = logits
    values.withUnsafeMutableBufferPointer { buffer in
      let normaliser = filters.apply(buffer, sampled: sampled)
      for i in buffer.indices { buffer[i] -= normaliser }
    }
    return values
  }

  static func argmax(_ values: [Float]) -> Int {
    var best = 0
    var bestValue = -Float.infinity
    for (i, v) in values.enumerated() where v > bestValue {
      best = i
      bestValue = v
    }
    return best
  }

  static func topK(_ values: [Float], _ k: Int) -> [Int] {
    var top: [(Int, Float)] = []
    for (i, v) in values.enumerated() where v > -.infinity {
      if top.count < k {
        top.append((i, v))
        top.sort { $0.1 > $1.1 }
      } else if v > top[k - 1].1 {
        top[k - 1] = (i, v)
        top.sort { $0.1 > $1.1 }
      }
    }
    return top.map(\.0)
  }

  static func probability(of token: Int, in logits: [Float]) -> Float {
    logits.withUnsafeBufferPointer { expf($0[token] - Softmax.logSumExp($0.baseAddress!, count: $0.count)) }
  }

  /// Draws a token from `softmax(logProbs / temperature)`.
  static func draw(_ logProbs: [Float], temperature: Float, using generator: inout SeededGenerator) -> Int {
    var scaled = logProbs.map { $0 / temperature }
    let normaliser = scaled.withUnsafeBufferPointer { Softmax.logSumExp($0.baseAddress!, count: $0.count) }
    let u = Float(generator.nextUnit())
    var cumulative: Float = 0
    for i in scaled.indices {
      scaled[i] = expf(scaled[i] - normaliser)
      cumulative += scaled[i]
      if u < cumulative { return i }
    }
    return argmax(logProbs)
  }
}

/// SplitMix64: a small, seedable generator so that sampling (temperature fallback) and
/// every seeded method in leafx is reproducible.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [0, 1).
  public mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

extension WindowDecoder {
  /// The longest token sequence a window may reach: `options.maxLength` (448, Whisper's
  /// n_text_ctx), capped by the model's own decoder context. Positions past n_text_ctx have no
  /// positional embedding; a checkpoint with a shorter context (found by the bad-input suite,
  /// Tests/python/bad_inputs.py) made the decoder trap instead of stopping early.
  static func maxLength(_ options: DecodingOptions, _ model: WhisperModel) -> Int {
    min(options.maxLength, model.dimensions.nTextCtx)
  }
}
