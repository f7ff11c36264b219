"""Concurrency, progress and abort through the C ABI (DESIGN §2, §11): C drivers of
Tests/c built against the installed library, run with an empty environment.

- test_threads.c: leafx_explain / leafx_transcribe from 8 threads on one shared model give
  results bit-identical to serial runs (serial and concurrent times are printed, not
  asserted).
- test_abort.c: a minute-long leafx-causal explanation aborted after a delay returns
  LEAFX_CANCELLED and no result; progress is monotone with known stage names (the abort
  latency is printed, not asserted).
The same drivers under valgrind (memcheck: no definite leaks, no invalid accesses; helgrind:
no races) take minutes, so they run only with LEAFX_SLOW_TESTS=1 (`make test-concurrency`).
"""
import os
import shutil
import subprocess

import pytest

from conftest import DEV_DIR, SOURCE_DIR

SLOW = os.environ.get("LEAFX_SLOW_TESTS") == "1"
JFK = os.path.join(DEV_DIR, "audio", "jfk.wav")


def run_driver(command, timeout=1800):
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    print(result.stdout)
    failed = [line for line in result.stdout.splitlines() if line.startswith("not ok")]
    assert result.returncode == 0 and not failed, "\n".join(failed) + result.stderr[-5000:]
    assert " passed, 0 failed" in result.stdout
    return result


@pytest.fixture(scope="module")
def threads_driver(compile_c):
    return compile_c("test_threads", os.path.join(SOURCE_DIR, "Tests", "c", "test_threads.c"))


@pytest.fixture(scope="module")
def abort_driver(compile_c):
    return compile_c("test_abort", os.path.join(SOURCE_DIR, "Tests", "c", "test_abort.c"))


def test_eight_threads_match_serial_runs(threads_driver, clean_env, models_dir):
    result = run_driver([*clean_env, str(threads_driver), os.path.join(models_dir, "tiny.en"), JFK, "8"])
    assert result.stdout.count("identical to the serial one") == 8


def test_abort_stops_a_long_explanation(abort_driver, clean_env, models_dir):
    result = run_driver([*clean_env, str(abort_driver), os.path.join(models_dir, "tiny.en"), JFK, "1500"])
    assert "abort latency" in result.stdout


def valgrind(tool, *options):
    return [shutil.which("valgrind"), f"--tool={tool}", "--error-exitcode=3", *options]


MEMCHECK = ("--leak-check=full", "--errors-for-leak-kinds=definite")


@pytest.mark.skipif(not SLOW or shutil.which("valgrind") is None, reason="slow: LEAFX_SLOW_TESTS=1 (make test-concurrency)")
def test_threads_under_memcheck(threads_driver, clean_env, models_dir):
    run_driver([*clean_env, *valgrind("memcheck", *MEMCHECK), str(threads_driver),
                os.path.join(models_dir, "tiny.en"), JFK, "2", "raa"], timeout=3600)


@pytest.mark.skipif(not SLOW or shutil.which("valgrind") is None, reason="slow: LEAFX_SLOW_TESTS=1 (make test-concurrency)")
def test_abort_under_memcheck(abort_driver, clean_env, models_dir):
    """Nothing leaks when a call is cancelled midway (the abort comes during decoding)."""
    run_driver([*clean_env, *valgrind("memcheck", *MEMCHECK), str(abort_driver),
                os.path.join(models_dir, "tiny.en"), JFK, "20000", "raa"], timeout=3600)


@pytest.mark.skipif(not SLOW or shutil.which("valgrind") is None, reason="slow: LEAFX_SLOW_TESTS=1 (make test-concurrency)")
def test_threads_under_helgrind(threads_driver, clean_env, models_dir):
    run_driver([*clean_env, *valgrind("helgrind"), str(threads_driver),
                os.path.join(models_dir, "tiny.en"), JFK, "2", "raa"], timeout=3600)
