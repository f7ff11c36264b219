import LeafXCore

// libFuzzer target: the input is a model.safetensors (u64 header length, JSON header, data),
// loaded as leafx_model_load does beside a fixed config.json and tokenizer.json.

private let modelDirectory: String = {
  let directory = FuzzScratch.subdirectory("hf")
  FuzzScratch.write(FuzzModelFixtures.hfConfig, to: directory + "/config.json")
  FuzzScratch.write(FuzzModelFixtures.hfTokenizer, to: directory + "/tokenizer.json")
  return directory
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  FuzzScratch.write(data, size, to: modelDirectory + "/model.safetensors")
  expectLeafXErrorOrSuccess { _ = try WhisperModel.load(path: modelDirectory, format: .safetensors) }
  return 0
}
