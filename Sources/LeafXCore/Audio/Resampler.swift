import CSoxr

/// Streaming sample-rate conversion of mono float audio with libsoxr at high quality
/// (`SOXR_HQ`: 20-bit precision, 91 % bandwidth, linear phase), the quality ffmpeg's
/// soxr resampler and faster-whisper's PyAV path are commonly configured with.
///
/// Feed chunks with `process(_:)`, then call `finish()` once to drain the filter's delay
/// line. The total output length is `round(n_in * outputRate / inputRate)`.
final class Resampler {
  private let handle: soxr_t
  let inputRate: Int
  let outputRate: Int

  init(inputRate: Int, outputRate: Int) throws {
    self.inputRate = inputRate
    self.outputRate = outputRate
    var ioSpec = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
    var qualitySpec = soxr_quality_spec(UInt(SOXR_HQ), 0)
    var error: soxr_error_t? = nil
    guard
      let created = soxr_create(
        Double(inputRate), Double(outputRate), 1, &error, &ioSpec, &qualitySpec, nil),
      error == nil
    else {
      let reason = error.map { String(cString: $0) } ?? "unknown"
      throw LeafXError.internal("soxr_create(\(inputRate) -> \(outputRate) Hz) failed: \(reason)")
    }
    handle = created
  }

  deinit { soxr_delete(handle) }

  /// Converts one chunk, appending the produced samples to `output`.
  func process(_ input: UnsafeBufferPointer<Float>, into output: inout [Float]) throws {
    try run(input.baseAddress, count: input.count, into: &output)
  }

  /// Drains the delay line (soxr's end-of-input signal), appending the tail to `output`.
  func finish(into output: inout [Float]) throws {
    try run(nil, count: 0, into: &output)
  }

  private func run(_ input: UnsafePointer<Float>?, count: Int, into output: inout [Float]) throws {
    // Upper bound of what soxr can emit for `count` inputs, plus the flushed delay line.
    let capacity = Int((Double(count) * Double(outputRate) / Double(inputRate)).rounded(.up)) + 4096
    var scratch = [Float](repeating: 0, count: capacity)
    var consumed = 0
    repeat {
      var inputDone = 0
      var outputDone = 0
      let error = scratch.withUnsafeMutableBufferPointer { out -> soxr_error_t? in
        let start = input.map { UnsafeRawPointer($0 + consumed) }
        return soxr_process(
          handle, start, count - consumed, &inputDone, out.baseAddress, out.count, &outputDone)
      }
      if let error {
        throw LeafXError.internal("soxr_process failed: \(String(cString: error))")
      }
      consumed += inputDone
      output.append(contentsOf: scratch[0..<outputDone])
      // At end of input soxr keeps emitting until its delay line is empty.
      if input == nil && outputDone == 0 { break }
      if input != nil && consumed >= count { break }
    } while true
  }
}
