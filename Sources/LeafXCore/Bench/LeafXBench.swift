import Synchronization

/// The LEAF-XBench runner (docs/metrics.md): decodes each utterance of a manifest
/// once, explains it with every method from the same decoding (each method timed on its own),
/// and scores every method with the chosen metrics. Per-utterance results go to a JSON Lines
/// file as each utterance finishes; a rerun with the same configuration skips what is there.
///
/// Priorities: the same seed gives the same numbers (the token subset, INF masks and noise
/// are seeded from `seed` and the utterance id, the `random` method from `seed` and the
/// window's position, and a method's numbers do not depend on which other methods run
/// beside it); then cost: the masks of every sampled token of one method and window go to the
/// MaskedScorer in one call, and the masks that do not depend on the token (unmasked, INF)
/// are shared by all tokens and methods.
public struct LeafXBench: Sendable {
  public let model: WhisperModel
  /// Name of the model in the results' configuration (`tiny.en`, a path…).
  public var modelName: String
  public var methods: [AttributionMethod]
  public var metrics: [BenchMetric]
  /// Seeds the token subset, the INF masks, the STAB noise and the `random` method.
  public var seed: UInt64
  /// Tokens per utterance on which the deletion, insertion and SaCo metrics run (a seeded
  /// sample; 0 = every token). INF, SPR, STAB and TLoc always use every token (word).
  public var tokensPerUtterance: Int
  public var options: ExplainOptions
  public var decoding: DecodingOptions

  public static let defaultTokensPerUtterance = 8

  public init(
    model: WhisperModel, modelName: String, methods: [AttributionMethod], metrics: [BenchMetric] = BenchMetric.allCases,
    seed: UInt64 = 0, tokensPerUtterance: Int = defaultTokensPerUtterance, options: ExplainOptions = ExplainOptions(),
    decoding: DecodingOptions = Explainer.defaultDecoding
  ) {
    self.model = model
    self.modelName = modelName
    self.methods = methods
    self.metrics = metrics
    self.seed = seed
    self.tokensPerUtterance = tokensPerUtterance
    self.options = options
    self.decoding = decoding
  }

  /// What changes the numbers, apart from the methods and metrics.
  public var config: String {
    Self.config(
      modelName: modelName, seed: seed, tokensPerUtterance: tokensPerUtterance, options: options, decoding: decoding)
  }

  /// The `config` of a benchmark with these settings, without loading its model.
  public static func config(
    modelName: String, seed: UInt64, tokensPerUtterance: Int, options: ExplainOptions,
    decoding: DecodingOptions = Explainer.defaultDecoding
  ) -> String {
    "model=\(modelName) seed=\(seed) tokens=\(tokensPerUtterance) tau=\(options.tau) depth=\(options.depth.rawValue) "
      + "beam=\(decoding.beamSize) timestamps=\(!decoding.withoutTimestamps)"
  }

  /// What `results` already holds for `utterances` × `methods` under `config`, in manifest
  /// order, computing nothing (`leafx bench --report-only`). Each result is taken as stored,
  /// whichever metric groups it was evaluated on, so a table of them shows a metric only for
  /// the methods (and utterances) that have it.
  /// With `paired`, only the utterances that have a result of every method are kept, so
  /// that the methods are compared on the same utterances (`--paired`).
  /// - Throws: `io` when the file does not exist; `invalidArgument` when it holds none of
  ///   these results (another configuration: model, seed, --tokens, τ, depth), or with
  ///   `paired` no utterance has them all.
  public static func stored(
    _ utterances: [Manifest.Utterance], methods: [String], config: String, results: BenchResultsFile,
    paired: Bool = false
  ) throws -> [UtteranceResult] {
    guard results.exists else {
      throw LeafXError.io(path: results.path, reason: "no such results file to report")
    }
    var byKey: [String: UtteranceResult] = [:]
    for r in try results.read() where r.config == config { byKey[r.key] = r }
    let perUtterance = utterances.map { utterance in
      methods.compactMap { byKey[UtteranceResult.key(id: utterance.id, method: $0)] }
    }
    guard perUtterance.contains(where: { !$0.isEmpty }) else {
      throw LeafXError.invalidArgument(
        argument: "--results", reason: "\(results.path) has no result of these utterances and methods for \(config)")
    }
    guard paired else { return perUtterance.flatMap { $0 } }
    let complete = perUtterance.filter { $0.count == methods.count }
    guard !complete.isEmpty else {
      throw LeafXError.invalidArgument(
        argument: "--paired", reason: "no utterance in \(results.path) has a result of every method for \(config)")
    }
    return complete.flatMap { $0 }
  }

