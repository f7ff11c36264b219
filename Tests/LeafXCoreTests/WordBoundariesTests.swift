import Testing

#if canImport(Glibc)
  import Glibc
#endif

@testable import LeafXCore

/// The word segmentation (docs/word-timestamps.md) on toy maps with known answers, and the
/// word timing metrics on hand-computed cases.
struct WordBoundariesTests {
  /// A map spread evenly over `frames` (of `count`).
  func block(_ frames: Range<Int>, of count: Int = 30) -> [Float] {
    (0..<count).map { frames.contains($0) ? 1 / Float(frames.count) : 0 }
  }

  let allSpeech = [Float](repeating: 1, count: 30)

  @Test func cleanDiagonalGivesEachWordItsBlock() {
    let maps = [block(0..<10), block(10..<20), block(20..<30)]
    #expect(WordBoundaries.segment(maps: maps, speech: allSpeech, lag: 0) == [0..<10, 10..<20, 20..<30])
  }

  @Test func lagMovesTheBoundariesBetweenWordsLater() {
    let maps = [block(0..<10), block(10..<20), block(20..<30)]
    #expect(WordBoundaries.segment(maps: maps, speech: allSpeech, lag: 3) == [0..<13, 13..<23, 23..<30])
  }

  @Test func aSilentStretchBecomesAPause() {
    var speech = allSpeech
    for j in 10..<20 { speech[j] = 0.01 }
    // The maps reach into the silence; the energy keeps it out of both words.
    let maps = [block(0..<14), block(16..<30)]
    #expect(WordBoundaries.segment(maps: maps, speech: speech, lag: 0) == [0..<10, 20..<30])
  }

  @Test func aShortDipInsideAPhraseIsNoPause() {
    // Two frames of low energy between two words (a stop's closure) cost less as speech than
    // the price of a pause between words.
    var speech = allSpeech
    speech[14] = 0.2
    speech[15] = 0.2
    let maps = [block(0..<15), block(15..<30)]
    #expect(WordBoundaries.segment(maps: maps, speech: speech, lag: 0) == [0..<15, 15..<30])
  }

  @Test func leadingAndTrailingSilenceAreLeftOut() {
    var speech = allSpeech
    for j in 0..<5 { speech[j] = 0.02 }
    for j in 25..<30 { speech[j] = 0.02 }
    let maps = [block(0..<15), block(15..<30)]
    #expect(WordBoundaries.segment(maps: maps, speech: speech, lag: 0) == [5..<15, 15..<25])
  }

  @Test func twoTokensOfOneWordMakeOneInterval() {
    // The word's map is its tokens' maps summed (ExplainedWord.attribution).
    let first = block(10..<15)
    let second = block(15..<20)
    let word = zip(first, second).map { $0 + $1 }
    let maps = [block(0..<10), word, block(20..<30)]
    #expect(WordBoundaries.segment(maps: maps, speech: allSpeech, lag: 0) == [0..<10, 10..<20, 20..<30])
  }

  @Test func aRepeatedWordTakesItsOccurrencesInOrder() {
    // "the the": the second one's map also points mostly at the first occurrence; frame by
    // frame the first "the" would win everywhere, the order gives each its own.
    let first = zip(block(0..<10), block(10..<20)).map { 0.9 * $0 + 0.1 * $1 }
    let second = zip(block(0..<10), block(10..<20)).map { 0.6 * $0 + 0.4 * $1 }
    let maps = [first, second, block(20..<30)]
    #expect(WordBoundaries.segment(maps: maps, speech: allSpeech, lag: 0) == [0..<10, 10..<20, 20..<30])
  }

  @Test func aDiffuseWordFillsTheGapItsNeighboursLeave() {
    let uniform = [Float](repeating: 1 / 30, count: 30)
    let maps = [block(0..<10), uniform, block(20..<30)]
    #expect(WordBoundaries.segment(maps: maps, speech: allSpeech, lag: 0) == [0..<10, 10..<20, 20..<30])
  }

  @Test func everyWordGetsAFrameEvenWhenItsMapIsEmpty() {
    let maps = [block(0..<15), [Float](repeating: 0, count: 30), block(15..<30)]
    let ranges = WordBoundaries.segment(maps: maps, speech: allSpeech, lag: 0)
    #expect(ranges.count == 3)
    #expect(ranges.allSatisfy { !$0.isEmpty })
    #expect(ranges[0].upperBound <= ranges[1].lowerBound && ranges[1].upperBound <= ranges[2].lowerBound)
  }

