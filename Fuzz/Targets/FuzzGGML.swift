import LeafXCore

// libFuzzer target: the input is a whisper.cpp ggml file, loaded as leafx_model_load does
// (reader with its mel filters and token table, checkpoint validation, tokenizer, model).

private let modelPath = FuzzScratch.directory + "/model-ggml.bin"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  FuzzScratch.write(data, size, to: modelPath)
  expectLeafXErrorOrSuccess { _ = try WhisperModel.load(path: modelPath, format: .ggml) }
  return 0
}
