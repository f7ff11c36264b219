#!/bin/sh
# Builds the sanitizer products of Fuzz/README.md into .build-fuzz:
#   .build-fuzz/bin/fuzz-<target>        one libFuzzer binary per Fuzz/Targets/Fuzz<Target>.swift
#   .build-fuzz/release/libLeafX.so      the C library with AddressSanitizer, for the C drivers
#                                        of the bad-input suite (make test-asan)
#
# Everything is compiled once by SwiftPM with libFuzzer coverage and AddressSanitizer
# (-sanitize=fuzzer,address; a C program built with -fsanitize=address loads the library,
# the coverage hooks then fall back to the ASan runtime's no-op defaults) and with
# LEAFX_HEAP_MAPPED_FILES, which makes the readers load files into exactly sized heap blocks
# instead of page-rounded mappings, so ASan catches a read one byte past the end. Each fuzz
# target is then one swiftc link of its file, Fuzz/Support and the objects of the core and
# its kernel modules.
#
# usage: Fuzz/build.sh [TARGET...]   (default: every target)
set -eu
cd "$(dirname "$0")/.."
SCRATCH=.build-fuzz
SANITIZE="-sanitize=fuzzer,address"
DEFINE="-DLEAFX_HEAP_MAPPED_FILES"

swift build -c release --scratch-path "$SCRATCH" --product LeafX -Xswiftc "$SANITIZE" -Xswiftc "$DEFINE"
BUILD="$SCRATCH/release"
OBJECTS=$(find "$BUILD/LeafXCore.build" "$BUILD/LeafXKernels.build" "$BUILD/LeafXKernelsAVX2.build" -name '*.o')
mkdir -p "$SCRATCH/bin"

if [ $# -eq 0 ]; then
  set -- $(for f in Fuzz/Targets/Fuzz*.swift; do basename "$f" .swift | sed 's/^Fuzz//'; done)
fi
for target in "$@"; do
  out="$SCRATCH/bin/fuzz-$(echo "$target" | tr 'A-Z' 'a-z')"
  echo "linking $out"
  # shellcheck disable=SC2086
  swiftc -O -parse-as-library "$SANITIZE" "$DEFINE" -module-name "Fuzz$target" \
    -I "$BUILD/Modules" -I Sources/CBLAS -I Sources/CFFTW -I Sources/CSndFile -I Sources/CSoxr -I Sources/CZlib -I Sources/CCPUFeatures \
    "Fuzz/Targets/Fuzz$target.swift" Fuzz/Support/*.swift $OBJECTS \
    -lopenblas -lfftw3f -lsndfile -lsoxr -lz -o "$out"
done
