import LeafXCore

// libFuzzer target: the input is a tokenizer.json. A tokenizer that loads must also encode,
// decode (ids in and out of range) and group words without trapping.

private let path = FuzzScratch.directory + "/tokenizer.json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  FuzzScratch.write(data, size, to: path)
  expectLeafXErrorOrSuccess {
    let tokenizer = try WhisperTokenizer(.huggingFaceJSON(path: path))
    let ids = tokenizer.encode("abc ab\u{0}ÿ é\n<|endoftext|>")
    _ = tokenizer.decode(ids + [-1, tokenizer.nVocab, tokenizer.eot, tokenizer.timestampBegin])
    _ = tokenizer.decodeWithTimestamps(ids + [tokenizer.timestampBegin + 3])
    _ = tokenizer.splitToWordTokens(ids + [tokenizer.eot], language: "en")
    _ = try? tokenizer.sotSequence(language: "en", task: .transcribe)
  }
  return 0
}
