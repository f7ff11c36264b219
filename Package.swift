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

let package = Package(
  name: "leafx",
  products: [
    // The C library. The Makefile installs it as libleafx.so.0 (the SONAME set below).
    .library(name: "LeafX", type: .dynamic, targets: ["LeafX"]),
    .executable(name: "leafx", targets: ["leafx"]),
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

    // The Swift core: knows nothing of C callers.
    .target(
      name: "LeafXCore",
      dependencies: ["CBLAS", "CFFTW", "CSndFile", "CSoxr", "CZlib"],
      path: "Sources/LeafXCore"),

    // The C ABI: `@c @implementation` shims only.
    .target(
      name: "LeafX",
      dependencies: ["LeafXCore", "CLeafXABI"],
      path: "Sources/LeafX",
      exclude: ["leafx.map"],
      linkerSettings: [
        .unsafeFlags([
          "-use-ld=lld",
          "-Xlinker", "-soname=libleafx.so.0",
          "-Xlinker", "--version-script=\(packageRoot)/Sources/LeafX/leafx.map",
        ])
      ]),

    // The command line.
    .executableTarget(
      name: "leafx",
      dependencies: [
        "LeafXCore",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Sources/leafx"),

    .testTarget(
      name: "LeafXCoreTests",
      dependencies: ["LeafXCore"],
      path: "Tests/LeafXCoreTests",
      exclude: ["Fixtures"]),
  ]
)
