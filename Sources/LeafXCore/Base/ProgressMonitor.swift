/// Progress reporting and cancellation of one long call (docs/design.md, "Callbacks").
///
/// Progress is the fraction of the recording processed, clamped to [0, 1] and never
/// reported lower than before (the callback sees a monotone sequence), with the stage that
/// is running. Cancellation is polled at fine grain — per decoded token, per encoder pass,
/// per teacher-forced or backward pass — so that a call stops within one such step
/// (tens of milliseconds) of the caller asking; once seen it stays set.
///
/// One monitor belongs to one call and is used on the calling thread only.
public final class ProgressMonitor {
  /// What is running; the names are the C ABI's stage strings.
  public enum Stage: String, Sendable {
    /// The recording's front-end pass (log-mel peak).
    case features
    /// Encoding and decoding a window.
    case transcribe
    /// Explaining a decoded window.
    case explain
  }

  private let report: ((Double, Stage) -> Void)?
  private let shouldStop: (() -> Bool)?
  /// The last fraction reported.
  public private(set) var fraction: Double = 0
  /// True once `shouldStop` returned true.
  public private(set) var isCancelled = false

  /// - Parameters:
  ///   - report: called with each new fraction in [0, 1] and its stage.
  ///   - shouldStop: polled often; return true to cancel.
  public init(report: ((Double, Stage) -> Void)? = nil, shouldStop: (() -> Bool)? = nil) {
    self.report = report
    self.shouldStop = shouldStop
  }

  /// Reports `value` (clamped, and raised to the last fraction if lower) for `stage`.
  public func report(_ value: Double, stage: Stage) {
    let clamped = value.isFinite ? min(1, max(0, value)) : fraction
    fraction = max(fraction, clamped)
    report?(fraction, stage)
  }

  /// Polls the caller; true when the call should stop.
  public func poll() -> Bool {
    if !isCancelled, let shouldStop, shouldStop() { isCancelled = true }
    return isCancelled
  }

  /// Polls the caller and throws `LeafXError.cancelled` when it asked to stop.
  public func checkCancelled() throws {
    if poll() { throw LeafXError.cancelled }
  }
}
