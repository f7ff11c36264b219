// The hand-written backward pass of a recorded encoder pass (EncoderTape.swift): from
// `∂target/∂encoded` `[n, d]` to `∂target/∂mel` `[n_mels, 2n]`, the input gradient that
// integrated gradients (docs/methods.md, "Baselines", `ig`) integrates. No parameter gradients are
// formed.
//
// Priorities: correctness first (each step is the exact derivative of the tape's forward;
// EncoderBackwardTests checks the chain decoder → encoder → log-mel against central finite
// differences of an independent Double reference), then determinism (no threads of its own),
// then speed: every product is one sgemm over all n positions; attention probabilities come
// from the tape, or are recomputed per head when the tape did not keep them (see
// EncoderTape.probabilityBudget). Cost ≈ 1.5–2× the encoder forward.

extension EncoderTape {
  /// Backpropagates `∂target/∂encoded` to the log-mel input:
  ///
  /// ```
  /// ln_post:  ∂x = ln′ᵀ ∂encoded
  /// per block b = B−1 … 0 (x_out = x_in + f(ln(x_in)) ⇒ ∂x_in = ∂x_out + ln′ᵀ f′ᵀ ∂x_out):
  ///   MLP:   ∂g = ∂x W₂,  ∂u = gelu′(u) ⊙ ∂g,  ∂x += ln′ᵀ(∂u W₁)
  ///   attn:  ∂O = ∂x W_o;  P_h = softmax(Q_h K_hᵀ/√d_h) (recomputed);  ∂P_h = ∂O_h V_hᵀ
  ///          ∂Z_h = P_h ⊙ (∂P_h − rowsum(P_h ⊙ ∂P_h))
  ///          ∂Q_h = ∂Z_h K_h/√d_h,  ∂K_h = ∂Z_hᵀ Q_h/√d_h,  ∂V_h = P_hᵀ ∂O_h
  ///          ∂x += ln′ᵀ(∂Q W_q + ∂K W_k + ∂V W_v)
  /// positions: ∂h₂ = ∂x⁰ᵀ  [d, n]  (the positional table is a constant)
  /// stem:  ∂u₂ = gelu′(u₂) ⊙ ∂h₂;  ∂h₁ = conv2ᵀ ∂u₂;  ∂u₁ = gelu′(u₁) ⊙ ∂h₁;  ∂mel = conv1ᵀ ∂u₁
  /// ```
  /// - Parameters:
  ///   - outputGradient: `∂target/∂encoded`, `[n, d]`.
  ///   - encoder: the encoder the tape was recorded with.
  /// - Returns: `∂target/∂mel`, `[n_mels, 2n]` row-major (mel bin major, as the encoder input).
  public func inputGradient(outputGradient: [Float], encoder: WhisperEncoder) -> [Float] {
    let dims = encoder.dimensions
    let n = positions
    let d = width
    precondition(outputGradient.count == n * d, "EncoderTape.inputGradient: gradient of \(outputGradient.count) values, expected \(n)×\(d)")
    precondition(dims.nAudioState == d && dims.nAudioCtx == n && encoder.blocks.count == blocks.count, "EncoderTape: another encoder")

    var dx = [Float](repeating: 0, count: n * d)
    finalInput.withUnsafeBufferPointer { x in
      outputGradient.withUnsafeBufferPointer { g in
        dx.withUnsafeMutableBufferPointer { dx in
          encoder.finalNorm.backward(input: x.baseAddress!, outputGradient: g.baseAddress!, rows: n, into: dx.baseAddress!)
        }
      }
    }
    for (index, block) in encoder.blocks.enumerated().reversed() {
      let record = blocks[index]
      mlpBackward(block, record, dx: &dx)
      attentionBackward(block, record, heads: dims.nAudioHead, dx: &dx)
    }

    // ∂h₂[c, t] = ∂x⁰[t, c], then the stem.
    var dStem = [Float](repeating: 0, count: d * n)
    for t in 0..<n {
      for c in 0..<d { dStem[c * n + t] = dx[t * d + c] }
    }
    let dU2 = scaled(dStem, by: conv2Slope)
    let dH1 = encoder.conv2.backward(outputGradient: dU2, length: encoder.inputFrames)
    let dU1 = scaled(dH1, by: conv1Slope)
    return encoder.conv1.backward(outputGradient: dU1, length: encoder.inputFrames)
  }

  /// MLP sublayer: `∂x += ln′ᵀ((gelu′(u) ⊙ (∂x W₂)) W₁)`.
  private func mlpBackward(_ block: WhisperEncoder.Block, _ record: BlockRecord, dx: inout [Float]) {
    let n = positions
    let d = width
    let hidden = block.mlp.fc1.outFeatures
    var dOut = [Float](repeating: 0, count: n * hidden)
    dx.withUnsafeBufferPointer { dx in
      block.mlp.fc2.weight.withUnsafeBufferPointer { w2 in
        dOut.withUnsafeMutableBufferPointer { o in
          // W₂ is [d, 4d]: ∂g = ∂x · W₂
          gemm(false, false, m: n, n: hidden, k: d, dx.baseAddress!, lda: d, w2.baseAddress!, ldb: hidden, o.baseAddress!, ldc: hidden)
        }
      }
    }
    let dPre = scaled(dOut, by: record.mlpSlope)
    var dNormed = [Float](repeating: 0, count: n * d)
    dPre.withUnsafeBufferPointer { u in
      block.mlp.fc1.weight.withUnsafeBufferPointer { w1 in
        dNormed.withUnsafeMutableBufferPointer { o in
          gemm(false, false, m: n, n: d, k: hidden, u.baseAddress!, lda: hidden, w1.baseAddress!, ldb: d, o.baseAddress!, ldc: d)
        }
      }
    }
    normBackward(block.mlpNorm, input: record.mlpInput, dNormed, dx: &dx)
  }

