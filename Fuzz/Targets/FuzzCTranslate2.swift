import LeafXCore

// libFuzzer target: the input is a CTranslate2 model.bin, loaded as leafx_model_load does
// (reader, checkpoint validation, tokenizer, model) beside a fixed config.json and
// vocabulary.txt. Success or a LeafXError; anything else is a finding.

private let modelDirectory: String = {
  let directory = FuzzScratch.subdirectory("ct2")
  FuzzScratch.write(FuzzModelFixtures.ct2Config, to: directory + "/config.json")
  FuzzScratch.write(FuzzModelFixtures.ct2Vocabulary, to: directory + "/vocabulary.txt")
  return directory
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCTranslate2(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  FuzzScratch.write(data, size, to: modelDirectory + "/model.bin")
  expectLeafXErrorOrSuccess { _ = try WhisperModel.load(path: modelDirectory, format: .ctranslate2) }
  return 0
}
