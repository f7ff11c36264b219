import Foundation
import Testing

@testable import LeafXCore

/// The batched beam step (Models/DecoderStep.swift, Models/BeamCache.swift) and the kernels it
/// runs on (the batched forms in Tensor/MatrixVector.swift, `Attention.forwardSteps`), plus the
/// one-pass log-softmax normaliser of the logit filters.
///
/// The batched kernels promise *bit-identical* results to the single-vector ones (so that beam
/// search decodes exactly as it did hypothesis by hypothesis), so those comparisons use `==`;
/// comparisons with the Double references use `TensorKernelTests.productTolerance`.
@Suite struct BeamStepTests {
  static func values(_ count: Int, seed: UInt64) -> [Float] { TensorKernelTests.values(count, seed: seed) }

  /// (rows, columns, row stride, vectors): odd sizes around the 8/16/32 unrolling, size 1, empty,
  /// and one large enough to be split over two threads.
  static let shapes: [(m: Int, n: Int, stride: Int, count: Int)] = [
    (1, 1, 1, 1), (3, 7, 7, 2), (5, 16, 20, 3), (17, 33, 40, 5), (130, 64, 384, 4), (40, 385, 385, 2),
    (0, 8, 8, 3), (4, 0, 3, 2), (3000, 40, 40, 3),
  ]

  @Test func batchedMultiplyEqualsSingleAndNaive() {
    ComputeThreads.set(2)
    for (index, shape) in Self.shapes.enumerated() {
      let a = Self.values(max(shape.m * shape.stride, 1), seed: UInt64(index))
      // Vectors `vectorStride` = n + 3 apart, outputs m + 2 apart: strides are honoured.
      let vectorStride = shape.n + 3
      let outputStride = shape.m + 2
      let x = Self.values(max(shape.count * vectorStride, 1), seed: UInt64(50 + index))
      for (accumulate, threaded) in [(false, false), (true, false), (false, true), (true, true)] {
        let start = Self.values(max(shape.count * outputStride, 1), seed: UInt64(90 + index))
        var batched = start
        a.withUnsafeBufferPointer { a in
          x.withUnsafeBufferPointer { x in
            batched.withUnsafeMutableBufferPointer { y in
              MatrixVector.multiply(
                a.baseAddress!, rows: shape.m, columns: shape.n, rowStride: shape.stride, alpha: 0.75,
                vectors: x.baseAddress!, vectorStride: vectorStride, count: shape.count, accumulate: accumulate,
                into: y.baseAddress!, outputStride: outputStride, threaded: threaded)
            }
          }
        }
        for b in 0..<shape.count {
          let xb = Array(x[(b * vectorStride)..<(b * vectorStride + max(shape.n, 1))])
          var single = Array(start[(b * outputStride)..<(b * outputStride + max(shape.m, 1))])
          a.withUnsafeBufferPointer { a in
            xb.withUnsafeBufferPointer { xb in
              single.withUnsafeMutableBufferPointer { y in
                MatrixVector.multiply(
                  a.baseAddress!, rows: shape.m, columns: shape.n, rowStride: shape.stride, alpha: 0.75,
                  xb.baseAddress!, accumulate: accumulate, into: y.baseAddress!)
              }
            }
          }
          let naive = MatrixVector.multiplyNaive(a, rows: shape.m, columns: shape.n, rowStride: shape.stride, alpha: 0.75, xb)
          for i in 0..<shape.m {
            let got = batched[b * outputStride + i]
            #expect(got == single[i], "shape \(shape) vector \(b) row \(i): batched \(got) vs single \(single[i])")
            let expected = naive[i] + (accumulate ? start[b * outputStride + i] : 0)
            #expect(abs(got - expected) <= TensorKernelTests.productTolerance * Float(max(shape.n, 1)) + 1e-6)
          }
          // Entries between the outputs are untouched.
          for i in shape.m..<min(outputStride, start.count - b * outputStride) where b * outputStride + i < start.count {
            #expect(batched[b * outputStride + i] == start[b * outputStride + i])
          }
        }
      }
    }
  }

