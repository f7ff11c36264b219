/// Every method in one table (docs/methods.md): what it reads besides the attention trace, its
/// default rollout depth, whether it is an ablation, and how it runs over one window. Adding a
/// method is a case in `AttributionMethod` plus an entry here (and the method's own file).
struct MethodEntry {
  /// What a method reads besides the attention trace.
  struct Reads: OptionSet {
    let rawValue: Int
    /// The decoder's backward pass (per explained token).
    static let gradients = Reads(rawValue: 1)
    /// One ablated decoder pass per layer.
    static let ablations = Reads(rawValue: 2)
    /// leafx's own model: captured attention cannot serve it.
    static let model = Reads(rawValue: 4)
    /// Re-scoring with audio removed (`MaskedScorer`): leafx's own engine, one encoder and
    /// decoder pass per mask.
    static let maskedScoring = Reads(rawValue: 8)
  }

  var reads: Reads = []
  /// The layers `RolloutDepth.methodDefault` stands for.
  var defaultDepth: RolloutDepth = .full
  /// A variant the benchmark compares to measure one part of `leafx-causal`, not a method to
  /// explain with (docs/leafx.md, "Ablations").
  var isAblation = false
  /// Which parts of the product's LEAF-X run, for its variants.
  var leafxRecipe: LeafX.Recipe? = nil
  /// Per explained row, a non-negative (unnormalised) map over the window's audio frames.
  let run: (_ window: any AttributionInputs, _ options: ExplainOptions, _ layers: Range<Int>) throws -> [[Float]]
}

extension AttributionMethod {
  /// This method's entry of the table.
  var entry: MethodEntry {
    switch self {
    case .raa:
      return MethodEntry { window, _, _ in
        let trace = window.trace
        return window.rows.map { RawAttention.attribution(trace, row: $0, layers: (trace.layers - 1)..<trace.layers) }
      }
    case .raaMean:
      return MethodEntry { window, _, _ in
        window.rows.map { RawAttention.attribution(window.trace, row: $0, layers: 0..<window.trace.layers) }
      }
    case .rollout:
      return MethodEntry { window, _, layers in AttentionRollout.attributions(window.trace, rows: window.rows, layers: layers) }
    case .gradRollout:
      return MethodEntry(reads: .gradients) { window, _, layers in
        try window.rows.indices.map { k in
          GradientRollout.attribution(
            window.trace, row: window.rows[k], gradients: try window.gradients(k, of: .logit), layers: layers)
        }
      }
    case .leafxPaper:
      return MethodEntry { window, options, layers in
        LeafXPaper.attributions(window.trace, rows: window.rows, layers: layers, options: options)
      }
    case .leafxPaperGrad:
      return MethodEntry(reads: .gradients) { window, options, layers in
        try window.rows.indices.map { k in
          LeafXPaper.attribution(
            window.trace, row: window.rows[k], gradients: try window.gradients(k, of: .logProb), layers: layers,
            options: options, ablationDeltas: nil)
        }
      }
    case .leafxPaperCausal:
      return MethodEntry(reads: [.gradients, .ablations]) { window, options, layers in
        let deltas = try window.ablationDeltas()
        return try window.rows.indices.map { k in
          LeafXPaper.attribution(
            window.trace, row: window.rows[k], gradients: try window.gradients(k, of: .logProb), layers: layers,
            options: options, ablationDeltas: deltas.map { $0[k] })
        }
      }
    case .leafx: return Self.leafx(LeafX.Recipe())
    case .leafxGrad: return Self.leafx(LeafX.Recipe(gradient: true))
    case .leafxCausal: return Self.leafx(LeafX.Recipe(gradient: true, causal: true))
    case .leafxCausalMeanHeads: return Self.leafx(LeafX.Recipe(entropyHeads: false, gradient: true, causal: true), ablation: true)
    case .leafxCausalOneLayer: return Self.leafx(LeafX.Recipe(gradient: true, causal: true), depth: .one, ablation: true)
    case .leafxCausalNoGradient: return Self.leafx(LeafX.Recipe(gradient: false, causal: true), ablation: true)
    case .leafxCausalNoFootprint:
      return Self.leafx(LeafX.Recipe(gradient: true, causal: true, footprint: false), ablation: true)
    case .random:
      return MethodEntry { window, options, _ in
        RandomAttribution.attributions(
          rows: window.rows, frames: window.trace.frames, seed: options.seed, windowSeek: window.windowSeek)
      }
    case .ig:
      return MethodEntry(reads: .model) { window, options, _ in
        try IntegratedGradients.attributions(try window.engineWindow(), steps: options.steps)
      }
    case .ta:
      return MethodEntry(reads: .model) { window, _, layers in
        TransformerAttribution.attributions(try window.engineWindow(), frames: window.trace.frames, layers: layers)
      }
    case .specmask:
      return MethodEntry(reads: .maskedScoring) { window, options, _ in
        try SpectrogramOcclusion.attributions(
          try window.maskedScorer(), window: options.occlusionWindow, stride: options.occlusionStride)
      }
    case .lime:
      return MethodEntry(reads: .maskedScoring) { window, options, _ in
        try LIME.attributions(
          try window.maskedScorer(), segmentFrames: options.segmentFrames, samples: options.samples,
          seed: Self.windowSeed(options, window))
      }
    case .kernelshap:
      return MethodEntry(reads: .maskedScoring) { window, options, _ in
        try KernelSHAP.attributions(
          try window.maskedScorer(), segmentFrames: options.segmentFrames, samples: options.samples,
          seed: Self.windowSeed(options, window))
      }
    }
  }

  /// The product's LEAF-X with `recipe` (Methods/LeafX.swift): rollout over the last third of
  /// the decoder unless `depth` says otherwise.
  private static func leafx(_ recipe: LeafX.Recipe, depth: RolloutDepth = .lastThird, ablation: Bool = false) -> MethodEntry {
    var reads: MethodEntry.Reads = []
    if recipe.gradient { reads.insert(.gradients) }
    if recipe.causal { reads.insert(.ablations) }
    return MethodEntry(reads: reads, defaultDepth: depth, isAblation: ablation, leafxRecipe: recipe) {
      window, options, layers in
      try LeafX.attributions(
        window.trace, rows: window.rows, layers: layers, recipe: recipe, options: options,
        gradients: { try window.gradients($0, of: .logProb) },
        deltas: recipe.causal ? try window.meanAblationDeltas() : nil)
    }
  }

  /// The seed mixed with the window's start, so windows draw different masks (as `random`).
  private static func windowSeed(_ options: ExplainOptions, _ window: any AttributionInputs) -> UInt64 {
    options.seed &+ UInt64(truncatingIfNeeded: window.windowSeek) &* 0x9E37_79B9
  }
}
