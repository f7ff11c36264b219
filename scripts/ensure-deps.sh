#!/usr/bin/env bash
# Installs the Debian packages leafx builds and tests with, when they are missing.
# As root it runs apt-get; otherwise it prints the exact command and stops.
set -euo pipefail

packages=(pkg-config gcc g++ make binutils libopenblas-dev libfftw3-dev libsndfile1-dev libsoxr-dev zlib1g-dev)
# Test-only tools: valgrind for the C drivers' leak checks, chromium (headless) for the HTML report
# test, jq for the shell example (examples/shell/flagged-words.sh).
if [ "${1:-}" = "--test" ]; then packages+=(valgrind chromium jq); fi
# Debian's python3 splits venv and ensurepip into python3-venv.
if ! command -v python3 >/dev/null 2>&1; then
  packages+=(python3 python3-venv)
elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "leafx: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "leafx: missing system packages; run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "leafx: the Swift toolchain (6.x) is not on PATH; install it from swift.org and retry." >&2
  exit 1
fi
