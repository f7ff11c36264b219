/// One sampled token's perturbation scores under one method: a line of `leafx bench
/// --token-results`, so that a mean over utterances can be traced back to the tokens that make
/// it (which kinds of token no frame ordering can delete, for instance; bench/token_kinds.py).
public struct TokenResult: Sendable, Codable, Equatable {
  /// As `UtteranceResult.config`.
  public var config: String
  public var id: String
  public var method: String
  /// Position among the utterance's explained tokens.
  public var token: Int
  /// The token's text as decoded (a leading space starts a word).
  public var text: String
  /// `log p_0`: the token's log-probability with no frame removed (teacher forcing).
  public var logProbability: Double
  /// `p_r / p_0` for r = 10, 20, …, 50 % of the frames removed (Deletion.percents), when the
  /// deletion metric was asked for.
  public var deletionCurve: [Double]?
  public var dAOPC: Double?
  public var aopc: Double?
  public var insertionAUC: Double?
  public var saco: Double?
}
