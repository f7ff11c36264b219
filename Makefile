# leafx: build, test, install, demo. See README.md.
#
#   make                  release build (libleafx.so with the Swift runtime linked in, and the CLI)
#   make test             every suite: Swift unit tests, C ABI drivers, install and reference checks
#   make install PREFIX=DIR
#   make models           fetch the real Whisper weights into $(LEAFX_MODELS)
#   make demo             the main job on the bundled JFK sample

PREFIX       ?= /usr/local
LEAFX_CACHE  ?= $(HOME)/.cache/leafx
LEAFX_MODELS ?= $(LEAFX_CACHE)/models
VENV         ?= $(LEAFX_CACHE)/venv
PYTHON       ?= python3
VERSION      := 0.1.0
ABI          := 0

SWIFT_RELEASE := swift build -c release -Xswiftc -static-stdlib
BUILD_DIR     := .build/release

export LEAFX_CACHE LEAFX_MODELS

.PHONY: all build deps test-deps install uninstall models venv test test-swift test-python demo clean

all: build

deps:
	@scripts/ensure-deps.sh

test-deps:
	@scripts/ensure-deps.sh --test

build: deps
	$(SWIFT_RELEASE)

install: build
	install -d "$(PREFIX)/lib/pkgconfig" "$(PREFIX)/include" "$(PREFIX)/bin"
	install -m 755 "$(BUILD_DIR)/libLeafX.so" "$(PREFIX)/lib/libleafx.so.$(VERSION)"
	ln -sf "libleafx.so.$(VERSION)" "$(PREFIX)/lib/libleafx.so.$(ABI)"
	ln -sf "libleafx.so.$(ABI)" "$(PREFIX)/lib/libleafx.so"
	install -m 644 include/leafx.h "$(PREFIX)/include/leafx.h"
	sed -e 's|@PREFIX@|$(abspath $(PREFIX))|' -e 's|@VERSION@|$(VERSION)|' \
	  pkgconfig/leafx.pc.in > "$(PREFIX)/lib/pkgconfig/leafx.pc"
	install -m 755 "$(BUILD_DIR)/leafx" "$(PREFIX)/bin/leafx"

uninstall:
	rm -f "$(PREFIX)/lib/libleafx.so.$(VERSION)" "$(PREFIX)/lib/libleafx.so.$(ABI)" \
	  "$(PREFIX)/lib/libleafx.so" "$(PREFIX)/include/leafx.h" \
	  "$(PREFIX)/lib/pkgconfig/leafx.pc" "$(PREFIX)/bin/leafx"

models:
	$(PYTHON) scripts/fetch_models.py

# The Python environment of the reference checks (numpy, pytest, faster-whisper), cached
# outside the repository and rebuilt when Tests/requirements.txt changes.
venv: $(VENV)/.leafx-requirements

$(VENV)/.leafx-requirements: Tests/requirements.txt
	@scripts/ensure-deps.sh
	$(PYTHON) -m venv "$(VENV)"
	"$(VENV)/bin/pip" install --quiet --disable-pip-version-check -r Tests/requirements.txt
	cp Tests/requirements.txt "$@"

test: test-deps build venv
	$(MAKE) --no-print-directory test-swift
	$(MAKE) --no-print-directory test-python

test-swift:
	swift test --parallel

# C drivers, install and pkg-config checks, numerical references: driven by pytest.
test-python:
	LEAFX_SOURCE_DIR="$(CURDIR)" "$(VENV)/bin/python" -m pytest -q Tests/python

demo: build
	@mkdir -p demo
	$(BUILD_DIR)/leafx features data/jfk.wav --format npy -o demo/jfk-features.npy
	@echo "leafx: wrote demo/jfk-features.npy, the log-mel features Whisper sees for data/jfk.wav"
	@echo "       (float32 [80, frames], 100 frames per second)"

clean:
	rm -rf .build demo
