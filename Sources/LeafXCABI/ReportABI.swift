import CLeafXABI
import LeafXCore

// leafx_result_to_html: the HTML report of `leafx explain --format html` for an explained
// result (include/leafx.h, "Explanations").

@c @implementation
public func leafx_result_to_html(
  _ result: OpaquePointer?, _ pcm: UnsafePointer<Float>?, _ nSamples: Int, _ audioPath: UnsafePointer<CChar>?,
  _ html: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> leafx_status {
  html?.pointee = nil
  return abiCall("leafx_result_to_html") {
    let handle = try HandleRegistry.shared.object(result, as: ResultHandle.self, argument: "result")
    let html = try required(html, "html")
    guard let report = handle.html, let explained = handle.explainedSamples else {
      throw LeafXError.misuse(
        "the result is not an explanation of leafx_explain (a plain transcription, or attributions of "
          + "leafx_explain_attention): the report needs leafx_explain's result")
    }
    let samples = try pcmArgument(pcm, nSamples)
    guard samples.count == explained else {
      throw LeafXError.invalidArgument(
        argument: "n_samples", reason: "\(samples.count), but the result explained \(explained) samples: pass the same audio")
    }
    let text = PinnedCString(try report(samples, audioPath.map { String(cString: $0) }))
    html.pointee = HandleRegistry.shared.insertString(text)
  }
}
