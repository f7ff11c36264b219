import Foundation

@testable import LeafXCore

/// A tiny random Whisper (width 32, 2 heads, 1+1 layers, 4 mels, vocab 12) written in each
/// format by independent test-side writers, for exact round trips and cheap fuzzing.
///
/// Values are `k / 256` with `|k| < 256`, exact in f16 and bf16, so every float format must
/// load them bit for bit.
struct SyntheticWhisper {
  /// The model's hyper-parameters.
  static let dimensions = WhisperDimensions(
    nMels: 4, nAudioCtx: 6, nAudioState: 32, nAudioHead: 2, nAudioLayer: 1, nVocab: 12, nTextCtx: 5,
    nTextState: 32, nTextHead: 2, nTextLayer: 1)

  /// Canonical tensors.
  let tensors: [String: Tensor]

  /// Random tensors for every expected name.
  init(seed: UInt64 = 1) {
    var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    var tensors: [String: Tensor] = [:]
    for (name, shape) in WhisperCheckpoint.expectedShapes(Self.dimensions).sorted(by: { $0.key < $1.key }) {
      let count = shape.reduce(1, *)
      var values: [Float] = []
      for _ in 0..<count {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        values.append(Float(Int((state >> 33) % 511) - 255) / 256)
      }
      tensors[name] = Tensor(shape: shape, values: values)
    }
    self.tensors = tensors
  }

  /// The checkpoint's tensors as a `WhisperCheckpoint` for comparisons.
  func checkpoint(format: ModelFormat) -> WhisperCheckpoint {
    WhisperCheckpoint(
      format: format, path: "synthetic", dimensions: Self.dimensions, tensors: tensors,
      vocabulary: .ggmlTokens([]))
  }

  // MARK: - CTranslate2

  /// CTranslate2 variables: name -> (shape, values), and for each canonical tensor the CT2
  /// variable and first row it lives in.
  func ct2Variables() -> (variables: [String: ([Int], [Float])], sources: [String: (String, Int)]) {
    var variables: [String: ([Int], [Float])] = [:]
    var sources: [String: (String, Int)] = [:]
    func put(_ ct2: String, _ canonical: String) {
      let t = tensors[canonical]!
      variables[ct2] = (t.shape, t.values)
      sources[canonical] = (ct2, 0)
    }
    func fuse(_ ct2: String, _ canonical: [String?], width: Int, rank: Int) {
      var values: [Float] = []
      for (part, name) in canonical.enumerated() {
        if let name {
          values += tensors[name]!.values
          sources[name] = (ct2, part * width)
        } else {
          values += [Float](repeating: 0, count: width)
        }
      }
      variables[ct2] = (rank == 2 ? [canonical.count * width, width] : [canonical.count * width], values)
    }
    func linear(_ ct2: String, _ canonical: String) {
      put(ct2 + "/weight", canonical + ".weight")
      put(ct2 + "/bias", canonical + ".bias")
    }
    func norm(_ ct2: String, _ canonical: String) {
      put(ct2 + "/gamma", canonical + ".weight")
      put(ct2 + "/beta", canonical + ".bias")
    }
    func selfAttention(_ ct2: String, _ canonical: String, _ d: Int) {
      fuse(ct2 + "/linear_0/weight", ["query", "key", "value"].map { "\(canonical).\($0).weight" }, width: d, rank: 2)
      fuse(ct2 + "/linear_0/bias", ["\(canonical).query.bias", nil, "\(canonical).value.bias"], width: d, rank: 1)
      linear(ct2 + "/linear_1", canonical + ".out")
    }
    func ffn(_ ct2: String, _ canonical: String) {
      linear(ct2 + "/linear_0", canonical + ".mlp.0")
      linear(ct2 + "/linear_1", canonical + ".mlp.2")
      norm(ct2 + "/layer_norm", canonical + ".mlp_ln")
    }
    let d = Self.dimensions.nAudioState
    linear("encoder/conv1", "encoder.conv1")
    linear("encoder/conv2", "encoder.conv2")
    put("encoder/position_encodings/encodings", "encoder.positional_embedding")
    for i in 0..<Self.dimensions.nAudioLayer {
      selfAttention("encoder/layer_\(i)/self_attention", "encoder.blocks.\(i).attn", d)
      norm("encoder/layer_\(i)/self_attention/layer_norm", "encoder.blocks.\(i).attn_ln")
      ffn("encoder/layer_\(i)/ffn", "encoder.blocks.\(i)")
    }
    norm("encoder/layer_norm", "encoder.ln_post")
    put("decoder/embeddings/weight", "decoder.token_embedding.weight")
    put("decoder/position_encodings/encodings", "decoder.positional_embedding")
    for i in 0..<Self.dimensions.nTextLayer {
      let s = "decoder/layer_\(i)"
      let c = "decoder.blocks.\(i)"
      selfAttention("\(s)/self_attention", "\(c).attn", d)
      norm("\(s)/self_attention/layer_norm", "\(c).attn_ln")
      linear("\(s)/attention/linear_0", "\(c).cross_attn.query")
      fuse("\(s)/attention/linear_1/weight", ["\(c).cross_attn.key.weight", "\(c).cross_attn.value.weight"], width: d, rank: 2)
      fuse("\(s)/attention/linear_1/bias", [nil, "\(c).cross_attn.value.bias"], width: d, rank: 1)
      linear("\(s)/attention/linear_2", "\(c).cross_attn.out")
      norm("\(s)/attention/layer_norm", "\(c).cross_attn_ln")
      ffn("\(s)/ffn", c)
    }
    norm("decoder/layer_norm", "decoder.ln")
    return (variables, sources)
  }

