/// Every explanation method leafx computes (docs/methods.md), by its command-line name.
public enum AttributionMethod: String, Sendable, CaseIterable {
  /// Last-layer cross-attention, mean over heads.
  case raa
  /// Cross-attention, mean over every layer and head.
  case raaMean = "raa-mean"
  /// Rollout of mean-head maps with Chefer's rule 10 (no entropy, no gradient).
  case rollout
  /// Chefer et al. ICCV 2021: rollout of `mean_h (∂logit/∂A ⊙ A)⁺`.
  case gradRollout = "grad-rollout"
  /// LEAF-X exactly as the paper writes it: entropy-weighted heads, rollout.
  case leafxPaper = "leafx-paper"
  /// … with gradient modulation `A ← rownorm((∂log p/∂A ⊙ A)⁺)`.
  case leafxPaperGrad = "leafx-paper-grad"
  /// … with gradient modulation and causal layer reweighting.
  case leafxPaperCausal = "leafx-paper-causal"
  /// The product's LEAF-X (Methods/LeafX.swift, docs/leafx.md): padding-aware entropy
  /// weighting of heads, depth aggregation without doubling over the last third of the layers.
  case leafx
  /// … with gradient-relevance head weighting.
  case leafxGrad = "leafx-grad"
  /// … with gradient relevance and causal (mean-ablation) layer reweighting: the full method.
  case leafxCausal = "leafx-causal"
  /// A seeded random map: the floor every method must beat.
  case random
  /// Ablations of `leafx-causal` (docs/leafx.md): heads averaged instead of entropy-weighted;
  /// the last layer alone (no rollout across depth); no gradient modulation; encoder
  /// position j read as frame j instead of through its footprint (EncoderFootprint.swift).
  case leafxCausalMeanHeads = "leafx-causal-mean-heads"
  case leafxCausalOneLayer = "leafx-causal-one-layer"
  case leafxCausalNoGradient = "leafx-causal-no-grad"
  case leafxCausalNoFootprint = "leafx-causal-no-footprint"
  /// Integrated gradients of log p(y_t) on the log-mel, silence baseline (Methods/IntegratedGradients.swift).
  case ig
  /// Transformer Attribution (Chefer CVPR 2021), adapted to Whisper (Methods/TransformerAttribution.swift).
  case ta
  /// Occlusion: the drop of log p when a sliding window of frames is silenced (docs/methods.md,
  /// "Baselines").
  case specmask
  /// LIME over 100 ms segments: weighted ridge regression on random segment masks.
  case lime
  /// KernelSHAP over 100 ms segments: Shapley-kernel weighted regression with efficiency.
  case kernelshap

  /// True when the method needs the decoder's backward pass.
  public var needsGradients: Bool { entry.reads.contains(.gradients) }

  /// True when the method needs one ablation pass per decoder layer.
  public var needsAblations: Bool { entry.reads.contains(.ablations) }

  /// The rollout depth `RolloutDepth.methodDefault` stands for: the last third of the decoder
  /// for the product's LEAF-X (docs/leafx.md: early layers look at padding and sinks, middle
  /// ones at neighbouring words), the last layer for its one-layer ablation, every layer for
  /// the paper's equations and the rollout baselines.
  public var defaultDepth: RolloutDepth { entry.defaultDepth }

  /// True when the method re-runs leafx's own model (captured attention cannot serve it).
  public var needsModel: Bool { entry.reads.contains(.model) }

  /// True when the method re-scores the tokens with audio removed (`MaskedScorer`): it
  /// needs leafx's own engine and costs one encoder and decoder pass per mask.
  public var needsMaskedScoring: Bool { entry.reads.contains(.maskedScoring) }

  /// True for the ablations of `leafx-causal` (docs/leafx.md, "Ablations"): variants the
  /// benchmark compares to measure each part of the method, not methods to explain with.
  public var isAblation: Bool { entry.isAblation }

  /// The methods to explain with, in `allCases` order: every case but the ablations.
  public static var methods: [AttributionMethod] { allCases.filter { !$0.isAblation } }

  /// The ablations of `leafx-causal` (`isAblation`), in `allCases` order.
  public static var ablations: [AttributionMethod] { allCases.filter(\.isAblation) }

  /// Parses a name (an ablation's too), with an error listing the methods; the ablations
  /// are mentioned apart, not listed as methods.
  public static func named(_ name: String) throws -> AttributionMethod {
    guard let method = AttributionMethod(rawValue: name) else {
      throw LeafXError.invalidArgument(
        argument: "method",
        reason: "unknown method \"\(name)\"; one of \(methods.map(\.rawValue).joined(separator: ", ")) "
          + "(or an ablation of leafx-causal, listed apart by `leafx explain --help` and leafx.h)")
    }
    return method
  }
}

