import CBLAS
import Dispatch
import Synchronization

/// The number of threads leafx computes with (process-wide). leafx splits all its work itself:
/// matrix products (`gemm`, cut into row or column blocks), attention (query blocks), the
/// decoder's matrix-vector products and the element-wise passes all run as chunks on
/// Dispatch's pool (`split`), and OpenBLAS is kept at one thread so that each chunk's sgemm
/// runs on the thread that called it.
///
/// Why not OpenBLAS's own threads: its workers busy-wait (`sched_yield`) after every call, so
/// between two products they compete for the cores with leafx's element-wise passes (softmax,
/// GELU, layer norm), which measured 12 % of a tiny.en transcription. One pool for everything
/// also lets one chunk run a whole attention block (scores, softmax, values) while its
/// scores are still in that core's cache.
public enum ComputeThreads {
  /// 0 until first use or `set`; then the thread count.
  private static let configured = Atomic<Int>(0)

  /// Sets the thread count (1...256) and keeps OpenBLAS at one thread.
  public static func set(_ count: Int) {
    openblas_set_num_threads(1)
    configured.store(max(1, min(count, 256)), ordering: .relaxed)
  }

  /// The thread count. Before any `set`, it is what OpenBLAS was configured with at load
  /// (`OPENBLAS_NUM_THREADS`, or all cores), and OpenBLAS is then switched to one thread.
  public static var current: Int {
    let count = configured.load(ordering: .relaxed)
    if count > 0 { return count }
    let initial = Int(openblas_get_num_threads())
    let (exchanged, existing) = configured.compareExchange(
      expected: 0, desired: max(1, initial), ordering: .relaxed)
    if exchanged { openblas_set_num_threads(1) }
    return exchanged ? max(1, initial) : existing
  }

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
