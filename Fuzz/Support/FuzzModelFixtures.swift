/// Side files of the fuzzed model directories: fixed and valid, so that the fuzzer's bytes go
/// to the weight file alone. They match Fuzz/make_seeds.py's model (width 8, 2 heads, 1+1
/// layers, 2 mel bins, audio context 3, text context 4, vocabulary 12).
enum FuzzModelFixtures {
  /// CTranslate2 config.json.
  static let ct2Config = #"{"alignment_heads": [[0, 1]], "lang_ids": [11], "suppress_ids": [1, 2], "suppress_ids_begin": [3, 10]}"#

  /// CTranslate2 vocabulary.txt: ten letters, then the two specials the layout needs.
  static let ct2Vocabulary = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n<|endoftext|>\n<|de|>\n"

  /// Hugging Face config.json (WhisperConfig fields leafx reads).
  static let hfConfig = """
    {"num_mel_bins": 2, "max_source_positions": 3, "d_model": 8, "encoder_attention_heads": 2,
     "encoder_layers": 1, "vocab_size": 12, "max_target_positions": 4, "decoder_attention_heads": 2,
     "decoder_layers": 1, "suppress_tokens": [1, 2], "begin_suppress_tokens": [3, 10],
     "alignment_heads": [[0, 1]]}
    """

  /// Hugging Face tokenizer.json of the same twelve tokens.
  static let hfTokenizer = """
    {"added_tokens": [{"id": 10, "content": "<|endoftext|>", "special": true},
                      {"id": 11, "content": "<|de|>", "special": true}],
     "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4, "f": 5, "g": 6,
               "h": 7, "i": 8, "j": 9}, "merges": []}}
    """
}
