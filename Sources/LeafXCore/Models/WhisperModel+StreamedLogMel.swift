extension WhisperModel {
  /// Window-by-window log-mel features of 16 kHz PCM for this model (its mel count and
  /// filterbank), equal to `features(pcm)` frame for frame.
  public func streamedFeatures(_ pcm: [Float], monitor: ProgressMonitor? = nil) throws -> StreamedLogMel {
    monitor?.report(0, stage: .features)
    return try StreamedLogMel(
      pcm, options: MelOptions(nMels: dimensions.nMels), filters: melFilters, shouldStop: monitor.map { m in { m.poll() } })
  }
}
