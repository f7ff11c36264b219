import CBLAS

#if canImport(Glibc)
  import Glibc
#endif

// The hand-written backward pass of a recorded decoder pass (DecoderTape.swift): the total
// derivative of one scalar target (a function of one row's logits) with respect to every
// layer's and head's attention probabilities, `G = ∂ log p(y_t) / ∂A[l][h]` of docs/methods.md,
// "Gradient modulation".
//
// Priorities: correctness first (every step is the exact derivative of the tape's forward,
// checked against central finite differences of an independent Double reference in
// DecoderBackwardTests), then determinism (no threads of its own), then speed: only rows
// 0 ... row are touched (later rows cannot reach the target through causal self-attention),
// the top layer's MLP and cross-attention only touch the target row, every product runs on
// BLAS (sgemm; one sgemv for the tied projection), and layer 0 stops once its maps' gradients
// are known (nothing below them is read, so no gradient reaches the embeddings).

/// `∂target/∂A` for every attention probability of a `DecoderTape`.
///
/// Each probability matrix is a node of the computation graph: an entry's gradient is the total
/// derivative of the target through everything downstream of it (later layers, their softmaxes,
/// the residual stream), with every other entry of every map held fixed. Entries that cannot
/// reach the target get exactly 0: rows after the target row (causality) and the masked
/// self-attention entries `j > i`, which are structural zeros of the causal mask rather than
/// probabilities. A layer whose cross-attention output was ablated gets all-zero
/// cross-attention gradients.
public struct AttentionGradients: Sendable {
  /// `[layer][head]` → `[T, F]` row-major.
  public var crossAttention: [[[Float]]]
  /// `[layer][head]` → `[T, T]` row-major; zero above the diagonal.
  public var selfAttention: [[[Float]]]
  /// `∂target/∂encoded`, `[F, d]`: through every layer's cross keys `K' = enc W'_kᵀ` and values
  /// `V' = enc W'_vᵀ + b'_v`. Only with `DecoderBackwardOutputs.encoderOutput`.
  public var encoderOutput: [Float]? = nil
  /// `[layer]` → `∂target/∂O` `[T, d]` of the cross-attention head outputs `O = [A_1 V'_1 … A_H V'_H]`
  /// (before the out projection). Only with `DecoderBackwardOutputs.attentionOutputs`.
  public var crossOutput: [[Float]]? = nil
  /// `[layer]` → `∂target/∂O` `[T, d]` of the self-attention head outputs. Only with
  /// `DecoderBackwardOutputs.attentionOutputs`.
  public var selfOutput: [[Float]]? = nil
}

/// Gradients a decoder backward pass forms besides those of the attention probabilities.
public struct DecoderBackwardOutputs: OptionSet, Sendable {
  public let rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }
  /// `∂target/∂encoded` (integrated gradients chain it through the encoder to the log-mel).
  public static let encoderOutput = DecoderBackwardOutputs(rawValue: 1)
  /// `∂target/∂O` of every attention's head outputs (Transformer Attribution's relevance).
  public static let attentionOutputs = DecoderBackwardOutputs(rawValue: 2)
}