  /// A CTranslate2 model.bin (binary version 6, f16; `int8` quantizes the linear weights
  /// per row with a `_scale`) and the canonical tensors it must load as.
  func ct2ModelBin(int8: Bool = false) -> (bytes: [UInt8], expected: [String: Tensor]) {
    let (variables, sources) = ct2Variables()
    var dequantized: [String: [Float]] = [:]
    var w = ByteWriter()
    // Records: (name, shape, dtype id, payload).
    var records: [(String, [Int], UInt8, [UInt8])] = []
    for (name, (shape, values)) in variables {
      var payload = ByteWriter()
      if int8 && name.contains("linear_") && name.hasSuffix("/weight") {
        let columns = shape[1]
        var scales: [Float] = []
        var restored: [Float] = []
        for r in 0..<shape[0] {
          let row = values[(r * columns)..<((r + 1) * columns)]
          let amax = row.map { abs($0) }.max()!
          let scale: Float = amax == 0 ? 1 : 127 / amax
          scales.append(scale)
          for v in row {
            let q = Int8((v * scale).rounded(.toNearestOrEven))
            payload.u8(UInt8(bitPattern: q))
            restored.append(Float(q) / scale)
          }
        }
        var scaleBytes = ByteWriter()
        for s in scales { scaleBytes.f32(s) }
        records.append((name + "_scale", [shape[0]], 0, scaleBytes.bytes))
        records.append((name, shape, 1, payload.bytes))
        dequantized[name] = restored
      } else {
        for v in values { payload.f16(v) }
        records.append((name, shape, 4, payload.bytes))
        dequantized[name] = values
      }
    }
    for (name, heads) in [("encoder/num_heads", Self.dimensions.nAudioHead), ("decoder/num_heads", Self.dimensions.nTextHead)] {
      var payload = ByteWriter()
      payload.u16(UInt16(heads))
      records.append((name, [], 2, payload.bytes))
    }
    records.append(("decoder/activation", [], 1, [3]))
    records.sort { $0.0 < $1.0 }
    w.u32(6)
    w.ct2String("WhisperSpec")
    w.u32(3)
    w.u32(UInt32(records.count))
    for (name, shape, dtype, payload) in records {
      w.ct2String(name)
      w.u8(UInt8(shape.count))
      for dim in shape { w.u32(UInt32(dim)) }
      w.u8(dtype)
      w.u32(UInt32(payload.count))
      w.raw(payload)
    }
    w.u32(1)
    w.ct2String("decoder/projection/weight")
    w.ct2String("decoder/embeddings/weight")

    var expected: [String: Tensor] = [:]
    for (canonical, tensor) in tensors {
      let (ct2, row) = sources[canonical]!
      let columns = tensor.count / tensor.shape[0]
      let start = row * columns
      expected[canonical] = Tensor(shape: tensor.shape, values: Array(dequantized[ct2]![start..<(start + tensor.count)]))
    }
    return (w.bytes, expected)
  }

