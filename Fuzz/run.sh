#!/bin/sh
# Runs every libFuzzer target of .build-fuzz/bin (Fuzz/build.sh) for SECONDS each, starting
# from the committed seeds in Fuzz/corpus/<target>. New interesting inputs go to a scratch
# corpus (.build-fuzz/corpus/<target>, kept between runs), never into the repository; a crash
# leaves its input in .build-fuzz/artifacts/ and fails the run.
#
# usage: Fuzz/run.sh SECONDS [TARGET...]
set -u
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:?usage: Fuzz/run.sh SECONDS [TARGET...]}
shift
if [ $# -eq 0 ]; then
  set -- $(for f in Fuzz/Targets/Fuzz*.swift; do basename "$f" .swift | sed 's/^Fuzz//' | tr 'A-Z' 'a-z'; done)
fi
mkdir -p .build-fuzz/artifacts
status=0
for target in "$@"; do
  binary=.build-fuzz/bin/fuzz-$target
  [ -x "$binary" ] || { echo "fuzz: $binary is missing; run Fuzz/build.sh" >&2; exit 2; }
  work=.build-fuzz/corpus/$target
  mkdir -p "$work"
  log=.build-fuzz/fuzz-$target.log
  # -timeout: one input taking over 20 s is a hang; -rss_limit_mb / -malloc_limit_mb: an input
  # that makes the reader allocate over 2 GB is a finding too (header sizes must be checked
  # against the file before allocating).
  ASAN_OPTIONS=detect_leaks=1 "$binary" "$work" "Fuzz/corpus/$target" \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix=.build-fuzz/artifacts/"$target"- >"$log" 2>&1
  code=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  if [ $code -eq 0 ]; then
    echo "fuzz $target: ${SECONDS_PER_TARGET} s, ${runs:-?} inputs, ${cov:-cov: ?}, no findings"
  else
    echo "fuzz $target: FAILED (exit $code), see $log and .build-fuzz/artifacts/" >&2
    grep -E 'ERROR|SUMMARY|Fatal error|==[0-9]+==' "$log" | head -5 >&2
    status=1
  fi
done
exit $status