extension DecoderTape {
  /// Backpropagates `seed = ∂target/∂logits[row, ·]` to every attention probability:
  ///
  /// ```
  /// final LN, tied projection:  ∂x^L[row] = LN′ᵀ (seed · E)
  /// per layer l = L−1 … 0 (rows 0 … row; x_out = x_in + f(ln(x_in)) ⇒ ∂x_in = ∂x_out + ln′ᵀ f′ᵀ ∂x_out):
  ///   MLP:    ∂g = ∂x W₂,  ∂u = gelu′(u) ⊙ ∂g,  ∂x += ln′ᵀ(∂u W₁)
  ///   cross:  ∂O = ∂x W'_o;  ∂A_h = ∂O_h V'_hᵀ;  ∂Z_h = A_h ⊙ (∂A_h − rowsum(A_h ⊙ ∂A_h))
  ///           ∂Q'_h = ∂Z_h K'_h / √d_h;  ∂x += ln′ᵀ(∂Q' W'_q)       (K', V' are constants)
  ///   self:   ∂O = ∂x W_o;  ∂S_h = ∂O_h V_hᵀ (j ≤ i);  ∂Z_h = softmax′ᵀ ∂S_h
  ///           ∂Q_h = ∂Z_h K_h / √d_h,  ∂K_h = ∂Z_hᵀ Q_h / √d_h,  ∂V_h = S_hᵀ ∂O_h
  ///           ∂x += ln′ᵀ(∂Q W_q + ∂K W_k + ∂V W_v)
  /// ```
  /// `∂A[l][h] = ∂A_h` and `∂S[l][h] = ∂S_h` as computed at layer l. No parameter gradients are
  /// formed. Cost: about 2·L·H·(row+1)·F·d_h multiply-adds for cross-attention plus one
  /// `[vocab] · [vocab, d]` product (for tiny.en, streaming E's 80 MB); memory O(L·H·T·(F + T))
  /// for the result.
  /// - Parameters:
  ///   - row: the query position whose logits the target reads, `0 ..< count`.
  ///   - seed: `∂target/∂logits[row, ·]`, `[vocab]`.
  ///   - decoder: the decoder the tape was recorded with.
  ///   - audio: the audio context the tape was recorded with.
  ///   - outputs: further gradients to form (the encoder output's: through each layer's cross
  ///     keys and values, `∂K'_h = ∂Z_hᵀ Q'_h/√d_h`, `∂V'_h = A_hᵀ ∂O_h`,
  ///     `∂enc += ∂K' W'_k + ∂V' W'_v`; the attention outputs' `∂O`).
  /// - Returns: gradients shaped as the tape's maps; rows after `row` are exactly 0.
  public func gradients(
    row: Int, seed: UnsafeBufferPointer<Float>, decoder: WhisperDecoder, audio: WhisperDecoder.AudioContext,
    outputs: DecoderBackwardOutputs = []
  ) -> AttentionGradients {
    let dims = decoder.dimensions
    precondition(row >= 0 && row < count, "gradients: row \(row) outside 0..<\(count)")
    precondition(seed.count == vocab, "gradients: seed has \(seed.count) entries, vocab is \(vocab)")
    precondition(
      dims.nTextState == width && dims.nTextHead == heads && dims.nVocab == vocab && decoder.blocks.count == layers
        && audio.frames == frames && audio.keys.count == layers,
      "gradients: decoder or audio context differ from the tape's")
    let d = width
    let rows = row + 1

    // ∂x after the last block, rows 0 ..< rows (row-major, width d).
    let dx = zeroed(rows * d)
    defer { dx.deallocate() }
    let dHidden = zeroed(d)
    defer { dHidden.deallocate() }
    withBases([decoder.tokenEmbedding, finalInput]) { p in
      // ∂ln(x)[row] = seed · E = Eᵀ seed   ([vocab, d]ᵀ · [vocab]; sgemv streams E once)
      cblas_sgemv(CblasRowMajor, CblasTrans, Int32(vocab), Int32(d), 1, p[0], Int32(d), seed.baseAddress!, 1, 0, dHidden, 1)
      decoder.finalNorm.backward(input: p[1] + row * d, outputGradient: dHidden, rows: 1, into: dx + row * d)
    }

    var cross = [[[Float]]](repeating: [], count: layers)
    var selfMaps = [[[Float]]](repeating: [], count: layers)
    let wantsEncoder = outputs.contains(.encoderOutput)
    let wantsOutputs = outputs.contains(.attentionOutputs)
    var encoderGradient = [Float](repeating: 0, count: wantsEncoder ? frames * d : 0)
    var crossOutput = [[Float]](repeating: [Float](repeating: 0, count: wantsOutputs ? count * d : 0), count: layers)
    var selfOutput = crossOutput
    var low = row  // rows below `low` carry no gradient yet
    for layer in (0..<layers).reversed() {
      let block = decoder.blocks[layer]
      let record = records[layer]
      mlpBackward(block.mlp, block.mlpNorm, record, dx: dx, low: low, rows: rows)
      if ablatedCrossLayers.contains(layer) {
        cross[layer] = [[Float]](repeating: [Float](repeating: 0, count: count * frames), count: heads)
      } else {
        let keyGradient = wantsEncoder ? zeroed(frames * d) : nil
        let valueGradient = wantsEncoder ? zeroed(frames * d) : nil
        defer {
          keyGradient?.deallocate()
          valueGradient?.deallocate()
        }
        cross[layer] = crossBackward(
          block.crossAttention, block.crossNorm, record, layer: layer, audio: audio, dx: dx, low: low, rows: rows,
          keyGradient: keyGradient, valueGradient: valueGradient,
          outputGradient: wantsOutputs ? { crossOutput[layer] = $0 } : nil)
        if let keyGradient, let valueGradient {
          // ∂enc += ∂K' W'_k + ∂V' W'_v   (K' = enc W'_kᵀ, V' = enc W'_vᵀ + b)
          withBases([block.crossAttention.key.weight, block.crossAttention.value.weight]) { w in
            encoderGradient.withUnsafeMutableBufferPointer { e in
              gemm(false, false, m: frames, n: d, k: d, keyGradient, lda: d, w[0], ldb: d, beta: 1, e.baseAddress!, ldc: d)
              gemm(false, false, m: frames, n: d, k: d, valueGradient, lda: d, w[1], ldb: d, beta: 1, e.baseAddress!, ldc: d)
            }
          }
        }
      }
      selfMaps[layer] = selfBackward(
        block.selfAttention, block.selfNorm, record, layer: layer, dx: dx, low: low, rows: rows,
        propagate: layer > 0, outputGradient: wantsOutputs ? { selfOutput[layer] = $0 } : nil)
      low = 0
    }
    var result = AttentionGradients(crossAttention: cross, selfAttention: selfMaps)
    if wantsEncoder { result.encoderOutput = encoderGradient }
    if wantsOutputs {
      result.crossOutput = crossOutput
      result.selfOutput = selfOutput
    }
    return result
  }

