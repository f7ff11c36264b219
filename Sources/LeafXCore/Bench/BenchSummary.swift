import FoundationEssentials

/// The benchmark table (docs/metrics.md): per method and metric, the mean over
/// utterances of the per-utterance means with a 95 % Student-t interval, the paper's min-max
/// normalisation across the compared methods (oriented so that 1 is the best method and 0
/// the worst, whatever the metric's direction), their mean over the metrics, and the
/// attribution time per utterance.
public struct BenchSummary: Sendable {
  public struct Statistic: Sendable, Equatable {
    public var mean: Double
    /// Bounds of the 95 % interval (nil with a single utterance).
    public var low: Double?
    public var high: Double?
    /// Utterances averaged.
    public var utterances: Int
    /// Tokens (words for the localisation metrics) scored over all those utterances.
    public var items: Int = 0
  }

  public struct Row: Sendable {
    public var method: String
    public var values: [BenchMetric: Statistic]
    /// Min-max normalised means, 1 = best of the compared methods (nil when all are equal).
    public var normalised: [BenchMetric: Double]
    /// Mean of `normalised` over the metrics.
    public var overall: Double?
    public var secondsPerUtterance: Double
    public var utterances: Int
  }

  public var metrics: [BenchMetric]
  public var rows: [Row]

  public init(results: [UtteranceResult], methods: [String], metrics: [BenchMetric]) {
    self.metrics = metrics
    var rows: [Row] = methods.map { method in
      let mine = results.filter { $0.method == method }
      var values: [BenchMetric: Statistic] = [:]
      for metric in metrics {
        let xs = mine.compactMap { $0.metrics[metric.rawValue] }
        guard !xs.isEmpty else { continue }
        values[metric] = Self.statistic(xs)
        values[metric]?.items = mine.reduce(0) { $0 + ($1.counts[metric.rawValue] ?? 0) }
      }
      let seconds = mine.reduce(0) { $0 + $1.seconds } / Double(max(mine.count, 1))
      return Row(method: method, values: values, normalised: [:], overall: nil, secondsPerUtterance: seconds, utterances: mine.count)
    }
    for metric in metrics {
      let means = rows.compactMap { $0.values[metric]?.mean }
      guard let lo = means.min(), let hi = means.max(), hi > lo else { continue }
      for i in rows.indices {
        guard let v = rows[i].values[metric]?.mean else { continue }
        rows[i].normalised[metric] = metric.higherIsBetter ? (v - lo) / (hi - lo) : (hi - v) / (hi - lo)
      }
    }
    for i in rows.indices where !rows[i].normalised.isEmpty {
      rows[i].overall = rows[i].normalised.values.reduce(0, +) / Double(rows[i].normalised.count)
    }
    self.rows = rows
  }

  /// Mean and 95 % Student-t interval, `mean ± t(0.975, n−1) · s / √n`.
  static func statistic(_ xs: [Double]) -> Statistic {
    let n = xs.count
    let mean = xs.reduce(0, +) / Double(n)
    guard n > 1 else { return Statistic(mean: mean, low: nil, high: nil, utterances: n) }
    let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
    let half = studentT975(degrees: n - 1) * (variance / Double(n)).squareRoot()
    return Statistic(mean: mean, low: mean - half, high: mean + half, utterances: n)
  }

  /// The 97.5 % quantile of Student's t (table to 30 degrees of freedom, then a 1/df
  /// approximation that reaches 1.960).
  static func studentT975(degrees: Int) -> Double {
    let table: [Double] = [
      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
      2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ]
    if degrees >= 1 && degrees <= table.count { return table[degrees - 1] }
    return 1.960 + 2.46 / Double(max(degrees, 1))
  }

  // MARK: Rendering

