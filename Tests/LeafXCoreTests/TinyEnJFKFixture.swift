@testable import LeafXCore

/// tiny.en and the JFK sample (`data/jfk.wav`), loaded once per test process for the suites that
/// explain real speech (ExplainTests, PerturbationEngineTests, StreamingTests); a failed load is kept and
/// rethrown by every test that asks for it. `WhisperModel` is immutable, so suites may share it.
enum TinyEnJFKFixture {
  static let loaded: Result<(WhisperModel, [Float]), any Error> = Result {
    let model = try WhisperModel.load(path: try FormatsFixtures.modelDirectory("tiny.en"))
    let audio = try AudioDecoder.load(path: FormatsFixtures.sourceRoot + "/data/jfk.wav")
    return (model, audio.samples)
  }
}