  @Test func moreWordsThanFramesShareTheFrames() {
    let ranges = WordBoundaries.segment(maps: [[1, 0], [0, 1], [1, 1]], speech: [1, 1])
    #expect(ranges == [0..<1, 1..<2, 1..<2])
  }

  @Test func punctuationGetsAnEmptyIntervalAtItsWordsEdge() {
    let words = [" \"", "So", ",", " my", " friend", "."]
    #expect(
      WordBoundaries.roles(words) == [.opening, .sounding, .closing, .sounding, .sounding, .closing])
    // The comma's map points at the next word: it must not move "So".
    let maps = [block(0..<10), block(0..<10), block(10..<20), block(10..<20), block(20..<30), block(25..<30)]
    let energy = [Float](repeating: -20, count: 30)
    let intervals = WordBoundaries.intervals(words: words, maps: maps, energy: energy, offset: 100)
    let lag = Double(WordBoundaries.lagFrames) * 0.02
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-9 }
    #expect(close(intervals[1].start, 2.0) && close(intervals[1].end, 2.2 + lag))
    #expect(intervals[0].start == intervals[1].start && intervals[0].end == intervals[1].start)
    #expect(intervals[2].start == intervals[1].end && intervals[2].end == intervals[1].end)
    #expect(intervals[3].start == intervals[1].end && close(intervals[3].end, 2.4 + lag))
    #expect(close(intervals[4].end, 2.6))
    #expect(intervals[5].start == intervals[4].end && intervals[5].end == intervals[4].end)
  }

  @Test func speechProbabilityStepsBetweenQuietAndLoud() {
    let energy = [Float](repeating: -60, count: 10) + [Float](repeating: -20, count: 10)
    let s = WordBoundaries.speechProbability(energy: energy)
    // θ = −60 + 0.15 · 40 = −54 dB, κ = 3 dB.
    #expect(abs(s[0] - 1 / (1 + expf(2))) < 1e-6)
    #expect(abs(s[19] - 1 / (1 + expf(-34 / 3))) < 1e-6)
    // Without contrast there is no telling pauses from speech: all of it counts as speech.
    #expect(WordBoundaries.speechProbability(energy: [Float](repeating: -20, count: 10)) == [Float](repeating: 1, count: 10))
  }

  @Test func frameEnergyAveragesBinsAndColumnsInDecibels() {
    // Two mel bins, four 10 ms columns: frame 0 = columns 0-1, frame 1 = columns 2-3.
    let mel: [Float] = [0, 0.5, 1, 1, 0.5, 0, 1, 1]
    let e = WordBoundaries.frameEnergy(mel: mel, nMels: 2, width: 4, frames: 2)
    #expect(abs(e[0] - 0.25 * 40) < 1e-5)
    #expect(abs(e[1] - 1 * 40) < 1e-5)
  }

  @Test func timingMetricsOnHandComputedCases() {
    // Predicted [1.00, 1.50], reference [1.04, 1.60]: errors 40 and 100 ms.
    let s = WordTiming.scores(start: 1.0, end: 1.5, referenceStart: 1.04, referenceEnd: 1.6)
    #expect(abs(s.startError - 0.04) < 1e-12)
    #expect(abs(s.endError - 0.1) < 1e-12)
    #expect(s.within20 == 0)
    #expect(s.within50 == 0.5)
    #expect(s.within100 == 1)
    #expect(abs(s.iou - 0.46 / 0.6) < 1e-12)
    #expect(!s.hit)
    // Exactly 50 ms off on both sides counts as within the collar.
    let edge = WordTiming.scores(start: 2.02, end: 2.26, referenceStart: 2.07, referenceEnd: 2.31)
    #expect(edge.within50 == 1 && edge.hit)
    #expect(WordTiming.scores(start: 0, end: 1, referenceStart: 2, referenceEnd: 3).iou == 0)
    #expect(WordTiming.f1(hits: 3, decoded: 4, reference: 6) == 0.6)
    #expect(WordTiming.f1(hits: 0, decoded: 0, reference: 0) == 0)
  }
}
