/// Perceptually uniform colour scales that stay readable with the common colour-vision
/// deficiencies and in greyscale: viridis (van der Walt & Smith, matplotlib 2.0) for the
/// attribution heatmap, cividis (Nuñez, Anderton & Renslow 2018, optimised for deuteranopia
/// and protanopia) for how well grounded a word is. Both are public domain (CC0); the stops
/// below are the scales sampled at 33 evenly spaced points, interpolated linearly in sRGB,
/// which differs from matplotlib's 256-entry tables by at most 3 (viridis) and 5 (cividis)
/// of 255 levels per channel: invisible at the 64 levels the report draws.
public struct ColourScale: Sendable {
  /// Evenly spaced stops from 0 to 1, as 0xRRGGBB.
  public let stops: [UInt32]

  public static let viridis = ColourScale(stops: [
    0x440154, 0x470d60, 0x48186a, 0x482374, 0x472d7b, 0x453781, 0x424086, 0x3e4989, 0x3b528b,
    0x375b8d, 0x33638d, 0x2f6b8e, 0x2c728e, 0x297a8e, 0x26828e, 0x23898e, 0x21918c, 0x1f988b,
    0x1fa088, 0x22a785, 0x28ae80, 0x32b67a, 0x3fbc73, 0x4ec36b, 0x5ec962, 0x70cf57, 0x84d44b,
    0x98d83e, 0xaddc30, 0xc2df23, 0xd8e219, 0xece51b, 0xfde725,
  ])

  public static let cividis = ColourScale(stops: [
    0x00224e, 0x00285b, 0x002e6a, 0x053371, 0x1a386f, 0x273e6e, 0x32436d, 0x3b496c, 0x434e6c,
    0x4b546c, 0x535a6d, 0x5a5f6e, 0x61656f, 0x686a71, 0x6f7073, 0x767676, 0x7d7c78, 0x848279,
    0x8c8878, 0x938e78, 0x9b9476, 0xa39a74, 0xaba072, 0xb4a76f, 0xbcae6c, 0xc4b468, 0xcdbb63,
    0xd5c25e, 0xdec958, 0xe7d150, 0xf0d846, 0xf9e03a, 0xfee838,
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