  /// The gradients of `log p(token | row)` under the full softmax (docs/methods.md,
  /// "Gradient modulation"): `seed = onehot(token) − softmax(logits[row])`.
  /// - Parameters:
  ///   - row: query position, `0 ..< count`; it predicts the token at `row + 1`.
  ///   - token: the target token id.
  ///   - decoder: the decoder the tape was recorded with.
  ///   - audio: the audio context the tape was recorded with.
  public func gradientsOfLogProb(
    row: Int, token: Int, decoder: WhisperDecoder, audio: WhisperDecoder.AudioContext,
    outputs: DecoderBackwardOutputs = []
  ) -> AttentionGradients {
    precondition(row >= 0 && row < count && token >= 0 && token < vocab, "gradientsOfLogProb: row or token out of range")
    var seed = [Float](repeating: 0, count: vocab)
    logits.withUnsafeBufferPointer { z in
      seed.withUnsafeMutableBufferPointer { s in
        let logit = z.baseAddress! + row * vocab
        let normaliser = Softmax.logSumExp(logit, count: vocab)
        for v in 0..<vocab { s[v] = -expf(logit[v] - normaliser) }
        s[token] += 1
      }
    }
    return seed.withUnsafeBufferPointer {
      gradients(row: row, seed: $0, decoder: decoder, audio: audio, outputs: outputs)
    }
  }

