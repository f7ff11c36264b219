/// The LEAF-XBench metrics (definitions and conventions in docs/metrics.md), by
/// their command-line and results-file names.
public enum BenchMetric: String, Sendable, CaseIterable, Codable {
  case dAOPC = "d-aopc"
  case aopc
  case insertion
  case tloc
  case pointing
  case massInSpan = "mass-in-span"
  /// Word timing: 1 when the centre of the half-mass span lies inside the aligned word.
  case midpoint = "midpoint-in-word"
  case spr
  case stabNoise = "stab-noise"
  case stabShift = "stab-shift"
  case inf
  case saco

  /// What computes the metric: metrics of one group come from the same passes.
  public enum Group: String, Sendable, CaseIterable, Codable {
    case deletion, insertion, localization, spr, stab, inf, saco
  }

  public var group: Group {
    switch self {
    case .dAOPC, .aopc: return .deletion
    case .insertion: return .insertion
    case .tloc, .pointing, .massInSpan, .midpoint: return .localization
    case .spr: return .spr
    case .stabNoise, .stabShift: return .stab
    case .inf: return .inf
    case .saco: return .saco
    }
  }

  /// False for D-AOPC and INF, where lower is better.
  public var higherIsBetter: Bool { self != .dAOPC && self != .inf }

  /// Column title with its direction.
  public var title: String {
    let name: String
    switch self {
    case .dAOPC: name = "D-AOPC"
    case .aopc: name = "AOPC"
    case .insertion: name = "Ins-AUC"
    case .tloc: name = "TLoc"
    case .pointing: name = "Pointing"
    case .massInSpan: name = "Mass"
    case .midpoint: name = "Midpoint"
    case .spr: name = "SPR"
    case .stabNoise: name = "STAB-noise"
    case .stabShift: name = "STAB-shift"
    case .inf: name = "INF"
    case .saco: name = "SaCo"
    }
    return name + (higherIsBetter ? " ↑" : " ↓")
  }

  /// True when the metric runs encoder passes on masked audio (evaluated on the sampled
  /// tokens, `--tokens`).
  public var isPerturbation: Bool { [.deletion, .insertion, .saco].contains(group) }

  /// Metric and group names, each once.
  static var validNames: [String] {
    var names: [String] = []
    for name in allCases.map(\.rawValue) + Group.allCases.map(\.rawValue) where !names.contains(name) { names.append(name) }
    return names
  }

  /// Parses a comma-separated list of metric or group names (`deletion` = D-AOPC and AOPC,
  /// `localization` = TLoc, pointing, mass and midpoint, `stab` = both STABs, `all`).
  public static func parse(_ list: String) throws -> [BenchMetric] {
    var chosen: [BenchMetric] = []
    for raw in list.split(separator: ",") {
      let name = String(raw).stripped
      let add: [BenchMetric]
      if name == "all" {
        add = allCases
      } else if let metric = BenchMetric(rawValue: name) {
        add = [metric]
      } else if let group = Group(rawValue: name) {
        add = allCases.filter { $0.group == group }
      } else {
        throw LeafXError.invalidArgument(
          argument: "--metrics",
          reason: "unknown metric \"\(name)\"; one of all, \(validNames.joined(separator: ", "))")
      }
      for metric in add where !chosen.contains(metric) { chosen.append(metric) }
    }
    guard !chosen.isEmpty else { throw LeafXError.invalidArgument(argument: "--metrics", reason: "no metric given") }
    return allCases.filter(chosen.contains)
  }
}
