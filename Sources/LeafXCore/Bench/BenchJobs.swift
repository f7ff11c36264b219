import Foundation
import Synchronization

/// Runs `count` work items on `jobs` threads (the calling thread and `jobs − 1` new ones),
/// each thread taking the next item when it finishes one, and returns when all are done.
/// `leafx bench --jobs`: one utterance per item, so a run uses the cores without splitting
/// the manifest by hand.
///
/// The first error stops the hand-out: items already running finish (their results are
/// recorded), none is started after it, and it is rethrown here. `serialized` runs a closure
/// under one lock shared by all threads, for what must not interleave (appending to the
/// results file, progress lines).
final class BenchJobs: Sendable {
  private struct State {
    var next = 0
    var firstError: (any Error)?
  }

  private let count: Int
  private let state = Mutex(State())
  /// Serialises the callers' critical sections; separate from `state` so that a long write
  /// does not hold up the hand-out of the next item.
  private let critical = Mutex(())

  /// Stack of each new thread: what the main thread gets by default on Linux.
  static let stackSize = 8 << 20

  private init(count: Int) { self.count = count }

  static func run(count: Int, jobs: Int, _ body: @escaping @Sendable (Int, BenchJobs) throws -> Void) throws {
    let queue = BenchJobs(count: count)
    let threads = max(1, min(jobs, count))
    let finished = DispatchGroup()
    for _ in 1..<threads {
      finished.enter()
      let thread = Thread {
        queue.work(body)
        finished.leave()
      }
      thread.stackSize = stackSize
      thread.start()
    }
    queue.work(body)
    finished.wait()
    if let error = queue.state.withLock({ $0.firstError }) { throw error }
  }

  /// Runs `body` under the lock every thread shares.
  func serialized<T>(_ body: () throws -> T) rethrows -> T {
    try critical.withLock { _ in try body() }
  }

  private func work(_ body: (Int, BenchJobs) throws -> Void) {
    while let item = takeNext() {
      do {
        try body(item, self)
      } catch {
        state.withLock { if $0.firstError == nil { $0.firstError = error } }
      }
    }
  }

  private func takeNext() -> Int? {
    state.withLock { state in
      guard state.firstError == nil, state.next < count else { return nil }
      defer { state.next += 1 }
      return state.next
    }
  }
}