  /// The gradients of the raw logit `logits[row, token]`: `seed = onehot(token)`.
  /// - Parameters:
  ///   - row: query position, `0 ..< count`.
  ///   - token: the token id whose logit is the target.
  ///   - decoder: the decoder the tape was recorded with.
  ///   - audio: the audio context the tape was recorded with.
  public func gradientsOfLogit(
    row: Int, token: Int, decoder: WhisperDecoder, audio: WhisperDecoder.AudioContext,
    outputs: DecoderBackwardOutputs = []
  ) -> AttentionGradients {
    precondition(token >= 0 && token < vocab, "gradientsOfLogit: token out of range")
    var seed = [Float](repeating: 0, count: vocab)
    seed[token] = 1
    return seed.withUnsafeBufferPointer {
      gradients(row: row, seed: $0, decoder: decoder, audio: audio, outputs: outputs)
    }
  }

  // MARK: - Sublayers

  /// MLP sublayer, rows `low ..< rows`: `∂x += ln′ᵀ((gelu′(u) ⊙ (∂x W₂)) W₁)`.
  private func mlpBackward(
    _ mlp: MLPWeights, _ norm: LayerNorm, _ record: LayerRecord,
    dx: UnsafeMutablePointer<Float>, low: Int, rows: Int
  ) {
    let d = width
    let hidden = mlp.fc1.outFeatures
    let n = rows - low
    let dOut = zeroed(n * hidden)
    let dPre = zeroed(n * hidden)
    let dNormed = zeroed(n * d)
    defer {
      dOut.deallocate()
      dPre.deallocate()
      dNormed.deallocate()
    }
    withBases([mlp.fc2.weight, mlp.fc1.weight, record.mlpHidden, record.mlpInput]) { p in
      // W₂ is [d, 4d]: ∂g = ∂x · W₂.  W₁ is [4d, d]: ∂ln = ∂u · W₁.
      gemm(false, false, m: n, n: hidden, k: d, dx + low * d, lda: d, p[0], ldb: hidden, dOut, ldc: hidden)
      GELU.backward(input: p[2] + low * hidden, outputGradient: dOut, count: n * hidden, into: dPre)
      gemm(false, false, m: n, n: d, k: hidden, dPre, lda: hidden, p[1], ldb: d, dNormed, ldc: d)
      norm.backward(input: p[3] + low * d, outputGradient: dNormed, rows: n, into: dx + low * d)
    }
  }

  /// Cross-attention sublayer, rows `low ..< rows`. Returns `∂A[layer][h]` `[T, F]` per head and
  /// adds the query path's gradient to `dx`; when given, writes `∂K'` and `∂V'` `[F, d]` into
  /// the (zeroed) key and value gradients and hands `∂O` `[T, d]` to `outputGradient`.
  private func crossBackward(
    _ weights: AttentionWeights, _ norm: LayerNorm, _ record: LayerRecord, layer: Int,
    audio: WhisperDecoder.AudioContext, dx: UnsafeMutablePointer<Float>, low: Int, rows: Int,
    keyGradient: UnsafeMutablePointer<Float>? = nil, valueGradient: UnsafeMutablePointer<Float>? = nil,
    outputGradient: (([Float]) -> Void)? = nil
  ) -> [[Float]] {
    let d = width
    let f = frames
    let dHead = d / heads
    let scale = 1 / Float(dHead).squareRoot()
    let n = rows - low
    let dMixed = zeroed(n * d)
    let dQuery = zeroed(n * d)
    let dScores = zeroed(n * f)
    let dNormed = zeroed(n * d)
    defer {
      dMixed.deallocate()
      dQuery.deallocate()
      dScores.deallocate()
      dNormed.deallocate()
    }
    var maps: [[Float]] = []
    maps.reserveCapacity(heads)
    let crossQuery = keyGradient == nil || record.crossQuery.isEmpty ? [0] : record.crossQuery
    withBases([
      weights.out.weight, weights.query.weight, audio.keys[layer], audio.values[layer], record.crossInput, crossQuery,
    ]) { p in
      let (outW, queryW, keys, values, input) = (p[0], p[1], p[2], p[3], p[4])
      outProjectionBackward(outW, dx: dx, low: low, rows: n, into: dMixed, outputGradient: outputGradient)
      for h in 0..<heads {
        var g = [Float](repeating: 0, count: count * f)
        crossAttention[layer][h].withUnsafeBufferPointer { a in
          g.withUnsafeMutableBufferPointer { g in
            let dA = g.baseAddress! + low * f
            // ∂A_h = ∂O_h · V'_hᵀ   [n, F]
            gemm(false, true, m: n, n: f, k: dHead, dMixed + h * dHead, lda: d, values + h * dHead, ldb: d, dA, ldc: f)
            dScores.update(repeating: 0, count: n * f)
            Softmax.backward(
              probabilities: a.baseAddress! + low * f, outputGradient: dA, rows: n, width: f, into: dScores)
            // ∂Q'_h = ∂Z_h · K'_h / √d_h   [n, d_h]
            gemm(
              false, false, m: n, n: dHead, k: f, alpha: scale, dScores, lda: f, keys + h * dHead, ldb: d,
              dQuery + h * dHead, ldc: d)
            if let keyGradient, let valueGradient {
              // ∂K'_h = ∂Z_hᵀ Q'_h / √d_h,  ∂V'_h = A_hᵀ ∂O_h   [F, d_h]
              gemm(
                true, false, m: f, n: dHead, k: n, alpha: scale, dScores, lda: f, p[5] + low * d + h * dHead, ldb: d,
                keyGradient + h * dHead, ldc: d)
              gemm(
                true, false, m: f, n: dHead, k: n, a.baseAddress! + low * f, lda: f, dMixed + h * dHead, ldb: d,
                valueGradient + h * dHead, ldc: d)
            }
          }
        }
        maps.append(g)
      }
      // ∂ln = ∂Q' · W'_q;  ∂x += ln′ᵀ ∂ln
      gemm(false, false, m: n, n: d, k: d, dQuery, lda: d, queryW, ldb: d, dNormed, ldc: d)
      norm.backward(input: input + low * d, outputGradient: dNormed, rows: n, into: dx + low * d)
    }
    return maps
  }

