# leafx: build, test, install, demo. See README.md.
#
#   make                  release build (libleafx.so with the Swift runtime linked in, and the CLI)
#   make test             every suite: Swift unit tests, C ABI drivers, install and reference checks
#   make test-bindings    the Python package's own suite (bindings/python/tests; part of make test)
#   make install PREFIX=DIR
#   make models           fetch the real Whisper weights into $(LEAFX_MODELS)
#   make references       faster-whisper references of those models into $(LEAFX_REFERENCE_DIR)
#   make demo             the main job on the bundled JFK sample
#   make bench-transcribe leafx against faster-whisper: transcription time ratios (not part of `make test`)
#   make bench            LEAF-XBench table of the explanation methods on the dev set (long; not part of `make test`)

PREFIX       ?= /usr/local
LEAFX_CACHE  ?= $(HOME)/.cache/leafx
LEAFX_MODELS ?= $(LEAFX_CACHE)/models
VENV         ?= $(LEAFX_CACHE)/venv
PYTHON       ?= python3
VERSION      := 0.3.0
ABI          := 0

SWIFT_RELEASE := swift build -c release -Xswiftc -static-stdlib
BUILD_DIR     := .build/release

export LEAFX_CACHE LEAFX_MODELS

# The test recipes end by printing their wall time (`start` set at the recipe's start), so that
# a CI log shows where the minutes went; pytest's --durations lists its slowest tests.
TOOK = echo "leafx: $@ took $$(( $$(date +%s) - start )) s"

# The faster-whisper references of the engine tests (Tests/reference/make_references.py).
LEAFX_REFERENCE_DIR ?= $(LEAFX_CACHE)/reference
export LEAFX_REFERENCE_DIR

.PHONY: bench-explain all build deps test-deps install uninstall models venv references test test-swift test-python demo clean \
  bench-transcribe

all: build

deps:
	@scripts/ensure-deps.sh

test-deps:
	@scripts/ensure-deps.sh --test

build: deps
	start=$$(date +%s); $(SWIFT_RELEASE) && $(TOOK)

install: build
	install -d "$(PREFIX)/lib/pkgconfig" "$(PREFIX)/include" "$(PREFIX)/bin"
	install -m 755 "$(BUILD_DIR)/libLeafX.so" "$(PREFIX)/lib/libleafx.so.$(VERSION)"
	ln -sf "libleafx.so.$(VERSION)" "$(PREFIX)/lib/libleafx.so.$(ABI)"
	ln -sf "libleafx.so.$(ABI)" "$(PREFIX)/lib/libleafx.so"
	install -m 644 include/leafx.h "$(PREFIX)/include/leafx.h"
	install -m 644 bindings/cpp/leafx.hpp "$(PREFIX)/include/leafx.hpp"
	sed -e 's|@PREFIX@|$(abspath $(PREFIX))|' -e 's|@VERSION@|$(VERSION)|' \
	  pkgconfig/leafx.pc.in > "$(PREFIX)/lib/pkgconfig/leafx.pc"
	install -m 755 "$(BUILD_DIR)/leafx" "$(PREFIX)/bin/leafx"
	install -d "$(PREFIX)/share/leafx"
	install -m 755 scripts/fetch_models.py "$(PREFIX)/share/leafx/fetch_models.py"

uninstall:
	rm -f "$(PREFIX)/lib/libleafx.so.$(VERSION)" "$(PREFIX)/lib/libleafx.so.$(ABI)" \
	  "$(PREFIX)/lib/libleafx.so" "$(PREFIX)/include/leafx.h" \
	  "$(PREFIX)/lib/pkgconfig/leafx.pc" "$(PREFIX)/bin/leafx"
	rm -f "$(PREFIX)/include/leafx.hpp" "$(PREFIX)/share/leafx/fetch_models.py"
	rmdir "$(PREFIX)/share/leafx" 2>/dev/null || true

models:
	$(PYTHON) scripts/fetch_models.py

# The Python environment of the reference checks (numpy, pytest, faster-whisper), cached
# outside the repository and rebuilt when Tests/requirements.txt changes.
venv: $(VENV)/.leafx-requirements

$(VENV)/.leafx-requirements: Tests/requirements.txt
	@scripts/ensure-deps.sh
	test -x "$(VENV)/bin/python" || $(PYTHON) -m venv "$(VENV)"
	"$(VENV)/bin/pip" install --quiet --disable-pip-version-check -r Tests/requirements.txt
	cp Tests/requirements.txt "$@"