  /// Writes a CTranslate2 directory (model.bin, config.json, vocabulary.txt).
  /// - Returns: the canonical tensors it must load as.
  @discardableResult
  func writeCT2(directory: String, int8: Bool = false) throws -> [String: Tensor] {
    let (bytes, expected) = ct2ModelBin(int8: int8)
    try FormatsFixtures.write(bytes, to: directory + "/model.bin")
    let config = #"{"alignment_heads": [[0, 1]], "lang_ids": [11], "suppress_ids": [1, 2], "suppress_ids_begin": [3, 10]}"#
    try FormatsFixtures.write(Array(config.utf8), to: directory + "/config.json")
    let vocabulary = (0..<10).map { String(UnicodeScalar(UInt8(97 + $0))) } + ["<|endoftext|>", "<|de|>"]
    try FormatsFixtures.write(Array((vocabulary.joined(separator: "\n") + "\n").utf8), to: directory + "/vocabulary.txt")
    return expected
  }

  // MARK: - ggml

  /// A whisper.cpp ggml file whose 2-D weights (except conv and positional) are stored as
  /// `weightType`; conv weights f16, the rest f32, conv biases `[n, 1]`.
  /// - Returns: the bytes and, per tensor, the per-block scale bound on the quantization error.
  func ggmlFile(weightType: StoredDType) -> (bytes: [UInt8], errorBound: [String: Float]) {
    let d = Self.dimensions
    var w = ByteWriter()
    w.u32(GGMLReader.magic)
    let ftype: Int32 = [.f32: 0, .f16: 1, .q4_0: 2, .q4_1: 3, .q8_0: 7, .q5_0: 8, .q5_1: 9][weightType] ?? 1
    for v in [d.nVocab, d.nAudioCtx, d.nAudioState, d.nAudioHead, d.nAudioLayer, d.nTextCtx, d.nTextState,
              d.nTextHead, d.nTextLayer, d.nMels] {
      w.i32(Int32(v))
    }
    w.i32(ftype)
    w.i32(Int32(d.nMels))
    w.i32(201)
    for i in 0..<(d.nMels * 201) { w.f32(Float(i % 201) / 1000) }
    w.i32(10)
    for i in 0..<10 {
      w.u32(1)
      w.u8(UInt8(97 + i))
    }
    var bounds: [String: Float] = [:]
    for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
      var shape = tensor.shape
      if name.hasPrefix("encoder.conv") && name.hasSuffix(".bias") { shape = [shape[0], 1] }
      let isConvWeight = name.hasPrefix("encoder.conv") && name.hasSuffix(".weight")
      let type: StoredDType =
        isConvWeight ? .f16 : (shape.count == 2 && !name.contains("positional") && !name.hasSuffix(".bias") ? weightType : .f32)
      let typeID: Int32 = [.f32: 0, .f16: 1, .q4_0: 2, .q4_1: 3, .q5_0: 6, .q5_1: 7, .q8_0: 8][type]!
      let nameBytes = Array(name.utf8)
      w.i32(Int32(shape.count))
      w.i32(Int32(nameBytes.count))
      w.i32(typeID)
      for dim in shape.reversed() { w.i32(Int32(dim)) }
      w.raw(nameBytes)
      let (payload, bound) = Self.encode(tensor.values, as: type)
      w.raw(payload)
      bounds[name] = bound
    }
    return (w.bytes, bounds)
  }

  /// Stores `values` as `type`, quantizing as ggml-quants.c's reference quantizers do.
  /// - Returns: the bytes and the largest block scale `|d|` (the round-trip error bound).
  static func encode(_ values: [Float], as type: StoredDType) -> ([UInt8], Float) {
    var w = ByteWriter()
    var bound: Float = 0
    switch type {
    case .f32: for v in values { w.f32(v) }
    case .f16: for v in values { w.f16(v) }
    case .bf16: for v in values { w.bf16(v) }
    default:
      for start in stride(from: 0, to: values.count, by: 32) {
        let block = Array(values[start..<(start + 32)])
        let (bytes, d) = quantize(block, as: type)
        w.raw(bytes)
        bound = max(bound, d)
      }
    }
    return (w.bytes, bound)
  }

  /// One 32-value block in a ggml block type; returns its bytes and `|d|`.
  static func quantize(_ x: [Float], as type: StoredDType) -> ([UInt8], Float) {
    var w = ByteWriter()
    let signedMax = x.max { abs($0) < abs($1) }!
    let lo = x.min()!
    let hi = x.max()!
    func nibbles(_ q: [Int]) {
      for j in 0..<16 { w.u8(UInt8(q[j] & 15) | UInt8(q[j + 16] & 15) << 4) }
    }
    func highBits(_ q: [Int]) {
      var h: UInt32 = 0
      for j in 0..<32 where q[j] & 16 != 0 { h |= 1 << UInt32(j) }
      w.u32(h)
    }
    switch type {
    case .q8_0:
      let d = x.map { abs($0) }.max()! / 127
      w.f16(d)
      for v in x { w.u8(UInt8(bitPattern: Int8(d == 0 ? 0 : (v / d).rounded()))) }
      return (w.bytes, d)
    case .q4_0:
      let d = signedMax / -8
      w.f16(d)
      nibbles(x.map { min(15, Int(d == 0 ? 8 : $0 / d + 8.5)) })
      return (w.bytes, abs(d))
    case .q5_0:
      let d = signedMax / -16
      let q = x.map { min(31, Int(d == 0 ? 16 : $0 / d + 16.5)) }
      w.f16(d)
      highBits(q)
      nibbles(q)
      return (w.bytes, abs(d))
    case .q4_1, .q5_1:
      let levels: Float = type == .q4_1 ? 15 : 31
      let d = (hi - lo) / levels
      let q = x.map { min(Int(levels), Int(d == 0 ? 0 : ($0 - lo) / d + 0.5)) }
      w.f16(d)
      w.f16(lo)
      if type == .q5_1 { highBits(q) }
      nibbles(q)
      return (w.bytes, d)
    default:
      fatalError("not a block type")
    }
  }

  // MARK: - safetensors

  /// A model.safetensors holding every tensor under its Hugging Face name as `dtype`.
  func safetensorsFile(dtype: StoredDType) -> [UInt8] {
    let tag = [StoredDType.f32: "F32", .f16: "F16", .bf16: "BF16"][dtype]!
    var entries: [String] = [#""__metadata__":{"format":"pt"}"#]
    var data = ByteWriter()
    for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
      let begin = data.bytes.count
      data.raw(Self.encode(tensor.values, as: dtype).0)
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      entries.append(
        "\"\(SafetensorsReader.hfName(canonical: name))\":{\"dtype\":\"\(tag)\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(data.bytes.count)]}")
    }
    var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
    while header.count % 8 != 0 { header.append(0x20) }
    var w = ByteWriter()
    w.u64(UInt64(header.count))
    w.raw(header)
    w.raw(data.bytes)
    return w.bytes
  }

  /// Writes a Hugging Face directory (model.safetensors, config.json, tokenizer.json).
  func writeSafetensors(directory: String, dtype: StoredDType) throws {
    try FormatsFixtures.write(safetensorsFile(dtype: dtype), to: directory + "/model.safetensors")
    let d = Self.dimensions
    let config = """
      {"num_mel_bins": \(d.nMels), "max_source_positions": \(d.nAudioCtx), "d_model": \(d.nAudioState),
       "encoder_attention_heads": \(d.nAudioHead), "encoder_layers": \(d.nAudioLayer), "vocab_size": \(d.nVocab),
       "max_target_positions": \(d.nTextCtx), "decoder_attention_heads": \(d.nTextHead),
       "decoder_layers": \(d.nTextLayer), "suppress_tokens": [1, 2], "begin_suppress_tokens": [3, 10],
       "alignment_heads": [[0, 1]]}
      """
    try FormatsFixtures.write(Array(config.utf8), to: directory + "/config.json")
    try FormatsFixtures.write(Array(#"{"model": {"vocab": {}}, "added_tokens": []}"#.utf8), to: directory + "/tokenizer.json")
  }
}