  /// Causal self-attention sublayer, query rows `low ..< rows`, key rows `0 ..< rows`. Returns
  /// `∂S[layer][h]` `[T, T]` per head; when `propagate`, adds the q, k and v paths' gradient to
  /// `dx` (rows `0 ..< rows`).
  private func selfBackward(
    _ weights: AttentionWeights, _ norm: LayerNorm, _ record: LayerRecord, layer: Int,
    dx: UnsafeMutablePointer<Float>, low: Int, rows: Int, propagate: Bool, outputGradient: (([Float]) -> Void)? = nil
  ) -> [[Float]] {
    let d = width
    let t = count
    let dHead = d / heads
    let scale = 1 / Float(dHead).squareRoot()
    let n = rows - low
    let dMixed = zeroed(n * d)
    let dQuery = zeroed(n * d)
    let dKey = zeroed(rows * d)
    let dValue = zeroed(rows * d)
    let dScores = zeroed(n * t)
    let dNormed = zeroed(rows * d)
    defer {
      for buffer in [dMixed, dQuery, dKey, dValue, dScores, dNormed] { buffer.deallocate() }
    }
    var maps: [[Float]] = []
    maps.reserveCapacity(heads)
    withBases([
      weights.out.weight, weights.query.weight, weights.key.weight, weights.value.weight,
      record.query, record.key, record.value, record.selfInput,
    ]) { p in
      let (outW, queryW, keyW, valueW) = (p[0], p[1], p[2], p[3])
      let (query, key, value, input) = (p[4], p[5], p[6], p[7])
      outProjectionBackward(outW, dx: dx, low: low, rows: n, into: dMixed, outputGradient: outputGradient)
      for h in 0..<heads {
        var g = [Float](repeating: 0, count: t * t)
        selfAttention[layer][h].withUnsafeBufferPointer { s in
          g.withUnsafeMutableBufferPointer { g in
            let dS = g.baseAddress! + low * t
            // ∂S_h = ∂O_h · V_hᵀ   [n, rows], then the masked entries j > i back to 0.
            gemm(false, true, m: n, n: rows, k: dHead, dMixed + h * dHead, lda: d, value + h * dHead, ldb: d, dS, ldc: t)
            for i in low..<rows {
              let line = g.baseAddress! + i * t
              for j in (i + 1)..<max(i + 1, rows) { line[j] = 0 }
            }
            guard propagate else { return }
            let probabilities = s.baseAddress! + low * t
            dScores.update(repeating: 0, count: n * t)
            Softmax.backward(
              probabilities: probabilities, outputGradient: dS, rows: n, width: rows, stride: t,
              valid: { low + $0 + 1 }, into: dScores)
            // ∂Q_h = ∂Z_h K_h / √d_h   [n, d_h]
            gemm(
              false, false, m: n, n: dHead, k: rows, alpha: scale, dScores, lda: t, key + h * dHead, ldb: d,
              dQuery + h * dHead, ldc: d)
            // ∂K_h = ∂Z_hᵀ Q_h / √d_h   [rows, d_h]
            gemm(
              true, false, m: rows, n: dHead, k: n, alpha: scale, dScores, lda: t, query + low * d + h * dHead,
              ldb: d, dKey + h * dHead, ldc: d)
            // ∂V_h = S_hᵀ ∂O_h   [rows, d_h]
            gemm(
              true, false, m: rows, n: dHead, k: n, probabilities, lda: t, dMixed + h * dHead, ldb: d,
              dValue + h * dHead, ldc: d)
          }
        }
        maps.append(g)
      }
      guard propagate else { return }
      // ∂ln = ∂Q W_q + ∂K W_k + ∂V W_v  (∂Q only on rows low ..< rows);  ∂x += ln′ᵀ ∂ln
      gemm(false, false, m: n, n: d, k: d, dQuery, lda: d, queryW, ldb: d, dNormed + low * d, ldc: d)
      gemm(false, false, m: rows, n: d, k: d, dKey, lda: d, keyW, ldb: d, beta: 1, dNormed, ldc: d)
      gemm(false, false, m: rows, n: d, k: d, dValue, lda: d, valueW, ldb: d, beta: 1, dNormed, ldc: d)
      norm.backward(input: input, outputGradient: dNormed, rows: rows, into: dx)
    }
    return maps
  }

