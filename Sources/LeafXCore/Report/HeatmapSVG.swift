/// `leafx explain --format svg`: the tokens × time heatmap of an explanation as one
/// standalone SVG, for papers and tickets (the HTML report draws the same picture on a
/// canvas, window by window, so that long audio stays responsive).
///
/// One row per explained token, one column per 20 ms frame of the audio. A cell's colour is
/// the token's attribution at that frame divided by the row's maximum (viridis, readable with
/// colour-blindness and in greyscale), so every row shows where its own mass lies; frames
/// outside the token's window are left blank. A black-and-white box marks the half-mass span,
/// and a ⚠ after the label marks an audit flag (a warning, not a verdict).
public enum HeatmapSVG {
  /// Colour levels per row; adjacent frames of the same level are one rectangle, which keeps
  /// the file small (a 10 s clip is ~40 kB) without a visible loss.
  static let levels = 32
  static let gutter = 150.0
  static let rowHeight = 14.0
  static let top = 34.0
  static let bottom = 74.0

  /// The SVG document of `e`'s token attributions over the audio.
  /// - Parameter title: shown above the heatmap (e.g. the audio path).
  public static func render(_ e: Explanation, title: String) -> String {
    // The frames that hold audio; the tolerance keeps 1.0 s at 50 frames despite 0.02's rounding.
    let nFrames = max(1, Int((e.transcript.duration / TokenAttribution.whisperFrameSeconds - 1e-9).rounded(.up)))
    let plotWidth = min(max(Double(nFrames) * 2, 720), 4800)
    let frameWidth = plotWidth / Double(nFrames)
    let width = gutter + plotWidth + 16
    let height = top + rowHeight * Double(e.tokens.count) + bottom
    var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" "
    out += "viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
    out += "<title>\(MarkupText.escaped("leafx attribution heatmap: \(title)"))</title>\n"
    out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
    out += "<text x=\"\(n(gutter))\" y=\"20\" font-size=\"13\">\(MarkupText.escaped(title)) · \(MarkupText.escaped(e.options.method.rawValue))</text>\n"
    for (row, token) in e.tokens.enumerated() {
      out += rowSVG(token, y: top + rowHeight * Double(row), frameWidth: frameWidth, nFrames: nFrames)
    }
    out += axisSVG(y: top + rowHeight * Double(e.tokens.count), frameWidth: frameWidth, nFrames: nFrames)
    return out + "</svg>\n"
  }

  static func rowSVG(_ token: ExplainedToken, y: Double, frameWidth: Double, nFrames: Int) -> String {
    let a = token.attribution
    let label = token.text.stripped.isEmpty ? "·" : token.text.stripped
    let marker = token.flags.isEmpty ? "" : " ⚠"
    var out = "<g>"
    if !token.flags.isEmpty { out += "<title>\(MarkupText.escaped("\(label): \(token.flags.names.joined(separator: ", "))"))</title>" }
    out += "<text x=\"\(n(gutter - 6))\" y=\"\(n(y + rowHeight - 3))\" text-anchor=\"end\">\(MarkupText.escaped(String(label.prefix(18)) + marker))</text>"
    let first = max(0, min(a.offset, nFrames))
    let last = max(first, min(a.offset + a.values.count, nFrames))
    if last > first {
      out += rect(x: gutter + Double(first) * frameWidth, y: y, width: Double(last - first) * frameWidth, fill: ColourScale.viridis.hex(at: 0))
    }
    let peak = a.values.max() ?? 0
    if peak > 0 {
      var k = 0
      while k < a.values.count {
        let level = Int((Double(a.values[k] / peak) * Double(levels - 1)).rounded())
        var end = k + 1
        while end < a.values.count && Int((Double(a.values[end] / peak) * Double(levels - 1)).rounded()) == level { end += 1 }
        let from = a.offset + k
        let to = min(a.offset + end, nFrames)
        if level > 0 && to > from {
          out += rect(x: gutter + Double(from) * frameWidth, y: y, width: Double(to - from) * frameWidth,
                      fill: ColourScale.viridis.hex(at: Double(level) / Double(levels - 1)))
        }
        k = end
      }
    }
    // Half-mass span: a black box inside a white one, visible on any colour of the scale.
    let spanX = gutter + a.start / TokenAttribution.whisperFrameSeconds * frameWidth
    let spanWidth = max(frameWidth, (a.end - a.start) / TokenAttribution.whisperFrameSeconds * frameWidth)
    out += "<rect x=\"\(n(spanX))\" y=\"\(n(y + 0.5))\" width=\"\(n(spanWidth))\" height=\"\(n(rowHeight - 1))\" fill=\"none\" stroke=\"#ffffff\" stroke-width=\"2\"/>"
    out += "<rect x=\"\(n(spanX))\" y=\"\(n(y + 0.5))\" width=\"\(n(spanWidth))\" height=\"\(n(rowHeight - 1))\" fill=\"none\" stroke=\"#000000\" stroke-width=\"0.8\"/>"
    return out + "</g>\n"
  }

