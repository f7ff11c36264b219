import ArgumentParser
import LeafXCore

#if canImport(Glibc)
  import Glibc
#endif

@main
struct LeafXCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "leafx",
    abstract: "Explain what a Whisper speech recogniser heard: token-to-time attributions.",
    discussion: """
      leafx runs Whisper and tells, for every token it writes, which 20 ms frames of the \
      recording made it write that token.

      Examples:
        leafx features data/jfk.wav -o jfk.npy
      """,
    version: LeafXVersion.string,
    subcommands: [
      TranscribeCommand.self, ExplainCommand.self, BenchCommand.self, DiagnoseCommand.self, FeaturesCommand.self,
      InfoCommand.self, BenchMaskingCommand.self,
    ])

  /// Prints core errors as "leafx: message" with a non-zero status, not as a usage error.
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let error as LeafXError {
      printError("leafx: \(error.description)")
      Glibc.exit(1)
    } catch {
      exit(withError: error)
    }
  }
}
