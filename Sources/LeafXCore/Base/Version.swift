/// leafx's version; must agree with the LEAFX_VERSION_* macros of include/leafx.h
/// (a test compares them).
public enum LeafXVersion {
  public static let major = 0
  public static let minor = 3
  public static let patch = 0
  /// The ABI version: the number in the SONAME `libleafx.so.0`.
  public static let abi = 0
  public static let string = "\(major).\(minor).\(patch)"
  public static let number = major * 10000 + minor * 100 + patch
}