  @Test func batchedMultiplyTransposedEqualsSingleAndNaive() {
    for (index, shape) in Self.shapes.enumerated() {
      let a = Self.values(max(shape.m * shape.stride, 1), seed: UInt64(200 + index))
      let vectorStride = shape.m + 1
      let outputStride = shape.n + 5
      let x = Self.values(max(shape.count * vectorStride, 1), seed: UInt64(300 + index))
      var batched = [Float](repeating: 7, count: max(shape.count * outputStride, 1))
      a.withUnsafeBufferPointer { a in
        x.withUnsafeBufferPointer { x in
          batched.withUnsafeMutableBufferPointer { y in
            MatrixVector.multiplyTransposed(
              a.baseAddress!, rows: shape.m, columns: shape.n, rowStride: shape.stride, vectors: x.baseAddress!,
              vectorStride: vectorStride, count: shape.count, into: y.baseAddress!, outputStride: outputStride)
          }
        }
      }
      for b in 0..<shape.count {
        let xb = Array(x[(b * vectorStride)..<(b * vectorStride + max(shape.m, 1))])
        var single = [Float](repeating: 7, count: max(shape.n, 1))
        a.withUnsafeBufferPointer { a in
          xb.withUnsafeBufferPointer { xb in
            single.withUnsafeMutableBufferPointer { y in
              MatrixVector.multiplyTransposed(
                a.baseAddress!, rows: shape.m, columns: shape.n, rowStride: shape.stride, xb.baseAddress!,
                into: y.baseAddress!)
            }
          }
        }
        let naive = MatrixVector.multiplyTransposedNaive(a, rows: shape.m, columns: shape.n, rowStride: shape.stride, xb)
        for j in 0..<shape.n {
          let got = batched[b * outputStride + j]
          #expect(got == single[j], "shape \(shape) vector \(b) column \(j): batched \(got) vs single \(single[j])")
          #expect(abs(got - naive[j]) <= TensorKernelTests.productTolerance * Float(max(shape.m, 1)))
        }
        for j in shape.n..<outputStride where b * outputStride + j < batched.count && b < shape.count - 1 {
          #expect(batched[b * outputStride + j] == 7, "gap between outputs overwritten")
        }
      }
    }
  }

  @Test func attentionStepsEqualSingleQueries() {
    ComputeThreads.set(2)
    for (tk, width, heads, count) in [(1, 8, 2, 1), (13, 12, 3, 4), (1500, 64, 4, 5)] {
      let q = Self.values(count * width, seed: UInt64(tk))
      let k = Self.values(tk * width, seed: UInt64(tk + 1)).map { $0 * 3 }
      let v = Self.values(tk * width, seed: UInt64(tk + 2))
      var batched = [Float](repeating: 0, count: count * width)
      q.withUnsafeBufferPointer { q in
        k.withUnsafeBufferPointer { k in
          v.withUnsafeBufferPointer { v in
            batched.withUnsafeMutableBufferPointer { o in
              Attention.forwardSteps(
                q: q.baseAddress!, count: count, k: k.baseAddress!, v: v.baseAddress!, tk: tk, width: width,
                heads: heads, into: o.baseAddress!)
            }
          }
        }
      }
      for b in 0..<count {
        var single = [Float](repeating: 0, count: width)
        q.withUnsafeBufferPointer { q in
          k.withUnsafeBufferPointer { k in
            v.withUnsafeBufferPointer { v in
              single.withUnsafeMutableBufferPointer { o in
                Attention.forward(
                  q: q.baseAddress! + b * width, k: k.baseAddress!, v: v.baseAddress!, tq: 1, tk: tk, width: width,
                  heads: heads, causalOffset: nil, into: o.baseAddress!)
              }
            }
          }
        }
        #expect(Array(batched[(b * width)..<((b + 1) * width)]) == single, "tk \(tk) query \(b)")
      }
    }
  }