  var groups: [BenchMetric.Group] { BenchMetric.Group.allCases.filter { g in metrics.contains { $0.group == g } } }

  /// Runs every utterance (skipping what `results` already holds for this configuration) and
  /// returns the results of `utterances` × `methods`, in manifest order.
  /// - Parameters:
  ///   - results: the JSON Lines file to resume from and append to (nil: keep in memory).
  ///   - tokenResults: where to append each sampled token's perturbation scores (TokenResult)
  ///     of the utterances evaluated by this run (nil: nowhere).
  ///   - jobs: utterances evaluated at once, each on its own thread (`BenchJobs`). The numbers
  ///     do not depend on it (every seed derives from the utterance id, and one model serves
  ///     concurrent explanations bit-identically); only the order of the files' lines does.
  ///     Each method's time is then measured beside the other jobs.
  ///   - progress: one line per step, for stderr (called by one job at a time).
  public func run(
    _ utterances: [Manifest.Utterance], results: BenchResultsFile?, tokenResults: BenchResultsFile? = nil,
    jobs: Int = 1, progress: (@Sendable (String) -> Void)? = nil
  ) throws -> [UtteranceResult] {
    try options.validate()
    guard tokensPerUtterance >= 0 else {
      throw LeafXError.invalidArgument(argument: "tokens", reason: "\(tokensPerUtterance) must be ≥ 0")
    }
    guard (1...256).contains(jobs) else {
      throw LeafXError.invalidArgument(argument: "jobs", reason: "\(jobs) is outside 1...256")
    }
    let wanted = Set(groups)
    var stored: [String: UtteranceResult] = [:]
    for r in try results?.read() ?? [] where r.config == config && wanted.isSubset(of: Set(r.groups)) {
      stored[r.key] = r
    }
    let tags = utterances.enumerated().map { n, utterance in "[\(n + 1)/\(utterances.count)] \(utterance.id)" }
    var queued = Set<String>()
    let pending = utterances.indices.compactMap { n -> (index: Int, methods: [AttributionMethod])? in
      let missing = methods.filter { stored[UtteranceResult.key(id: utterances[n].id, method: $0.rawValue)] == nil }
      if missing.isEmpty { progress?("\(tags[n]): already in the results file") }
      // A repeated id is evaluated once (its results are the same).
      guard !missing.isEmpty, queued.insert(utterances[n].id).inserted else { return nil }
      return (n, missing)
    }
    let fresh = Mutex<[UtteranceResult]>([])
    try BenchJobs.run(count: pending.count, jobs: jobs) { item, queue in
      let (n, missing) = pending[item]
      let tag = tags[n]
      queue.serialized { progress?("\(tag): \(missing.map(\.rawValue).joined(separator: ","))") }
      var perToken: [TokenResult] = []
      let evaluated = try evaluate(utterances[n], methods: missing, tokenResults: &perToken) { line in
        queue.serialized { progress?("\(tag): \(line)") }
      }
      try queue.serialized {
        try tokenResults?.append(perToken)
        try results?.append(evaluated)
      }
      fresh.withLock { $0 += evaluated }
    }
    for r in fresh.withLock({ $0 }) { stored[r.key] = r }
    return utterances.flatMap { utterance in
      methods.compactMap { stored[UtteranceResult.key(id: utterance.id, method: $0.rawValue)] }
    }
  }

