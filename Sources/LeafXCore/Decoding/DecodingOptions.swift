/// Options of one decoding pass and of long-form transcription, named and defaulted as
/// faster-whisper's `transcribe()` (which follows openai-whisper's `DecodingOptions`).
public struct DecodingOptions: Sendable, Equatable {
  public var task: WhisperTask = .transcribe
  /// Language code ("en", "de", …); nil detects it on the first window (multilingual models).
  public var language: String? = nil
  /// Beam width at temperature 0; 1 is greedy search.
  public var beamSize: Int = 5
  /// Beam search patience (arXiv:2204.05424): stop after beamSize·patience finished hypotheses.
  public var patience: Float = 1
  /// Candidates sampled at each temperature > 0; the most probable is kept.
  public var bestOf: Int = 5
  /// Exponent of the length normalisation of beam scores (1 = divide by length).
  public var lengthPenalty: Float = 1
  /// Temperatures tried in order until a result passes the thresholds below.
  public var temperatures: [Float] = [0, 0.2, 0.4, 0.6, 0.8, 1.0]
  /// Fallback when gzip compression ratio of the text exceeds this (too repetitive).
  public var compressionRatioThreshold: Float? = 2.4
  /// Fallback when the average log-probability falls below this.
  public var logProbThreshold: Float? = -1
  /// A window is silent when P(no speech) exceeds this and the log-probability is low.
  public var noSpeechThreshold: Float? = 0.6
  /// Feed the previous window's text as a prompt (`<|startofprev|>` …).
  public var conditionOnPreviousText: Bool = true
  /// Stop conditioning after a window decoded above this temperature.
  public var promptResetOnTemperature: Float = 0.5
  /// Suppress a blank (space) or EOT as the first sampled token.
  public var suppressBlank: Bool = true
  /// Token ids never sampled; -1 stands for the model's non-speech symbol set.
  public var suppressTokens: [Int] = [-1]
  /// Decode text only (`<|notimestamps|>`); otherwise timestamp tokens delimit segments.
  public var withoutTimestamps: Bool = false
  /// Latest allowed first timestamp, in seconds.
  public var maxInitialTimestamp: Float = 1.0
  /// Maximum tokens in the decoder context (prompt + generated).
  public var maxLength: Int = 448
  /// Text to prime the first window with (as openai-whisper's `initial_prompt`).
  public var initialPrompt: String? = nil
  /// Seed of the sampler used at temperatures > 0 (results are reproducible).
  public var seed: UInt64 = 0

  public init() {}

  /// Throws `invalidArgument` naming the first option out of range by its property name (the
  /// front ends translate it into their own: a C field, a command-line option).
  public func validate() throws {
    func fail(_ name: String, _ reason: String) -> LeafXError {
      LeafXError.invalidArgument(argument: name, reason: reason)
    }
    guard (1...64).contains(beamSize) else { throw fail("beamSize", "\(beamSize) is outside 1...64") }
    guard (1...64).contains(bestOf) else { throw fail("bestOf", "\(bestOf) is outside 1...64") }
    guard patience.isFinite, patience > 0, patience <= 16 else { throw fail("patience", "\(patience) is outside (0, 16]") }
    guard lengthPenalty.isFinite, lengthPenalty >= 0 else { throw fail("lengthPenalty", "\(lengthPenalty) must be ≥ 0") }
    guard !temperatures.isEmpty, temperatures.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 10 }) else {
      throw fail("temperatures", "\(temperatures) must be a non-empty list of values in [0, 10]")
    }
    guard (2...448).contains(maxLength) else { throw fail("maxLength", "\(maxLength) is outside 2...448") }
    guard maxInitialTimestamp.isFinite, maxInitialTimestamp >= 0 else {
      throw fail("maxInitialTimestamp", "\(maxInitialTimestamp) must be ≥ 0")
    }
  }
}
