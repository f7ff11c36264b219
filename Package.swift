// swift-tools-version:6.0
//
// leafx: token-to-time attributions for Whisper, shipped as libleafx.so behind include/leafx.h.
//
// Build the release library and CLI with `make` (which runs
// `swift build -c release -Xswiftc -static-stdlib`); see the Makefile for install and tests.

import Foundation
import PackageDescription

/// Absolute path of this package, for linker flags that need a file (the version script).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path

/// LeafXKernelsAVX2 is compiled for Haswell on x86-64 (elsewhere it is a second copy of the
/// baseline kernels, never chosen).
#if arch(x86_64)
  let haswellSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
  let haswellSettings: [SwiftSetting] = []
#endif

let package = Package(
  name: "leafx",
  products: [
    // The C library. The Makefile installs it as libleafx.so.0 (the SONAME set below).
    .library(name: "LeafX", type: .dynamic, targets: ["LeafXCABI"]),
    .executable(name: "leafx", targets: ["LeafXCLI"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    // System libraries, one module map each.
    .systemLibrary(
      name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(
      name: "CFFTW", path: "Sources/CFFTW", pkgConfig: "fftw3f",
      providers: [.apt(["libfftw3-dev"])]),
    .systemLibrary(
      name: "CSndFile", path: "Sources/CSndFile", pkgConfig: "sndfile",
      providers: [.apt(["libsndfile1-dev"])]),
    .systemLibrary(
      name: "CSoxr", path: "Sources/CSoxr", pkgConfig: "soxr",
      providers: [.apt(["libsoxr-dev"])]),
    .systemLibrary(
      name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]),
    // include/leafx.h as a module, so the shims are checked against it.
    .systemLibrary(name: "CLeafXABI", path: "Sources/CLeafXABI"),

    // CPU feature queries (which kernel build to run).
    .systemLibrary(name: "CCPUFeatures", path: "Sources/CCPUFeatures"),

    // The decoder-step matrix-vector kernels, once for the default x86-64 target and once
    // for Haswell (AVX2); LeafXCore's MatrixVector picks one at run time. Same source,
    // same bits (Sources/LeafXKernels/MatrixVectorKernels.swift).
    .target(name: "LeafXKernels", path: "Sources/LeafXKernels"),
    .target(
      name: "LeafXKernelsAVX2",
      dependencies: ["LeafXKernels"],
      path: "Sources/LeafXKernelsAVX2",
      swiftSettings: haswellSettings),

    // The Swift core: knows nothing of C callers.
    .target(
      name: "LeafXCore",
      dependencies: ["CBLAS", "CFFTW", "CSndFile", "CSoxr", "CZlib", "CCPUFeatures", "LeafXKernels", "LeafXKernelsAVX2"],
      path: "Sources/LeafXCore"),

    // The C ABI: `@c @implementation` shims only.
    .target(
      name: "LeafXCABI",
      dependencies: ["LeafXCore", "CLeafXABI"],
      path: "Sources/LeafXCABI",
      exclude: ["leafx.map"],
      linkerSettings: [
        .unsafeFlags([
          "-use-ld=lld",
          "-Xlinker", "-soname=libleafx.so.0",
          "-Xlinker", "--version-script=\(packageRoot)/Sources/LeafXCABI/leafx.map",
        ])
      ]),

    // The command line.
    .executableTarget(
      name: "LeafXCLI",
      dependencies: [
        "LeafXCore",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Sources/LeafXCLI"),

    .testTarget(
      name: "LeafXCoreTests",
      dependencies: ["LeafXCore"],
      path: "Tests/LeafXCoreTests",
      exclude: ["Fixtures"]),
  ]
)
