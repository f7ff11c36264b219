/// Runs one attribution method over a window: returns, per explained row, a non-negative
/// (unnormalised) map over the window's audio frames (the method's entry in
/// Methods/MethodRegistry.swift).
struct MethodRunner {
  let options: ExplainOptions

  func attributions(_ context: any AttributionInputs) throws -> [[Float]] {
    try options.method.entry.run(context, options, options.layers(of: context.trace.layers))
  }
}
