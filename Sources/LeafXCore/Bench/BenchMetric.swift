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
  /// Word boundaries (WordBoundaries, from the method's maps) against the aligned words
  /// (docs/metrics.md, "Word timing"): seconds of error, shares of boundaries within 20, 50
  /// and 100 ms, IoU, word F1 at a 50 ms collar.
  case startError = "start-error"
  case endError = "end-error"
  case within20 = "within-20ms"
  case within50 = "within-50ms"
  case within100 = "within-100ms"
  case wordIoU = "word-iou"
  case wordF1 = "word-f1"

  /// What computes the metric: metrics of one group come from the same passes.
  public enum Group: String, Sendable, CaseIterable, Codable {
    case deletion, insertion, localization, spr, stab, inf, saco, timing
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
    case .startError, .endError, .within20, .within50, .within100, .wordIoU, .wordF1: return .timing
    }
  }

  /// False for D-AOPC, INF and the boundary errors, where lower is better.
  public var higherIsBetter: Bool { ![.dAOPC, .inf, .startError, .endError].contains(self) }

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
    case .startError: name = "Start err (s)"
    case .endError: name = "End err (s)"
    case .within20: name = "≤20ms"
    case .within50: name = "≤50ms"
    case .within100: name = "≤100ms"
    case .wordIoU: name = "IoU"
    case .wordF1: name = "F1@50ms"
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
  /// `localization` = TLoc, pointing, mass and midpoint, `stab` = both STABs, `timing` = the
  /// word boundary metrics, `all`).
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
          argument: "metrics",
          reason: "unknown metric \"\(name)\"; one of all, \(validNames.joined(separator: ", "))")
      }
      for metric in add where !chosen.contains(metric) { chosen.append(metric) }
    }
    guard !chosen.isEmpty else { throw LeafXError.invalidArgument(argument: "metrics", reason: "no metric given") }
    return allCases.filter(chosen.contains)
  }
}
