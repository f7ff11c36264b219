/// JSON of attributions computed from attention captured elsewhere
/// (`leafx_explain_attention` + `leafx_result_to_json`): the token part of docs/json-schema.md.
public enum ExternalAttributionJSON {
  public static func render(_ attributions: [TokenAttribution], tokenIDs: [Int32]?) -> String {
    let frame = attributions.first?.frameSeconds ?? TokenAttribution.whisperFrameSeconds
    var out = "{\"leafx_version\": \"\(LeafXVersion.string)\", \"frame_seconds\": \(frame), \"tokens\": ["
    out += attributions.enumerated().map { k, a in
      "{\"index\": \(k), \"id\": \(tokenIDs.map { String($0[k]) } ?? "null"), \(ExplanationJSON.summary(a))}"
    }.joined(separator: ", ")
    return out + "]}"
  }
}
