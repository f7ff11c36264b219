"""Shared fixtures of the integration suite: a temporary `make install` prefix, the
installed library through ctypes, and the dev set."""
import ctypes
import json
import os
import subprocess
import wave

import numpy as np
import pytest

SOURCE_DIR = os.environ.get(
    "LEAFX_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
)
SHARED_DIR = os.environ.get("LEAFX_SHARED_DIR", os.path.join(SOURCE_DIR, "..", "shared"))
DEV_DIR = os.path.join(SHARED_DIR, "data", "dev")


def run(args, **kwargs):
    """Runs a command, failing the test with its output when it fails."""
    kwargs.setdefault("cwd", SOURCE_DIR)
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} exited {result.returncode}\n"
            f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
        )
    return result


@pytest.fixture(scope="session")
def prefix(tmp_path_factory):
    """leafx installed with `make install PREFIX=<temporary dir>`."""
    directory = tmp_path_factory.mktemp("prefix")
    run(["make", "--no-print-directory", "install", f"PREFIX={directory}"])
    return directory


@pytest.fixture(scope="session")
def pkg_env(prefix):
    """Environment in which pkg-config finds only the temporary install."""
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = str(prefix / "lib" / "pkgconfig")
    return env


def pkg_config(pkg_env, *flags):
    return run(["pkg-config", *flags, "leafx"], env=pkg_env).stdout.split()


@pytest.fixture(scope="session")
def compile_c(pkg_env, tmp_path_factory):
    """Compiles C sources against the installed header and library via pkg-config only."""
    out_dir = tmp_path_factory.mktemp("cbin")

    def build(name, *sources, compiler="cc", extra=()):
        output = out_dir / name
        flags = pkg_config(pkg_env, "--cflags") + pkg_config(pkg_env, "--libs")
        run([compiler, "-Wall", "-Wextra", "-Werror", *extra, "-o", str(output), *sources, *flags,
             "-lm", "-lpthread"], env=pkg_env)
        return output

    return build


@pytest.fixture(scope="session")
def clean_env(prefix):
    """Arguments for `env -i`: nothing from the Swift toolchain or the caller's shell."""
    return ["env", "-i", f"LD_LIBRARY_PATH={prefix / 'lib'}"]


@pytest.fixture(scope="session")
def lib(prefix):
    """The installed libleafx.so.0 through ctypes."""
    library = ctypes.CDLL(str(prefix / "lib" / "libleafx.so.0"))
    library.leafx_last_error.restype = ctypes.c_char_p
    library.leafx_version.restype = ctypes.c_char_p
    return library


@pytest.fixture(scope="session")
def manifest():
    with open(os.path.join(DEV_DIR, "manifest.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def read_wav(path):
    """16-bit PCM WAV as float32 in [-1, 1), scaled as libsndfile and PyAV scale it."""
    with wave.open(path) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        frames = w.readframes(w.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
