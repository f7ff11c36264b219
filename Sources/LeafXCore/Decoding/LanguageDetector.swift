/// Spoken-language identification as Whisper does it: one decoder step from
/// `<|startoftranscript|>` over an encoded window; the language is the most probable
/// language token, its probability the softmax over language tokens only.
public struct LanguageDetector {
  public let model: WhisperModel

  public init(model: WhisperModel) { self.model = model }

  /// Language probabilities, most probable first.
  public func probabilities(encoded: [Float]) -> [(code: String, probability: Float)] {
    let tokenizer = model.tokenizer
    var cache = WhisperDecoder.Cache(layers: model.dimensions.nTextLayer)
    let audio = model.decoder.audioContext(encoded)
    let logits = model.decoder.forward([tokenizer.sot], cache: &cache, audio: audio)
    let languageTokens = tokenizer.allLanguageTokens
    let values = languageTokens.map { logits[$0] }
    let peak = values.max() ?? 0
    let exps = values.map { expf($0 - peak) }
    let total = exps.reduce(0, +)
    return zip(tokenizer.allLanguageCodes, exps).map { ($0, $1 / total) }.sorted { $0.probability > $1.probability }
  }

  public func detect(encoded: [Float]) -> (String, Float) {
    let best = probabilities(encoded: encoded).first ?? ("en", 1)
    return (best.code, best.probability)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
