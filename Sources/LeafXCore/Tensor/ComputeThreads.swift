import CBLAS
import Dispatch

/// The number of threads leafx computes with (process-wide): OpenBLAS's matrix products, and the
/// work leafx splits itself (`ComputeThreads.split`: decoder-step products, element-wise encoder
/// passes) uses the same count, so `--threads` bounds both.
public enum ComputeThreads {
  public static func set(_ count: Int) {
    openblas_set_num_threads(Int32(max(1, count)))
  }

  public static var current: Int { Int(openblas_get_num_threads()) }

  /// Runs `body` over `0 ..< count` cut into at most `current` contiguous chunks, in parallel
  /// (Dispatch's `concurrentPerform`), and returns when all are done. Work below
  /// `minimumPerChunk` items per chunk runs on the calling thread only: a wake-up of the pool
  /// costs microseconds, more than a small product.
  ///
  /// The chunks are disjoint, so `body` may write its own range of a shared buffer.
  static func split(_ count: Int, minimumPerChunk: Int, _ body: (Range<Int>) -> Void) {
    let chunks = min(current, count / max(minimumPerChunk, 1))
    if chunks <= 1 {
      if count > 0 { body(0..<count) }
      return
    }
    withoutActuallyEscaping(body) { body in
      let box = UncheckedBox(body)
      DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        box.value(count * chunk / chunks..<count * (chunk + 1) / chunks)
      }
    }
  }
}

/// Hands a closure over raw pointers to Dispatch's worker threads: every caller of
/// `ComputeThreads.split` writes disjoint ranges and waits for all chunks before returning.
private struct UncheckedBox<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
