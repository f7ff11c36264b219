"""Concurrency, progress and abort through the C ABI (docs/design.md, "The C ABI" and
"Reliability"): C drivers of Tests/c built against the installed library, run with an empty
environment.

- test_threads.c: leafx_explain / leafx_transcribe from 8 threads on one shared model give
  results bit-identical to serial runs (serial and concurrent times are printed, not
  asserted).
- test_abort.c: a minute-long leafx-causal explanation aborted after a delay returns
  LEAFX_CANCELLED and no result; progress is monotone with known stage names (the abort
  latency is printed, not asserted).
Under ThreadSanitizer (`make test-tsan`, part of `make test`): the library built with
-sanitize=thread and the drivers with the toolchain's clang -fsanitize=thread; any data race
in the Swift code or the drivers fails the test. They run with two compute threads, so that
the work leafx splits over Dispatch's pool (ComputeThreads) runs concurrently too; a control
program with a deliberate race checks that reports do reach the test.

The same drivers under valgrind (memcheck: no definite leaks, no invalid accesses; helgrind:
no races, with Tests/valgrind/helgrind.supp) take minutes, so they run only with
LEAFX_SLOW_TESTS=1 (`make test-concurrency`). They use the synthetic model (tiny.en's shapes
at width 8: a tiny.en encoder pass is about an hour under memcheck), and one compute thread:
valgrind runs all threads on one core, and there the driver's own threads are under test.
"""
import os
import shutil
import subprocess

import pytest

import bad_inputs
from conftest import DEV_DIR, SOURCE_DIR, compile_sanitized_driver, swift_runtime_library_paths, toolchain_clang

SLOW = os.environ.get("LEAFX_SLOW_TESTS") == "1"
TSAN_LIBRARY = os.environ.get("LEAFX_TSAN_LIBRARY")
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


# --- ThreadSanitizer ------------------------------------------------------------------------

def tsan_env():
    """Empty environment but the Swift runtime, two compute threads (OpenBLAS's setting is
    leafx's default thread count), and ThreadSanitizer reporting every race, exit code 66."""
    return ["env", "-i", f"LD_LIBRARY_PATH={':'.join(swift_runtime_library_paths())}", "OPENBLAS_NUM_THREADS=2",
            "TSAN_OPTIONS=halt_on_error=0 exitcode=66"]


def tsan_link_flags():
    # The toolchain's TSan runtime has libdispatch interceptors: it needs libdispatch and the
    # blocks runtime.
    paths = swift_runtime_library_paths()
    return [*(f"-L{p}" for p in paths), *(f"-Wl,-rpath,{p}" for p in paths), "-ldispatch", "-lBlocksRuntime"]


def compile_tsan_driver(source, output):
    return compile_sanitized_driver(source, output, TSAN_LIBRARY, "thread", tsan_link_flags())


def run_under_tsan(command):
    result = subprocess.run([*tsan_env(), *command], capture_output=True, text=True, timeout=1800)
    print(result.stdout)
    assert "ThreadSanitizer" not in result.stderr, result.stderr[-8000:]
    failed = [line for line in result.stdout.splitlines() if line.startswith("not ok")]
    assert result.returncode == 0 and not failed, "\n".join(failed) + result.stderr[-4000:]
    assert " passed, 0 failed" in result.stdout
    return result


RACY_CONTROL = r"""
#include <pthread.h>
#include <stdio.h>
static int shared;
static void *writer(void *arg) { (void)arg; for (int i = 0; i < 1000; i++) shared++; return NULL; }
int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, writer, NULL);
    pthread_create(&b, NULL, writer, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%d\n", shared);
    return 0;
}
"""


