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
      recording made it write that token. Outputs name the audio and model files by their \
      file names; --full-paths writes absolute paths. More in docs/cli.md.

      Examples:
        leafx explain audio.wav --format html -o report.html

      EXIT STATUS: 0 on success (and for --help, --version); 1 when the work fails (a file \
      cannot be read or written, a model, audio file or manifest is malformed, an internal \
      error); 64 when the command line is wrong (an unknown option or subcommand, a missing \
      argument, a value that is malformed, out of range or does not fit the model). Killed \
      by a signal, the shell reports 128 + its number: 130 after Ctrl-C, 141 when the reader \
      of a pipe goes away.
      """,
    version: LeafXVersion.string,
    subcommands: [
      TranscribeCommand.self, ExplainCommand.self, BenchCommand.self, DiagnoseCommand.self, FeaturesCommand.self,
      InfoCommand.self, BenchMaskingCommand.self, ModelsCommand.self,
    ])

  /// Prints core errors as "leafx: message" and exits with `ExitStatus.failure`, or with
  /// `ExitStatus.usage` when the error names a command-line option (as the parser's own
  /// usage errors do).
  static func main() {
    let parsed: ParsableCommand
    do {
      parsed = try parseAsRoot()
    } catch {
      exit(withError: error)
    }
    do {
      var command = parsed
      try command.run()
    } catch let error as LeafXError {
      printError("leafx: \(error.description)")
      if ExitStatus.of(error) == ExitStatus.usage {
        printError("See 'leafx \(type(of: parsed).configuration.commandName ?? "") --help'.")
      }
      Glibc.exit(ExitStatus.of(error))
    } catch {
      // The parser's own errors (help requests included), and any other error with status 1.
      exit(withError: error)
    }
  }
}

/// The statuses `leafx` exits with (listed in `leafx --help` and docs/cli.md). A process
/// killed by a signal (Ctrl-C, a closed pipe) has no status of its own; shells report
/// 128 + the signal's number.
enum ExitStatus {
  /// Done (also `--help` and `--version`).
  static let success: Int32 = 0
  /// The work failed: a file could not be read or written, its contents are malformed, or
  /// leafx hit an internal error.
  static let failure: Int32 = 1
  /// The command line is wrong (BSD's EX_USAGE, argument-parser's status for its own
  /// parsing errors): also a value leafx itself checks, reported under the option's name.
  static let usage: Int32 = 64

  /// `usage` for an `invalidArgument` naming a command-line option ("--tau"), else `failure`.
  static func of(_ error: LeafXError) -> Int32 {
    if case .invalidArgument(let argument, _) = error, argument.hasPrefix("-") { return usage }
    return failure
  }
}

/// Runs `body`, renaming the core's `invalidArgument` errors after the command-line options
/// they came from (`options`: the core's name → the option, e.g. "beamSize" → "--beam"), so
/// that the message names what the user typed and the exit status is `ExitStatus.usage`.
func namingOptions<T>(_ options: [String: String], _ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch LeafXError.invalidArgument(let argument, let reason) where options[argument] != nil {
    throw LeafXError.invalidArgument(argument: options[argument]!, reason: reason)
  }
}

extension OutputPaths {
  /// `--full-paths` given or not.
  init(full: Bool) { self = full ? .full : .names }
}