# faster-whisper transcripts and logits of the dev set for tiny.en and base, regenerated only
# when the reference script, Tests/requirements.txt or the model changes (a few minutes once).
references: models venv
	start=$$(date +%s); \
	"$(VENV)/bin/python" Tests/reference/make_references.py tiny.en base && $(TOOK)

# Every suite runs under one `make -j2`, its output kept apart: the Swift suite's optimised
# test build and the release build first, side by side (each compiles its largest module in
# one process, so alone it leaves a core idle for minutes), then the Swift and Python suites
# (each alone leaves a core idle much of the time: the Swift suite's benchmark tests run one
# after another, many Python tests are single-threaded compilers, drivers and valgrind); each
# core that frees up takes the next job (the Python package's suite, the two sanitizer
# builds, fuzzing, the ASan and TSan runs), so that no core waits for the last long suite.
#
# SANITIZER_BUILDS_AFTER=build holds the two sanitizer builds back until the release build is
# done: make queues a job that finds no free slot and starts the queue's head when one frees,
# so a sanitizer build queued while the release build runs would take its slot before the
# Python suite, the longest, could start.
test: test-deps venv references
	$(MAKE) --no-print-directory -j2 --output-sync=target SANITIZER_BUILDS_AFTER=build \
	  test-swift test-python test-bindings test-hostile

# The Swift suites run optimised (-enable-testing keeps @testable imports working): the
# engine-backed tests are 20-30x slower in a debug build. The build goes to its own scratch
# directory so that it does not replace the -static-stdlib release build. Every test runs,
# including the gated ones: integrated gradients' completeness at 32 nodes (LEAFX_SLOW_TESTS)
# and the benchmark's determinism and beats-random tests on dev utterances (LEAFX_BENCH_TESTS).
SWIFT_TEST := swift test -c release -Xswiftc -enable-testing --scratch-path .build-test
test-swift:
	start=$$(date +%s); \
	LEAFX_SLOW_TESTS=1 LEAFX_BENCH_TESTS=1 $(SWIFT_TEST) --parallel && $(TOOK)

# Only the slow checks (a subset of test-swift).
.PHONY: test-slow
test-slow:
	LEAFX_SLOW_TESTS=1 $(SWIFT_TEST) --filter IntegratedGradientsTests

# C drivers, install and pkg-config checks, numerical references: driven by pytest.
test-python: build
	start=$$(date +%s); \
	LEAFX_SOURCE_DIR="$(CURDIR)" "$(VENV)/bin/python" -m pytest -q --durations=12 Tests/python && $(TOOK)

# The Python package's suite (bindings/python/tests) against a temporary `make install`; the
# C++ wrapper's test and the examples run in test-python (Tests/python/test_bindings_cpp.py,
# test_examples.py).
.PHONY: test-bindings
test-bindings: build
	start=$$(date +%s); \
	LEAFX_SOURCE_DIR="$(CURDIR)" "$(VENV)/bin/python" -m pytest -q --durations=5 bindings/python/tests && $(TOOK)

demo: build
	@$(PYTHON) scripts/fetch_models.py tiny.en
	@mkdir -p demo
	$(BUILD_DIR)/leafx explain data/jfk.wav -m tiny.en --method leafx --format json -o demo/jfk.json
	@$(BUILD_DIR)/leafx explain data/jfk.wav -m tiny.en --method leafx --format text -o demo/jfk.txt
	@$(BUILD_DIR)/leafx explain data/jfk.wav -m tiny.en --method leafx --format html -o demo/report.html
	@cat demo/jfk.txt
	@echo
	@echo "leafx: wrote demo/jfk.json (per-token and per-word attributions over 20 ms frames) and demo/jfk.txt"
	@echo "leafx: open $(CURDIR)/demo/report.html in a browser (self-contained: spectrogram, shaded transcript, heatmap, audit flags; click a word to hear it)"

# Transcription time of leafx against faster-whisper (same model, audio and threads, in one
# process) and the encoder's throughput against the measured sgemm peak. THREADS=2 by default.
THREADS ?= 2
bench-transcribe: build models venv
	LEAFX_LIBRARY="$(CURDIR)/$(BUILD_DIR)/libLeafX.so" "$(VENV)/bin/python" bench/bench_transcribe.py --threads $(THREADS)

clean:
	rm -rf .build demo

# Explain vs transcribe time, as ratios (docs/design.md, "Performance"; not part of `make test`).
bench-explain: build models venv
	"$(VENV)/bin/python" bench/bench_explain.py