  /// Running sums of one method's per-token scores on one utterance.
  struct Sums {
    var sum: [BenchMetric: Double] = [:]
    var count: [BenchMetric: Int] = [:]

    mutating func add(_ metric: BenchMetric, _ value: Double) {
      guard value.isFinite else { return }
      sum[metric, default: 0] += value
      count[metric, default: 0] += 1
    }
  }

  /// Scores `methods` on one utterance; each sampled token's perturbation scores are appended
  /// to `tokenResults`.
  func evaluate(
    _ utterance: Manifest.Utterance, methods: [AttributionMethod], tokenResults: inout [TokenResult],
    progress: ((String) -> Void)? = nil
  ) throws -> [UtteranceResult] {
    let pcm = try AudioDecoder.load(path: utterance.audio).samples
    let explainer = Explainer(model: model, options: options, decoding: decoding)
    let transcript = try transcribe(pcm)
    let tokenizer = model.tokenizer
    let textTokens = transcript.windows.reduce(0) { $0 + $1.tokens.filter { !tokenizer.isSpecial($0) }.count }
    let sampled = Self.sampleTokens(count: textTokens, keep: tokensPerUtterance, seed: Self.seed(seed, utterance.id, salt: 1))
    let wanted = Set(groups)

    var sums = [Sums](repeating: Sums(), count: methods.count)
    var seconds = [Double](repeating: 0, count: methods.count)
    var tokens = [[ExplainedToken]](repeating: [], count: methods.count)
    var words: [WordTokens] = []
    var boundaries = [[WordInterval]](repeating: [], count: methods.count)

    try explainer.forEachWindow(pcm, transcript: transcript, methods: methods) { w in
      words += w.words
      for m in methods.indices {
        boundaries[m] += w.boundaries[m]
        seconds[m] += w.seconds[m]
        tokens[m] += w.tokens[m]
        if wanted.contains(.spr) {
          for t in w.tokens[m] { sums[m].add(.spr, Sparsity.spr(t.attribution.values)) }
        }
      }
      let count = w.tokens.first?.count ?? 0
      let needsScorer = wanted.contains(.inf) || !wanted.isDisjoint(with: [.deletion, .insertion, .saco])
      guard count > 0, needsScorer else { return }
      let scorer = try w.scorer()
      let frames = scorer.frames
      guard scorer.tokenCount == count, w.tokens.allSatisfy({ $0.allSatisfy { $0.attribution.values.count == frames } }) else {
        throw LeafXError.internal("window \(w.index): the masked scorer's \(scorer.tokenCount) tokens × \(frames) frames do not match the attributions")
      }

      // Token-independent masks: unmasked, then INF's. Even salts per window (2, 4, …) keep
      // clear of the token sample's (1) and the STAB noise's (3).
      var generator = SeededGenerator(seed: Self.seed(seed, utterance.id, salt: 2 &+ 2 &* UInt64(w.index)))
      let infMasks = wanted.contains(.inf) ? Infidelity.masks(frames: frames, generator: &generator) : []
      progress?("window \(w.index): \(1 + infMasks.count) shared masked passes")
      let shared = try scorer.logProbs(keeping: [[Bool](repeating: true, count: frames)] + infMasks)
      let full = shared[0]
      if wanted.contains(.inf) {
        for m in methods.indices {
          for k in 0..<count {
            sums[m].add(
              .inf,
              Infidelity.infidelity(w.tokens[m][k].attribution.values, masks: infMasks, full: full[k], masked: shared[1...].map { $0[k] }))
          }
        }
      }

      // Token-dependent masks of the sampled tokens, one call per method.
      let local = (0..<count).filter { sampled.contains(w.tokens[0][$0].index) }
      guard !local.isEmpty, !wanted.isDisjoint(with: [.deletion, .insertion, .saco]) else { return }
      for (m, method) in methods.enumerated() {
        var batch = MaskBatch()
        var slots: [(k: Int, deletion: [Int], insertion: [Int], saco: [Int])] = []
        for k in local {
          let values = w.tokens[m][k].attribution.values
          slots.append(
            (
              k,
              wanted.contains(.deletion) ? batch.add(Deletion.masks(values)) : [],
              wanted.contains(.insertion) ? batch.add(Insertion.masks(values)) : [],
              wanted.contains(.saco) ? batch.add(SaCo.masks(values)) : []
            ))
        }
        progress?("window \(w.index): \(method.rawValue), \(local.count) tokens, \(batch.masks.count) masked passes")
        let scores = try scorer.logProbs(keeping: batch.masks)
        for slot in slots {
          let k = slot.k
          let token = w.tokens[m][k]
          var line = TokenResult(
            config: config, id: utterance.id, method: method.rawValue, token: token.index, text: token.text,
            logProbability: Double(full[k]))
          if !slot.deletion.isEmpty {
            let d = Deletion.scores(full: full[k], masked: slot.deletion.map { scores[$0][k] })
            sums[m].add(.dAOPC, d.dAOPC)
            sums[m].add(.aopc, d.aopc)
            (line.deletionCurve, line.dAOPC, line.aopc) = (d.curve, d.dAOPC, d.aopc)
          }
          if !slot.insertion.isEmpty {
            let auc = Insertion.scores(full: full[k], masked: slot.insertion.map { scores[$0][k] }).auc
            sums[m].add(.insertion, auc)
            line.insertionAUC = auc
          }
          if !slot.saco.isEmpty {
            let saco = SaCo.coefficient(token.attribution.values, full: full[k], masked: slot.saco.map { scores[$0][k] })
            sums[m].add(.saco, saco)
            line.saco = saco
          }
          tokenResults.append(line)
        }
      }
    }

    // The decoded words, with their boundaries, matched to the aligned ones: what localisation
    // and timing score.
    if !wanted.isDisjoint(with: [.localization, .timing]) {
      for m in methods.indices {
        let explained = explainer.words(tokens[m], groups: words, boundaries: boundaries[m])
        let pairs = WordMatching.match(decoded: explained.map(\.word), reference: utterance.words.map(\.word))
        if wanted.contains(.localization) {
          for (d, r) in pairs {
            let a = explained[d].attribution
            let span = utterance.words[r]
            let s = Localization.scores(
              values: a.values, offset: a.offset, start: span.start, end: span.end, halfMassStart: a.start,
              halfMassEnd: a.end)
            sums[m].add(.tloc, s.tloc)
            sums[m].add(.pointing, s.pointing)
            sums[m].add(.massInSpan, s.massInSpan)
            sums[m].add(.midpoint, s.midpointInSpan)
          }
        }
        if wanted.contains(.timing) {
          var hits = 0
          for (d, r) in pairs {
            guard let b = explained[d].boundary else { continue }
            let reference = utterance.words[r]
            let s = WordTiming.scores(
              start: b.start, end: b.end, referenceStart: reference.start, referenceEnd: reference.end)
            sums[m].add(.startError, s.startError)
            sums[m].add(.endError, s.endError)
            sums[m].add(.within20, s.within20)
            sums[m].add(.within50, s.within50)
            sums[m].add(.within100, s.within100)
            sums[m].add(.wordIoU, s.iou)
            if s.hit { hits += 1 }
          }
          // Punctuation is not a word here (WordMatching skips it too).
          let decoded = explained.filter { !WordMatching.normalise($0.word).isEmpty }.count
          sums[m].add(.wordF1, WordTiming.f1(hits: hits, decoded: decoded, reference: utterance.words.count))
        }
      }
    }

    if wanted.contains(.stab) {
      var generator = SeededGenerator(seed: Self.seed(seed, utterance.id, salt: 3))
      let perturbations: [(BenchMetric, [Float], Int)] = [
        (.stabNoise, Stability.noisy(pcm, generator: &generator), 0),
        (.stabShift, Stability.shifted(pcm), Stability.shiftFrames),
      ]
      for (metric, perturbed, shiftBack) in perturbations {
        progress?("\(metric.rawValue): decoding and explaining the perturbed audio")
        let other = try perturbedTokens(perturbed, methods: methods)
        for m in methods.indices {
          let pairs = Stability.identicalTokens(tokens[m].map(\.id), other[m].map(\.id))
          for (a, b) in pairs {
            sums[m].add(metric, Stability.cosine(tokens[m][a].attribution, other[m][b].attribution, shiftBack: shiftBack))
          }
        }
      }
    }

    let groupList = groups
    return methods.indices.map { m in
      var means: [String: Double] = [:]
      var counts: [String: Int] = [:]
      for metric in metrics {
        guard let n = sums[m].count[metric], n > 0 else { continue }
        means[metric.rawValue] = sums[m].sum[metric]! / Double(n)
        counts[metric.rawValue] = n
      }
      return UtteranceResult(
        config: config, id: utterance.id, method: methods[m].rawValue, groups: groupList, metrics: means, counts: counts,
        seconds: seconds[m])
    }
  }