  /// The out projection of an attention sublayer, rows `low ..< low + n`: `∂O = ∂x · W_o`
  /// (`W_o` is `[d, d]`, `y = O W_oᵀ + b`) into `dMixed` `[n, d]`; when given, `outputGradient`
  /// receives `∂O` as `[T, d]`, zero outside those rows.
  private func outProjectionBackward(
    _ outWeight: UnsafePointer<Float>, dx: UnsafePointer<Float>, low: Int, rows n: Int,
    into dMixed: UnsafeMutablePointer<Float>, outputGradient: (([Float]) -> Void)?
  ) {
    let d = width
    gemm(false, false, m: n, n: d, k: d, dx + low * d, lda: d, outWeight, ldb: d, dMixed, ldc: d)
    if let outputGradient {
      var full = [Float](repeating: 0, count: count * d)
      for i in 0..<(n * d) { full[low * d + i] = dMixed[i] }
      outputGradient(full)
    }
  }
}

// MARK: - Helpers

/// A zero-filled buffer of `count` floats (at least one); the caller deallocates it.
private func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
  let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
  buffer.initialize(repeating: 0, count: max(count, 1))
  return buffer
}

/// Calls `body` with the base addresses of non-empty `arrays`, valid for the call only.
private func withBases<R>(_ arrays: [[Float]], _ body: ([UnsafePointer<Float>]) -> R) -> R {
  var bases: [UnsafePointer<Float>] = []
  bases.reserveCapacity(arrays.count)
  func nest(_ i: Int) -> R {
    if i == arrays.count { return body(bases) }
    return arrays[i].withUnsafeBufferPointer { buffer in
      bases.append(buffer.baseAddress!)
      return nest(i + 1)
    }
  }
  return nest(0)
}
