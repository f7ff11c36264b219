import CBLAS

/// The number of threads OpenBLAS uses for matrix products (process-wide).
public enum ComputeThreads {
  public static func set(_ count: Int) {
    openblas_set_num_threads(Int32(max(1, count)))
  }

  public static var current: Int { Int(openblas_get_num_threads()) }
}