  static func axisSVG(y: Double, frameWidth: Double, nFrames: Int) -> String {
    let plotWidth = frameWidth * Double(nFrames)
    let duration = Double(nFrames) * TokenAttribution.whisperFrameSeconds
    let step = tickStep(duration: duration, plotWidth: plotWidth)
    var out = "<g stroke=\"#444444\"><line x1=\"\(n(gutter))\" y1=\"\(n(y))\" x2=\"\(n(gutter + plotWidth))\" y2=\"\(n(y))\"/>"
    var t = 0.0
    var labels = ""
    while t <= duration + 1e-9 {
      let x = gutter + t / TokenAttribution.whisperFrameSeconds * frameWidth
      out += "<line x1=\"\(n(x))\" y1=\"\(n(y))\" x2=\"\(n(x))\" y2=\"\(n(y + 4))\"/>"
      labels += "<text x=\"\(n(x))\" y=\"\(n(y + 16))\" text-anchor=\"middle\">\(n(t))</text>"
      t += step
    }
    out += "</g>" + labels
    out += "<text x=\"\(n(gutter - 6))\" y=\"\(n(y + 16))\" text-anchor=\"end\">time (s)</text>\n"
    // Legend: the colour bar and what the marks mean.
    let legendY = y + 30
    out += "<defs><linearGradient id=\"leafx-viridis\">"
    for i in 0...8 {
      let x = Double(i) / 8
      out += "<stop offset=\"\(n(x))\" stop-color=\"\(ColourScale.viridis.hex(at: x))\"/>"
    }
    out += "</linearGradient></defs>"
    out += "<rect x=\"\(n(gutter))\" y=\"\(n(legendY))\" width=\"160\" height=\"10\" fill=\"url(#leafx-viridis)\"/>"
    out += "<text x=\"\(n(gutter - 6))\" y=\"\(n(legendY + 9))\" text-anchor=\"end\">0</text>"
    out += "<text x=\"\(n(gutter + 166))\" y=\"\(n(legendY + 9))\">row maximum of the token's attribution · box: half-mass span · ⚠ audit flag (a warning, not a verdict)</text>\n"
    return out
  }

  /// 0.5, 1, 2, 5, 10, 15, 30, 60, … seconds: the smallest that keeps ticks ≥ 60 px apart.
  static func tickStep(duration: Double, plotWidth: Double) -> Double {
    let steps = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600]
    let pixelsPerSecond = plotWidth / max(duration, 1e-9)
    return steps.first { $0 * pixelsPerSecond >= 60 } ?? 3600
  }

  static func rect(x: Double, y: Double, width: Double, fill: String) -> String {
    "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(rowHeight))\" fill=\"\(fill)\"/>"
  }

  /// A coordinate with at most two decimals ("12.5", "3").
  static func n(_ x: Double) -> String {
    let hundredths = Int((x * 100).rounded())
    let sign = hundredths < 0 ? "-" : ""
    let magnitude = abs(hundredths)
    let fraction = magnitude % 100
    if fraction == 0 { return "\(sign)\(magnitude / 100)" }
    if fraction % 10 == 0 { return "\(sign)\(magnitude / 100).\(fraction / 10)" }
    return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
  }
}