  /// Greedy decoding as `leafx explain` does it (timestamps beyond one window), keeping each
  /// window's encoder output for the explanations.
  func transcribe(_ pcm: [Float]) throws -> Transcript {
    var options = decoding
    if pcm.count > LogMel.samplesPerWindow { options.withoutTimestamps = false }
    var transcriber = Transcriber(model: model, options: options)
    transcriber.retainAudioContext = true
    return try transcriber.transcribe(pcm)
  }

  /// Every method's explained tokens on perturbed audio (decoded again). The `random` method
  /// gets the next seed: an input-independent map must be drawn afresh, as it would be for
  /// any other recording, or it would look perfectly stable.
  func perturbedTokens(_ pcm: [Float], methods: [AttributionMethod]) throws -> [[ExplainedToken]] {
    var perturbedOptions = options
    perturbedOptions.seed = options.seed &+ 1
    let explainer = Explainer(model: model, options: perturbedOptions, decoding: decoding)
    var tokens = [[ExplainedToken]](repeating: [], count: methods.count)
    try explainer.forEachWindow(pcm, transcript: try transcribe(pcm), methods: methods) { w in
      for m in methods.indices { tokens[m] += w.tokens[m] }
    }
    return tokens
  }

  /// A seeded subset of `keep` of `count` token indices (all when `keep` is 0 or ≥ count).
  static func sampleTokens(count: Int, keep: Int, seed: UInt64) -> Set<Int> {
    guard keep > 0, keep < count else { return Set(0..<count) }
    var generator = SeededGenerator(seed: seed)
    var indices = Array(0..<count)
    for i in 0..<keep {
      let j = i + Int(generator.next() % UInt64(count - i))
      indices.swapAt(i, j)
    }
    return Set(indices.prefix(keep))
  }

  /// A seed for one purpose (`salt`) and one utterance: FNV-1a of the id mixed with both.
  static func seed(_ seed: UInt64, _ id: String, salt: UInt64) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in id.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01B3
    }
    return hash ^ (seed &* 0x9E37_79B9_7F4A_7C15) ^ (salt &* 0xD1B5_4A32_D192_ED03)
  }
}

/// Masks for one MaskedScorer call, each distinct mask once.
struct MaskBatch {
  private(set) var masks: [[Bool]] = []
  private var index: [[Bool]: Int] = [:]

  /// Adds `new` and returns the position of each in `masks`.
  mutating func add(_ new: [[Bool]]) -> [Int] {
    new.map { mask in
      if let i = index[mask] { return i }
      index[mask] = masks.count
      masks.append(mask)
      return masks.count - 1
    }
  }
}