# Peak RSS of transcribing and explaining 10 min, 30 min and 2 h of audio built from the dev
# set in memory (docs/design.md, "Reliability": memory stays bounded; not part of `make test`: ~15
# min of CPU).
.PHONY: bench-memory test-concurrency
bench-memory: build models venv
	LEAFX_LIBRARY="$(CURDIR)/$(BUILD_DIR)/libLeafX.so" "$(VENV)/bin/python" bench/bench_memory.py

# The 8-thread and abort C drivers (part of `make test`) plus the thread, abort and explain
# drivers under valgrind memcheck (no leaks) and helgrind (no races): about 25 minutes.
test-concurrency: build models venv
	LEAFX_SLOW_TESTS=1 LEAFX_SOURCE_DIR="$(CURDIR)" "$(VENV)/bin/python" -m pytest -q Tests/python/test_concurrency.py

# Hostile inputs (Fuzz/README.md): libFuzzer targets for the model readers, tokenizer.json and
# audio loader, and the bad-input suite through the C ABI under AddressSanitizer. One
# sanitizer build in .build-fuzz serves both. `make fuzz SECONDS=N` fuzzes each target N s.
FUZZ_SECONDS_CI ?= 15
.PHONY: fuzz-build fuzz fuzz-ci test-asan test-hostile
fuzz-build: deps | $(SANITIZER_BUILDS_AFTER)
	start=$$(date +%s); Fuzz/build.sh && $(TOOK)

fuzz: fuzz-build
	Fuzz/run.sh $(if $(SECONDS),$(SECONDS),60)

fuzz-ci: fuzz-build
	start=$$(date +%s); Fuzz/run.sh $(FUZZ_SECONDS_CI) && $(TOOK)

# The bad-input suite (Tests/python/test_bad_inputs.py) and the ABI-misuse driver through the
# ASan library (test-python runs the same suite on the release library).
test-asan: fuzz-build venv
	start=$$(date +%s); \
	LEAFX_SOURCE_DIR="$(CURDIR)" LEAFX_ASAN_LIBRARY="$(CURDIR)/.build-fuzz/release/libLeafX.so" \
	  "$(VENV)/bin/python" -m pytest -q Tests/python/test_bad_inputs.py -k address_sanitizer && $(TOOK)

# The thread and abort drivers under ThreadSanitizer (Tests/python/test_concurrency.py): the
# library built with -sanitize=thread in .build-tsan (Swift runtime linked dynamically).
.PHONY: test-tsan
test-tsan: deps venv models | $(SANITIZER_BUILDS_AFTER)
	start=$$(date +%s); \
	swift build -c release --scratch-path .build-tsan --product LeafX -Xswiftc -sanitize=thread && \
	LEAFX_SOURCE_DIR="$(CURDIR)" LEAFX_TSAN_LIBRARY="$(CURDIR)/.build-tsan/release/libLeafX.so" \
	  "$(VENV)/bin/python" -m pytest -q Tests/python/test_concurrency.py -k thread_sanitizer && $(TOOK)

test-hostile: fuzz-ci test-asan test-tsan

# LEAF-XBench on the dev set with tiny.en (docs/metrics.md; not part of `make test`):
# bench/results/dev-tiny.en-leafxbench.md, per-utterance results beside it (a rerun resumes,
# a rerun with more methods computes only those, and `leafx bench --report-only` tabulates a
# run in progress). About 30 CPU-minutes per utterance, half of it specmask, lime and
# kernelshap explaining three times (STAB); 33 utterances are ~16 CPU-hours, ~8 hours on two
# cores: one utterance per core (--jobs, BENCH_JOBS), one compute thread each. Every method
# but ig, which adds ~20 CPU-minutes per utterance at 32 nodes: BENCH_METHODS=...,ig.
BENCH_MANIFEST ?= Tests/data/dev/manifest.jsonl
BENCH_METHODS  ?= raa,raa-mean,rollout,grad-rollout,ta,leafx-paper,leafx-paper-grad,leafx-paper-causal,leafx,leafx-grad,leafx-causal,specmask,lime,kernelshap,random
BENCH_TOKENS   ?= 4
BENCH_JOBS     ?= $(shell nproc)
.PHONY: bench
bench: build models
	$(BUILD_DIR)/leafx bench "$(BENCH_MANIFEST)" -m tiny.en --methods "$(BENCH_METHODS)" --tokens $(BENCH_TOKENS) \
	  --jobs $(BENCH_JOBS) --threads 1 -o bench/results/dev-tiny.en-leafxbench.md
	cat bench/results/dev-tiny.en-leafxbench.md

# Only the benchmark runner's slow tests on real dev utterances (make test runs them too).
.PHONY: test-bench
test-bench: models
	LEAFX_BENCH_TESTS=1 $(SWIFT_TEST) --filter BenchTests
