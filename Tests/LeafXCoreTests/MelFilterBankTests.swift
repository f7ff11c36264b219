import Testing

@testable import LeafXCore

@Suite struct MelFilterBankTests {
  @Test(arguments: [80, 128])
  func trianglesCoverTheSpectrumWithSlaneyArea(nMels: Int) {
    let bank = MelFilterBank(nMels: nMels)
    #expect(bank.nBins == 201)
    #expect(bank.weights.count == nMels * 201)
    #expect(bank.weights.allSatisfy { $0 >= 0 })
    for m in 0..<nMels {
      let row = bank.weights[(m * 201)..<((m + 1) * 201)]
      let nonZero = row.indices.filter { row[$0] > 0 }
      // Each filter is one contiguous triangle (the lowest ones may cover a single bin).
      #expect(!nonZero.isEmpty, "filter \(m) is empty")
      #expect(nonZero.last! - nonZero.first! + 1 == nonZero.count, "filter \(m) is not contiguous")
    }
    // Slaney normalisation: each triangle has area 1 in Hz, so the sum of its weights times
    // the 40 Hz bin spacing is ≈ 1 once the triangle spans enough bins to be well sampled.
    var wide = 0
    for m in 0..<nMels {
      let row = bank.weights[(m * 201)..<((m + 1) * 201)]
      guard row.filter({ $0 > 0 }).count >= 8 else { continue }
      wide += 1
      let area = row.reduce(0, +) * 40
      #expect(abs(area - 1) < 0.05, "filter \(m) area \(area)")
    }
    #expect(wide >= 5, "only \(wide) filters span 8 bins or more")
  }

  @Test func knownValuesOfTheFirstFilters() {
    // Filter 0 of the 80-bin bank peaks at bin 1 (40 Hz) with 2 / (edge2 − edge0); edges are
    // multiples of 8000·(200/3)... computed independently here in Double.
    let bank = MelFilterBank(nMels: 80)
    let maxMel = 15 + log(8000.0 / 1000) / (log(6.4) / 27)
    let step = maxMel / 81
    let edgesHz = (0..<3).map { Double($0) * step * 200 / 3 }
    let peak = (40 - edgesHz[0]) / (edgesHz[1] - edgesHz[0])
    let expected = min(peak, (edgesHz[2] - 40) / (edgesHz[2] - edgesHz[1])) * 2 / (edgesHz[2] - edgesHz[0])
    #expect(abs(Double(bank.weights[1]) - expected) < 1e-7)
    #expect(bank.weights[0] == 0)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
