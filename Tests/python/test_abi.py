"""Builds the C drivers of Tests/c against the installed library with pkg-config only and
runs them with an empty environment (env -i)."""
import os
import shutil
import subprocess
import wave

import pytest

from conftest import DEV_DIR, SOURCE_DIR


def test_c_driver(compile_c, clean_env, tmp_path):
    binary = compile_c("test_abi", os.path.join(SOURCE_DIR, "Tests", "c", "test_abi.c"))
    wav = os.path.join(DEV_DIR, "audio", "1688-142285-0002.wav")
    with wave.open(wav) as w:
        expected = w.getnframes()
    result = subprocess.run([*clean_env, str(binary), wav, str(expected), str(tmp_path)],
                            capture_output=True, text=True)
    print(result.stdout)
    failed = [line for line in result.stdout.splitlines() if line.startswith("not ok")]
    assert result.returncode == 0 and not failed, "\n".join(failed) + result.stderr[-3000:]
    assert "0 failed" in result.stdout


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is installed by make test")
def test_c_driver_under_valgrind(compile_c, clean_env, tmp_path):
    """No invalid reads or writes and no definite leaks through the ABI."""
    binary = compile_c("test_abi_vg", os.path.join(SOURCE_DIR, "Tests", "c", "test_abi.c"))
    wav = os.path.join(DEV_DIR, "audio", "1688-142285-0002.wav")
    with wave.open(wav) as w:
        expected = w.getnframes()
    result = subprocess.run(
        [*clean_env, shutil.which("valgrind"), "--error-exitcode=3", "--leak-check=full",
         "--errors-for-leak-kinds=definite", str(binary), wav, str(expected), str(tmp_path)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-5000:]


def expected_greedy_text(prefix, clean_env, wav):
    """The CLI's greedy transcript, which the ABI must reproduce."""
    import json
    out = subprocess.run([*clean_env, f"HOME={os.environ.get('HOME', '')}", str(prefix / "bin" / "leafx"),
                          "transcribe", wav, "--beam", "1", "--temperature", "0", "--format", "json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["text"]


def test_c_transcribe_driver(compile_c, clean_env, prefix, models_dir):
    binary = compile_c("test_transcribe", os.path.join(SOURCE_DIR, "Tests", "c", "test_transcribe.c"))
    wav = os.path.join(DEV_DIR, "audio", "jfk.wav")
    text = expected_greedy_text(prefix, clean_env, wav)
    assert "fellow Americans" in text
    result = subprocess.run([*clean_env, str(binary), os.path.join(models_dir, "tiny.en"), wav, text],
                            capture_output=True, text=True)
    print(result.stdout)
    failed = [line for line in result.stdout.splitlines() if line.startswith("not ok")]
    assert result.returncode == 0 and not failed, "\n".join(failed) + result.stderr[-3000:]


def test_c_explain_driver(compile_c, clean_env, models_dir):
    binary = compile_c("test_explain", os.path.join(SOURCE_DIR, "Tests", "c", "test_explain.c"))
    wav = os.path.join(DEV_DIR, "audio", "jfk.wav")
    result = subprocess.run([*clean_env, str(binary), os.path.join(models_dir, "tiny.en"), wav],
                            capture_output=True, text=True)
    print(result.stdout)
    failed = [line for line in result.stdout.splitlines() if line.startswith("not ok")]
    assert result.returncode == 0 and not failed, "\n".join(failed) + result.stderr[-3000:]