@pytest.mark.skipif(not TSAN_LIBRARY, reason="LEAFX_TSAN_LIBRARY is set by make test-tsan")
def test_thread_sanitizer_reports_races(tmp_path):
    """The control for the two tests below: the Swift code is instrumented (the library calls
    the TSan runtime's access hooks), and a deliberate race is reported with this setup."""
    symbols = subprocess.run(["nm", "-D", TSAN_LIBRARY], capture_output=True, text=True, check=True).stdout
    assert "__tsan_write4" in symbols and "__tsan_func_entry" in symbols
    source = tmp_path / "racy.c"
    source.write_text(RACY_CONTROL)
    subprocess.run([toolchain_clang(), "-fsanitize=thread", "-g", "-o", str(tmp_path / "racy"), str(source), *tsan_link_flags(),
                    "-lpthread"], check=True)
    result = subprocess.run([*tsan_env(), str(tmp_path / "racy")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 66 and "WARNING: ThreadSanitizer: data race" in result.stderr, result.stderr


@pytest.mark.skipif(not TSAN_LIBRARY, reason="LEAFX_TSAN_LIBRARY is set by make test-tsan")
def test_threads_under_thread_sanitizer(tmp_path, models_dir):
    """Five threads: leafx, leafx-causal, raa, leafx-grad and a transcription on one model."""
    driver = compile_tsan_driver("test_threads.c", tmp_path / "test_threads_tsan")
    result = run_under_tsan([str(driver), os.path.join(models_dir, "tiny.en"), JFK, "5"])
    assert result.stdout.count("identical to the serial one") == 5


@pytest.mark.skipif(not TSAN_LIBRARY, reason="LEAFX_TSAN_LIBRARY is set by make test-tsan")
def test_abort_under_thread_sanitizer(tmp_path, models_dir):
    driver = compile_tsan_driver("test_abort.c", tmp_path / "test_abort_tsan")
    run_under_tsan([str(driver), os.path.join(models_dir, "tiny.en"), JFK, "3000"])


# --- valgrind -----------------------------------------------------------------------------

def valgrind(tool, *options):
    # One compute thread: see the module's docstring.
    return ["env", "OPENBLAS_NUM_THREADS=1", shutil.which("valgrind"), f"--tool={tool}", "--error-exitcode=3", *options]


MEMCHECK = ("--leak-check=full", "--errors-for-leak-kinds=definite")


@pytest.fixture(scope="module")
def synthetic_model(tmp_path_factory):
    """tiny.en's shapes at width 8 (bad_inputs.py): every line of the engine and of the
    explainers runs, at a cost valgrind can afford (tiny.en's 37 GFLOP encoder pass is about
    an hour of memcheck per window)."""
    return bad_inputs.write_synthetic_model(str(tmp_path_factory.mktemp("synthetic") / "model"))


@pytest.mark.skipif(not SLOW or shutil.which("valgrind") is None, reason="slow: LEAFX_SLOW_TESTS=1 (make test-concurrency)")
def test_threads_under_memcheck(threads_driver, clean_env, synthetic_model):
    """leafx and leafx-causal on two threads, after the same two serially."""
    run_driver([*clean_env, *valgrind("memcheck", *MEMCHECK), str(threads_driver), synthetic_model, JFK, "2"],
               timeout=3600)


@pytest.mark.skipif(not SLOW or shutil.which("valgrind") is None, reason="slow: LEAFX_SLOW_TESTS=1 (make test-concurrency)")
def test_abort_under_memcheck(abort_driver, clean_env, synthetic_model):
    """Nothing leaks when a call is cancelled midway: a minute of audio with leafx-causal,
    aborted after 20 s (under valgrind that is within the call), then the full run and the
    aborted transcription of the driver."""
    run_driver([*clean_env, *valgrind("memcheck", *MEMCHECK), str(abort_driver), synthetic_model, JFK, "20000"],
               timeout=3600)


@pytest.mark.skipif(not SLOW or shutil.which("valgrind") is None, reason="slow: LEAFX_SLOW_TESTS=1 (make test-concurrency)")
def test_explain_driver_under_memcheck(compile_c, clean_env, synthetic_model):
    """Tests/c/test_explain.c (every method, params validation, accessors, JSON) leaks
    nothing and reads nothing it should not. test_abi.c runs under memcheck in make test."""
    driver = compile_c("test_explain", os.path.join(SOURCE_DIR, "Tests", "c", "test_explain.c"))
    run_driver([*clean_env, *valgrind("memcheck", *MEMCHECK), str(driver), synthetic_model, JFK], timeout=3600)


@pytest.mark.skipif(not SLOW or shutil.which("valgrind") is None, reason="slow: LEAFX_SLOW_TESTS=1 (make test-concurrency)")
def test_threads_under_helgrind(threads_driver, clean_env, synthetic_model):
    """With Tests/valgrind/helgrind.supp: the locks helgrind cannot see (futex-based, in the
    Swift runtime's metadata caches and in the ABI's handle registry) are left to the TSan
    tests above; every other access is checked."""
    suppressions = os.path.join(SOURCE_DIR, "Tests", "valgrind", "helgrind.supp")
    run_driver([*clean_env, *valgrind("helgrind", f"--suppressions={suppressions}"), str(threads_driver),
                synthetic_model, JFK, "2"], timeout=3600)
