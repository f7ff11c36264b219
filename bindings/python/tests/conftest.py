"""Fixtures of the Python package's tests: leafx installed with `make install PREFIX=<tmp>`
(as Tests/python does; or an existing prefix named by $LEAFX_TEST_PREFIX), the package
imported from this source tree, the real tiny.en model, and the dev set."""
import os
import subprocess
import sys
import wave

import numpy as np
import pytest

PACKAGE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SOURCE_DIR = os.environ.get("LEAFX_SOURCE_DIR") or os.path.abspath(os.path.join(PACKAGE_DIR, "..", ".."))
DEV_DIR = os.path.join(SOURCE_DIR, "Tests", "data", "dev")
CACHE_DIR = os.environ.get("LEAFX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "leafx")
MODELS_DIR = os.environ.get("LEAFX_MODELS") or os.path.join(CACHE_DIR, "models")
JFK = os.path.join(SOURCE_DIR, "data", "jfk.wav")

sys.path.insert(0, PACKAGE_DIR)


def run(args, **kwargs):
    """Runs a command, failing the test with its output when it fails."""
    kwargs.setdefault("cwd", SOURCE_DIR)
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {result.returncode}\n"
                    f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}")
    return result


@pytest.fixture(scope="session")
def prefix(tmp_path_factory):
    """An installed leafx: lib/libleafx.so.0, lib/pkgconfig/leafx.pc, bin/leafx."""
    given = os.environ.get("LEAFX_TEST_PREFIX")
    if given:
        return given
    directory = tmp_path_factory.mktemp("prefix")
    run(["make", "--no-print-directory", "install", f"PREFIX={directory}"])
    return str(directory)


@pytest.fixture(scope="session")
def library_file(prefix):
    return os.path.join(prefix, "lib", "libleafx.so.0")


@pytest.fixture(scope="session")
def leafx(library_file):
    """The package from this source tree, loading the installed library."""
    os.environ["LEAFX_LIBRARY"] = library_file
    import leafx as package
    assert os.path.dirname(package.__file__) == os.path.join(PACKAGE_DIR, "leafx")
    assert package.library_path() == library_file
    return package


@pytest.fixture(scope="session")
def tiny(leafx):
    """The real tiny.en; fails (never skips) when `make models` has not fetched it."""
    if not os.path.exists(os.path.join(MODELS_DIR, "tiny.en", ".leafx-complete")):
        pytest.fail(f"model tiny.en is missing from {MODELS_DIR}: run `make models`")
    with leafx.Model("tiny.en") as model:
        yield model


@pytest.fixture(scope="session")
def cli(prefix):
    """Runs the installed `leafx` and returns its standard output."""
    binary = os.path.join(prefix, "bin", "leafx")

    def leafx_cli(*args):
        return run([binary, *args]).stdout

    return leafx_cli


def read_wav(path):
    """16-bit mono WAV as float32 scaled by 1/32768, as libsndfile scales it."""
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1 and w.getframerate() == 16000
        frames = w.readframes(w.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0


def write_wav(path, samples):
    """float32 in [-1, 1) as 16-bit mono 16 kHz WAV (exact for samples read by read_wav)."""
    pcm = np.round(np.asarray(samples) * 32768.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.tobytes())


def dev_audio(utterance_id):
    return os.path.join(DEV_DIR, "audio", f"{utterance_id}.wav")