  /// Attention sublayer (bidirectional): adds the q, k and v paths' gradient to `dx`.
  private func attentionBackward(_ block: WhisperEncoder.Block, _ record: BlockRecord, heads: Int, dx: inout [Float]) {
    let n = positions
    let d = width
    let dHead = d / heads
    let scale = 1 / Float(dHead).squareRoot()
    let w = block.attention
    var dMixed = [Float](repeating: 0, count: n * d)
    var dQuery = [Float](repeating: 0, count: n * d)
    var dKey = [Float](repeating: 0, count: n * d)
    var dValue = [Float](repeating: 0, count: n * d)
    var probabilities = [Float](repeating: 0, count: n * n)
    var dProbabilities = [Float](repeating: 0, count: n * n)
    var dScores = [Float](repeating: 0, count: n * n)
    dx.withUnsafeBufferPointer { dx in
      w.out.weight.withUnsafeBufferPointer { wo in
        dMixed.withUnsafeMutableBufferPointer { o in
          gemm(false, false, m: n, n: d, k: d, dx.baseAddress!, lda: d, wo.baseAddress!, ldb: d, o.baseAddress!, ldc: d)
        }
      }
    }
    record.query.withUnsafeBufferPointer { q in
      record.key.withUnsafeBufferPointer { k in
        record.value.withUnsafeBufferPointer { v in
          dMixed.withUnsafeBufferPointer { dO in
            probabilities.withUnsafeMutableBufferPointer { p in
              dProbabilities.withUnsafeMutableBufferPointer { dP in
                dScores.withUnsafeMutableBufferPointer { dZ in
                  dQuery.withUnsafeMutableBufferPointer { dQ in
                    dKey.withUnsafeMutableBufferPointer { dK in
                      dValue.withUnsafeMutableBufferPointer { dV in
                        let (q, k, v, dO) = (q.baseAddress!, k.baseAddress!, v.baseAddress!, dO.baseAddress!)
                        let (p, dP, dZ) = (p.baseAddress!, dP.baseAddress!, dZ.baseAddress!)
                        for h in 0..<heads {
                          let c = h * dHead
                          func headBackward(_ p: UnsafePointer<Float>) {
                          // ∂P_h = ∂O_h V_hᵀ
                          gemm(false, true, m: n, n: n, k: dHead, dO + c, lda: d, v + c, ldb: d, dP, ldc: n)
                          dZ.update(repeating: 0, count: n * n)
                          Softmax.backward(probabilities: p, outputGradient: dP, rows: n, width: n, into: dZ)
                          gemm(false, false, m: n, n: dHead, k: n, alpha: scale, dZ, lda: n, k + c, ldb: d, dQ.baseAddress! + c, ldc: d)
                          gemm(true, false, m: n, n: dHead, k: n, alpha: scale, dZ, lda: n, q + c, ldb: d, dK.baseAddress! + c, ldc: d)
                          gemm(true, false, m: n, n: dHead, k: n, p, lda: n, dO + c, ldb: d, dV.baseAddress! + c, ldc: d)
                          }
                          if record.probabilities.count == heads {
                            record.probabilities[h].withUnsafeBufferPointer { headBackward($0.baseAddress!) }
                          } else {
                            // P_h, exactly as the recorded forward keeps it.
                            Attention.probabilities(
                              q: q, k: k, tq: n, tk: n, width: d, heads: heads, head: h, causalOffset: nil, into: p)
                            headBackward(p)
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    // ∂ln = ∂Q W_q + ∂K W_k + ∂V W_v
    var dNormed = [Float](repeating: 0, count: n * d)
    dNormed.withUnsafeMutableBufferPointer { o in
      for (gradient, weight, beta) in [(dQuery, w.query.weight, Float(0)), (dKey, w.key.weight, 1), (dValue, w.value.weight, 1)] {
        gradient.withUnsafeBufferPointer { g in
          weight.withUnsafeBufferPointer { wt in
            gemm(false, false, m: n, n: d, k: d, g.baseAddress!, lda: d, wt.baseAddress!, ldb: d, beta: beta, o.baseAddress!, ldc: d)
          }
        }
      }
    }
    normBackward(block.attentionNorm, input: record.attentionInput, dNormed, dx: &dx)
  }

  /// `dx += ln′ᵀ dNormed` over the n rows.
  private func normBackward(_ norm: LayerNorm, input: [Float], _ dNormed: [Float], dx: inout [Float]) {
    input.withUnsafeBufferPointer { x in
      dNormed.withUnsafeBufferPointer { g in
        dx.withUnsafeMutableBufferPointer { dx in
          norm.backward(input: x.baseAddress!, outputGradient: g.baseAddress!, rows: positions, into: dx.baseAddress!)
        }
      }
    }
  }
}

/// `gradient ⊙ slope` as a new array: GELU's backward with its slope `gelu′(u)` from the tape.
private func scaled(_ gradient: [Float], by slope: [Float]) -> [Float] {
  precondition(gradient.count == slope.count, "EncoderTape: \(gradient.count) gradients for \(slope.count) slopes")
  return [Float](unsafeUninitializedCapacity: slope.count) { out, initialized in
    gradient.withUnsafeBufferPointer { g in
      slope.withUnsafeBufferPointer { s in
        for i in 0..<s.count { out[i] = g[i] * s[i] }
      }
    }
    initialized = slope.count
  }
}
