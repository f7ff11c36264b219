"""bindings/cpp/leafx.hpp, installed by `make install` beside leafx.h: its test program built
through pkg-config (C++20, and C++17 for valgrind) and run with an empty environment, under
AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer (everything, with the real
model), and under valgrind memcheck (the parts that need no model; a model run under
valgrind takes minutes)."""
import os
import shutil
import subprocess

import pytest

from conftest import SOURCE_DIR

CPP_TEST = os.path.join(SOURCE_DIR, "bindings", "cpp", "test_leafx_hpp.cpp")
CHECK_H_DIR = os.path.join(SOURCE_DIR, "Tests", "c")
JFK = os.path.join(SOURCE_DIR, "data", "jfk.wav")


def build(compile_c, name, std, *extra):
    return compile_c(name, CPP_TEST, compiler="c++", extra=(f"-std={std}", "-pedantic", f"-I{CHECK_H_DIR}", *extra))


def assert_all_passed(result):
    print(result.stdout)
    failed = [line for line in result.stdout.splitlines() if line.startswith("not ok")]
    assert result.returncode == 0 and not failed, "\n".join(failed) + result.stderr[-5000:]
    assert " passed, 0 failed" in result.stdout


def test_header_is_installed(prefix):
    installed = prefix / "include" / "leafx.hpp"
    assert installed.read_text() == open(os.path.join(SOURCE_DIR, "bindings", "cpp", "leafx.hpp")).read()


def test_wrapper(compile_c, clean_env, models_dir):
    """C++20 (std::span); the C++17 build (own span) runs under valgrind below."""
    binary = build(compile_c, "test_leafx_hpp", "c++20")
    result = subprocess.run([*clean_env, str(binary), os.path.join(models_dir, "tiny.en"), JFK],
                            capture_output=True, text=True)
    assert_all_passed(result)
    assert "ok - Result freed its handle" in result.stdout


def test_wrapper_under_sanitizers(compile_c, clean_env, models_dir):
    """No invalid access, undefined behaviour or leak, with the model (LeakSanitizer checks at
    exit; handles the registry would keep reachable are checked by the program itself)."""
    binary = build(compile_c, "test_leafx_hpp_asan", "c++20", "-g", "-fno-omit-frame-pointer",
                   "-fsanitize=address,undefined", "-fno-sanitize-recover=all")
    result = subprocess.run([*clean_env, "ASAN_OPTIONS=detect_leaks=1", str(binary),
                             os.path.join(models_dir, "tiny.en"), JFK], capture_output=True, text=True)
    assert "Sanitizer" not in result.stderr and "runtime error" not in result.stderr, result.stderr[-5000:]
    assert_all_passed(result)


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is installed by make test")
def test_wrapper_under_valgrind(compile_c, clean_env):
    binary = build(compile_c, "test_leafx_hpp_vg", "c++17", "-g")
    result = subprocess.run([*clean_env, shutil.which("valgrind"), "--error-exitcode=3", "--leak-check=full",
                             "--errors-for-leak-kinds=definite", str(binary), "-", JFK],
                            capture_output=True, text=True)
    assert "definitely lost: 0 bytes" in result.stderr or "no leaks are possible" in result.stderr, result.stderr[-3000:]
    assert_all_passed(result)
