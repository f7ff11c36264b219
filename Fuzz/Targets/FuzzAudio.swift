import LeafXCore

// libFuzzer target: the input is an audio file of any container libsndfile reads, decoded,
// downmixed and resampled to 16 kHz as leafx_audio_load does, then turned into a log-mel.

private let path = FuzzScratch.directory + "/input.audio"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAudio(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  FuzzScratch.write(data, size, to: path)
  expectLeafXErrorOrSuccess {
    let audio = try AudioDecoder.load(path: path)
    _ = try audio.samples.withUnsafeBufferPointer { try LogMel.compute($0) }
  }
  return 0
}
