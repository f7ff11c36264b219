/// Perceptually uniform colour scales that stay readable with the common colour-vision
/// deficiencies and in greyscale: viridis (van der Walt & Smith, matplotlib 2.0) for the
/// attribution heatmap, cividis (Nuñez, Anderton & Renslow 2018, optimised for deuteranopia
/// and protanopia) for how well grounded a word is. Both are public domain (CC0); the stops
/// below are the scales sampled at 17 evenly spaced points, interpolated linearly in sRGB,
/// which differs from the full 256-entry tables by less than 2 levels per channel.
public struct ColourScale: Sendable {
  /// Evenly spaced stops from 0 to 1, as 0xRRGGBB.
  public let stops: [UInt32]

  public static let viridis = ColourScale(stops: [
    0x440154, 0x48186a, 0x472d7b, 0x424086, 0x3b528b, 0x33638d, 0x2c728e, 0x26828e, 0x21918c,
    0x1fa088, 0x28ae80, 0x3fbc73, 0x5ec962, 0x84d44b, 0xaddc30, 0xd8e219, 0xfde725,
  ])

  public static let cividis = ColourScale(stops: [
    0x00224e, 0x002e6a, 0x1a386f, 0x32436d, 0x434e6c, 0x535a6d, 0x61656f, 0x6f7073, 0x7d7c78,
    0x8c8878, 0x9b9476, 0xaba072, 0xbcae6c, 0xcdbb63, 0xdec958, 0xf0d846, 0xfee838,
  ])

  /// The colour at `x` (clamped to [0, 1]; NaN counts as 0) as (red, green, blue) in 0…255.
  public func rgb(at x: Double) -> (UInt8, UInt8, UInt8) {
    let t = x.isNaN ? 0 : min(max(x, 0), 1) * Double(stops.count - 1)
    let i = min(Int(t), stops.count - 2)
    let f = t - Double(i)
    func channel(_ shift: UInt32) -> UInt8 {
      let a = Double((stops[i] >> shift) & 0xff), b = Double((stops[i + 1] >> shift) & 0xff)
      return UInt8((a + (b - a) * f).rounded())
    }
    return (channel(16), channel(8), channel(0))
  }

  /// The colour at `x` as CSS/SVG `#rrggbb`.
  public func hex(at x: Double) -> String {
    let (r, g, b) = rgb(at: x)
    return "#" + [r, g, b].map { value in
      let digits = String(value, radix: 16)
      return digits.count == 1 ? "0" + digits : digits
    }.joined()
  }

  /// `count` colours evenly spaced from 0 to 1 (the lookup table the HTML report's script uses).
  public func table(count: Int) -> [String] {
    (0..<count).map { hex(at: count > 1 ? Double($0) / Double(count - 1) : 0) }
  }
}