/// Which decoder layers the rollout runs through (docs/methods.md, "Rollout through the decoder").
public enum RolloutDepth: String, Sendable, CaseIterable {
  /// The method's own default (`AttributionMethod.defaultDepth`).
  case methodDefault = "default"
  case full
  case lastHalf = "last-half"
  case middleHalf = "middle-half"
  /// The last ⌈L/3⌉ layers (tiny: 2 of 4, base: 2 of 6, small: 4 of 12): where Whisper's
  /// cross-attention follows the current word (docs/leafx.md, per-layer tables).
  case lastThird = "last-third"
  /// The last layer alone.
  case one = "1"

  /// The layer indices for a decoder of `layers` layers.
  public func layers(of layers: Int) -> Range<Int> {
    switch self {
    case .methodDefault, .full: return 0..<layers
    case .lastHalf: return (layers / 2)..<layers
    case .lastThird: return max(0, layers - (layers + 2) / 3)..<layers
    case .middleHalf:
      let start = layers / 4
      return start..<min(layers, start + max(1, layers / 2))
    case .one: return max(0, layers - 1)..<layers
    }
  }
}

/// Parameters of an explanation; mirrors `leafx_explain_params`.
public struct ExplainOptions: Sendable, Equatable {
  public var method: AttributionMethod = .leafx
  /// Entropy temperature τ of the head weighting (> 0).
  public var tau: Float = 1
  /// ε inside the entropy's logarithm and the causal weights' denominator.
  public var epsilon: Float = 1e-8
  public var depth: RolloutDepth = .methodDefault
  /// Seed of the `random` method, and of the masks `lime` and `kernelshap` sample.
  public var seed: UInt64 = 0
  /// Quadrature nodes of `ig` (Gauss–Legendre on [0, 1]); 1 ... 1024, default 32 (docs/methods.md,
  /// "Baselines").
  public var steps: Int = 32
  /// `specmask`: occluded frames per window (20 ms each; default 10 = 200 ms), ≥ 1.
  public var occlusionWindow: Int = 10
  /// `specmask`: frames between window starts (default 5), 1 ... `occlusionWindow`, so that
  /// every frame is covered.
  public var occlusionStride: Int = 5
  /// `lime`, `kernelshap`: masked inputs scored per window (default 200), ≥ 2.
  public var samples: Int = 200
  /// `lime`, `kernelshap`: frames per feature segment (default 5 = 100 ms), ≥ 1.
  public var segmentFrames: Int = 5
  /// Check each word by silencing its attribution's half-mass span (`SilenceCheck`): one
  /// masked pass per word and method. Default off.
  public var verify = false

  public init(
    method: AttributionMethod = .leafx, tau: Float = 1, epsilon: Float = 1e-8, depth: RolloutDepth = .methodDefault,
    seed: UInt64 = 0, steps: Int = 32, occlusionWindow: Int = 10, occlusionStride: Int = 5, samples: Int = 200,
    segmentFrames: Int = 5
  ) {
    self.method = method
    self.tau = tau
    self.epsilon = epsilon
    self.depth = depth
    self.seed = seed
    self.steps = steps
    self.occlusionWindow = occlusionWindow
    self.occlusionStride = occlusionStride
    self.samples = samples
    self.segmentFrames = segmentFrames
  }

  /// The decoder layers the method reads: `depth`, or the method's default depth.
  public func layers(of count: Int) -> Range<Int> {
    (depth == .methodDefault ? method.defaultDepth : depth).layers(of: count)
  }

  public func validate() throws {
    guard (1...1024).contains(steps) else {
      throw LeafXError.invalidArgument(argument: "steps", reason: "\(steps) must be in 1...1024")
    }
    guard tau.isFinite, tau > 0 else {
      throw LeafXError.invalidArgument(argument: "tau", reason: "\(tau) must be a finite number > 0")
    }
    guard epsilon.isFinite, epsilon > 0, epsilon < 1 else {
      throw LeafXError.invalidArgument(argument: "epsilon", reason: "\(epsilon) must be in (0, 1)")
    }
    // Upper bounds keep a mistyped value from asking for days of encoder passes; a 30 s
    // window has 1500 frames.
    guard (1...1500).contains(occlusionWindow) else {
      throw LeafXError.invalidArgument(argument: "occlusionWindow", reason: "\(occlusionWindow) frames must be in 1...1500 (20 ms each)")
    }
    guard (1...occlusionWindow).contains(occlusionStride) else {
      throw LeafXError.invalidArgument(
        argument: "occlusionStride", reason: "\(occlusionStride) frames must be in 1...\(occlusionWindow) (the window) so every frame is covered")
    }
    guard (2...100_000).contains(samples) else {
      throw LeafXError.invalidArgument(argument: "samples", reason: "\(samples) must be in 2...100000")
    }
    guard (1...1500).contains(segmentFrames) else {
      throw LeafXError.invalidArgument(argument: "segmentFrames", reason: "\(segmentFrames) frames must be in 1...1500 (20 ms each)")
    }
  }
}