  /// Two Markdown tables: raw means with their 95 % intervals and the runtime, then the
  /// normalised scores.
  public func markdown() -> String {
    var out = "| method | utts | " + metrics.map(\.title).joined(separator: " | ") + " | s/utt |\n"
    out += "|---|---|" + String(repeating: "---|", count: metrics.count) + "---|\n"
    for row in rows {
      let cells = metrics.map { metric -> String in
        guard let s = row.values[metric] else { return "–" }
        guard let low = s.low, let high = s.high else { return Self.fixed(s.mean) }
        return "\(Self.fixed(s.mean)) ±\(Self.fixed((high - low) / 2))"
      }
      out += "| \(row.method) | \(row.utterances) | " + cells.joined(separator: " | ") + " | \(Self.fixed(row.secondsPerUtterance)) |\n"
    }
    out += "\nMin-max normalised across the methods above (1 = best, 0 = worst, for every metric):\n\n"
    out += "| method | " + metrics.map { $0.title.split(separator: " ")[0] }.joined(separator: " | ") + " | mean |\n"
    out += "|---|" + String(repeating: "---|", count: metrics.count) + "---|\n"
    for row in rows {
      let cells = metrics.map { row.normalised[$0].map(Self.fixed) ?? "–" }
      out += "| \(row.method) | " + cells.joined(separator: " | ") + " | \(row.overall.map(Self.fixed) ?? "–") |\n"
    }
    return out
  }

  /// One line per method and metric: `method,metric,higher_is_better,mean,low,high,utterances,normalised`,
  /// then a `seconds_per_utterance` line per method.
  public func csv() -> String {
    var out = "method,metric,higher_is_better,mean,ci95_low,ci95_high,utterances,items,normalised\n"
    for row in rows {
      for metric in metrics {
        guard let s = row.values[metric] else { continue }
        out += "\(row.method),\(metric.rawValue),\(metric.higherIsBetter),\(s.mean),\(s.low.map { "\($0)" } ?? ""),"
        out += "\(s.high.map { "\($0)" } ?? ""),\(s.utterances),\(s.items),\(row.normalised[metric].map { "\($0)" } ?? "")\n"
      }
      out += "\(row.method),seconds_per_utterance,false,\(row.secondsPerUtterance),,,\(row.utterances),,\n"
    }
    return out
  }

  /// `{"metrics": [...], "methods": [{"method", "utterances", "seconds_per_utterance",
  /// "overall", "metrics": {name: {"mean", "ci95": [low, high], "utterances", "items",
  /// "normalised", "higher_is_better"}}}]}` (`items`: tokens or words scored).
  public func json() -> String {
    func number(_ x: Double?) -> String { x.map { $0.isFinite ? "\($0)" : "null" } ?? "null" }
    var out = "{\"metrics\": [" + metrics.map { "\"\($0.rawValue)\"" }.joined(separator: ", ") + "], \"methods\": [\n"
    out += rows.map { row in
      let cells = metrics.compactMap { metric -> String? in
        guard let s = row.values[metric] else { return nil }
        return "\"\(metric.rawValue)\": {\"mean\": \(number(s.mean)), \"ci95\": [\(number(s.low)), \(number(s.high))], "
          + "\"utterances\": \(s.utterances), \"items\": \(s.items), \"normalised\": \(number(row.normalised[metric])), "
          + "\"higher_is_better\": \(metric.higherIsBetter)}"
      }
      return "  {\"method\": \"\(row.method)\", \"utterances\": \(row.utterances), "
        + "\"seconds_per_utterance\": \(number(row.secondsPerUtterance)), \"overall\": \(number(row.overall)), "
        + "\"metrics\": {" + cells.joined(separator: ", ") + "}}"
    }.joined(separator: ",\n")
    return out + "\n]}\n"
  }

  /// `x` with three decimals.
  static func fixed(_ x: Double) -> String {
    guard x.isFinite else { return "\(x)" }
    let v = Int((x * 1000).rounded())
    let sign = v < 0 ? "-" : ""
    let frac = String(abs(v) % 1000)
    return "\(sign)\(abs(v) / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
  }
}