  @Test func beamCacheAssignKeepsFirstChildAndCopiesOthers() {
    let decoder = try! WhisperDecoder(SyntheticDecoder.checkpoint())
    let audio = decoder.audioContext(SyntheticDecoder.encoded())
    var prefix = WhisperDecoder.Cache(layers: decoder.dimensions.nTextLayer)
    _ = decoder.forward([3, 17], cache: &prefix, audio: audio)
    var cache = BeamCache(prefix: prefix, slots: 3, capacity: 8, width: decoder.dimensions.nTextState)
    // Three children of slot 0: the first keeps it, the others get the free slots 1 and 2.
    #expect(cache.assign(parents: [0, 0, 0]) == [0, 1, 2])
    for slot in 0..<3 { #expect(cache.cache(slot: slot).keys == prefix.keys) }
    // Slot 1 dies; slot 2 has two children: the second takes slot 1 (a copy of slot 2).
    #expect(cache.assign(parents: [2, 2, 0]) == [2, 1, 0])
  }

  /// `WhisperDecoder.step` gives each hypothesis exactly the logits and cache that `forward`
  /// gives it alone, across two steps with a re-assignment of slots between them.
  @Test func decoderStepEqualsForwardPerHypothesis() throws {
    ComputeThreads.set(2)
    let decoder = try WhisperDecoder(SyntheticDecoder.checkpoint())
    let audio = decoder.audioContext(SyntheticDecoder.encoded())
    let vocab = decoder.dimensions.nVocab
    var prefix = WhisperDecoder.Cache(layers: decoder.dimensions.nTextLayer)
    _ = decoder.forward([3, 17, 8], cache: &prefix, audio: audio)
    var cache = BeamCache(prefix: prefix, slots: 3, capacity: 6, width: decoder.dimensions.nTextState)

    // Step 1: three children of the prompt.
    var alone = [prefix, prefix, prefix]
    let tokens1 = [5, 9, 41]
    let slots1 = cache.assign(parents: [0, 0, 0])
    let batched1 = decoder.step(tokens1, slots: slots1, cache: &cache, audio: audio)
    for b in 0..<3 {
      let one = decoder.forward([tokens1[b]], cache: &alone[b], audio: audio)
      #expect(Array(batched1[(b * vocab)..<((b + 1) * vocab)]) == one, "step 1 hypothesis \(b)")
      let slot = cache.cache(slot: slots1[b])
      #expect(slot.keys == alone[b].keys && slot.values == alone[b].values && slot.length == alone[b].length)
    }

    // Step 2: hypothesis 1 dies, hypothesis 2 has two children, hypothesis 0 one.
    let parents = [2, 2, 0]
    var alone2 = parents.map { alone[$0] }
    let tokens2 = [12, 7, 30]
    let slots2 = cache.assign(parents: parents.map { slots1[$0] })
    let batched2 = decoder.step(tokens2, slots: slots2, cache: &cache, audio: audio)
    for b in 0..<3 {
      let one = decoder.forward([tokens2[b]], cache: &alone2[b], audio: audio)
      #expect(Array(batched2[(b * vocab)..<((b + 1) * vocab)]) == one, "step 2 hypothesis \(b)")
      let slot = cache.cache(slot: slots2[b])
      #expect(slot.keys == alone2[b].keys && slot.values == alone2[b].values)
    }
  }

  /// The normaliser `LogitFilters.apply` returns is `log Σ exp` of the logits it leaves, on
  /// rows where the timestamp rule forces a timestamp and where it does not.
  @Test func filterNormaliserIsLogSumExpOfFilteredLogits() throws {
    let tokenizer = try TokenizerFixtures.json("tiny.en")
    let filters = LogitFilters(tokenizer: tokenizer, options: DecodingOptions(), configSuppressTokens: nil)
    let n = tokenizer.nVocab
    for (seed, timestampBoost, sampled) in [
      (1, Float(0), [Int]()), (2, Float(12), [tokenizer.timestampBegin + 3, 440]), (3, Float(-5), [440, 1000]),
      (4, Float(9), [tokenizer.timestampBegin + 1]),
    ] {
      var logits = Self.values(n, seed: UInt64(seed)).map { $0 * 8 }
      for t in tokenizer.timestampBegin..<n { logits[t] += timestampBoost }
      let normaliser = logits.withUnsafeMutableBufferPointer { filters.apply($0, sampled: sampled) }
      var reference = 0.0
      let peak = logits.max()!
      for value in logits where value > -.infinity { reference += exp(Double(value - peak)) }
      let expected = Double(peak) + Foundation.log(reference)
      #expect(abs(Double(normaliser) - expected) <= 1e-5 * max(1, abs(expected)), "seed \(seed): \(normaliser) vs \(expected)")
    }
  }

  @Test func logAddExpMatchesDirectSum() {
    let a: [Float] = [1, 2, 3]
    let b: [Float] = [-30, 0.5]
    let (pa, pb) = (a.max()!, b.max()!)
    let sa = a.reduce(0.0) { $0 + exp(Double($1 - pa)) }
    let sb = b.reduce(0.0) { $0 + exp(Double($1 - pb)) }
    let direct = Foundation.log((a + b).reduce(0.0) { $0 + exp(Double($1)) })
    #expect(abs(Double(Softmax.logAddExp(pa, sa, pb, sb)) - direct) < 1e-6)
    #expect(Softmax.logAddExp(-.infinity, 0, pb, sb) == pb + Float(Foundation.log(sb)))
    #expect(Softmax.logAddExp(-.infinity, 0, -.infinity, 0) == -.infinity)
  }
}
