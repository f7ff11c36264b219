"""Shared fixtures of the integration suite: a temporary `make install` prefix, the
installed library through ctypes, and the dev set."""
import ctypes
import json
import os
import shutil
import subprocess
import sys
import wave

import numpy as np
import pytest

SOURCE_DIR = os.environ.get(
    "LEAFX_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
)
DEV_DIR = os.path.join(SOURCE_DIR, "Tests", "data", "dev")
# The ct2_to_ggml.py / ct2_reader.py converters and the other reference scripts.
REFERENCE_SCRIPTS_DIR = os.path.join(SOURCE_DIR, "Tests", "reference")


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


def swift_runtime_library_paths():
    """Where the toolchain's Swift runtime libraries are: the sanitizer builds link it
    dynamically (no -static-stdlib with sanitizers)."""
    info = json.loads(run(["swiftc", "-print-target-info"]).stdout)
    return info["paths"]["runtimeLibraryPaths"]


def toolchain_clang():
    """The Swift toolchain's clang: its sanitizer runtimes are the ones the Swift code was
    instrumented for."""
    return os.path.join(os.path.dirname(os.path.realpath(shutil.which("swiftc"))), "clang")


def compile_sanitized_driver(source, output, library, sanitizer, extra=()):
    """Builds a C driver of Tests/c with the toolchain's clang and `-fsanitize=<sanitizer>` (its
    runtime is the one the Swift code was instrumented for) against the sanitizer build of the
    library, which is found at run time through a libleafx.so.0 link beside the driver."""
    library_dir = output.parent / f"{sanitizer}-lib"
    library_dir.mkdir(exist_ok=True)
    if not (library_dir / "libleafx.so.0").exists():
        os.symlink(library, library_dir / "libleafx.so.0")
    run([toolchain_clang(), f"-fsanitize={sanitizer}", "-g", "-Wall", "-Werror", "-I", os.path.join(SOURCE_DIR, "include"),
         "-o", str(output), os.path.join(SOURCE_DIR, "Tests", "c", source), library,
         f"-Wl,-rpath,{library_dir}", *extra, "-lm", "-lpthread"])
    return output


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
def models_dir():
    """The model cache filled by `make models`; fails (never skips) when a model is missing."""
    cache = os.environ.get("LEAFX_CACHE", os.path.expanduser("~/.cache/leafx"))
    directory = os.environ.get("LEAFX_MODELS", os.path.join(cache, "models"))
    for name in ("tiny.en", "base"):
        if not os.path.exists(os.path.join(directory, name, ".leafx-complete")):
            pytest.fail(f"model {name} is missing from {directory}: run `make models`")
    return directory


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


# ---------------------------------------------------------------- Whisper engine through the CLI
# Used by test_engine.py and test_formats_cli.py: the release `leafx` of this checkout, the real
# models of `make models`, and the faster-whisper references of `make references`.

CACHE_DIR = os.environ.get("LEAFX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "leafx")
MODELS_DIR = os.environ.get("LEAFX_MODELS") or os.path.join(CACHE_DIR, "models")
REFERENCE_DIR = os.environ.get("LEAFX_REFERENCE_DIR") or os.path.join(CACHE_DIR, "reference")
LEAFX_BIN = os.environ.get("LEAFX_BIN") or os.path.join(SOURCE_DIR, ".build", "release", "leafx")


def model_dir(name):
    """The CTranslate2 directory of a real model; fails (never skips) when it is missing."""
    path = os.path.join(MODELS_DIR, name)
    if not os.path.exists(os.path.join(path, ".leafx-complete")):
        pytest.fail(f"model {name!r} not found in {MODELS_DIR}: run make models")
    return path


def leafx_binary():
    if not os.access(LEAFX_BIN, os.X_OK):
        pytest.fail(f"{LEAFX_BIN} not found: run make build (or set LEAFX_BIN)")
    return LEAFX_BIN


_REFERENCES = {}


def load_reference(name):
    """The faster-whisper reference of a model as {utterance id: entry} (faster_whisper_reference.py
    format). Made (or checked to be current, which is quick) with make_references.py, the script
    behind `make references`, so a stale or missing reference is regenerated rather than used."""
    if name not in _REFERENCES:
        model_dir(name)
        script = os.path.join(SOURCE_DIR, "Tests", "reference", "make_references.py")
        env = dict(os.environ, LEAFX_REFERENCE_DIR=REFERENCE_DIR, LEAFX_MODELS=MODELS_DIR)
        directory = run([sys.executable, script, name], env=env).stdout.strip().splitlines()[-1]
        with open(os.path.join(directory, "reference.json")) as f:
            _REFERENCES[name] = {u["id"]: u for u in json.load(f)["utterances"]}
    return _REFERENCES[name]


_TRANSCRIPTS = {}


def transcribe(paths, model, *options):
    """`leafx transcribe PATHS... -m MODEL OPTIONS --format json`, run once per distinct call
    (one process for all files: loading the model costs about a second), as one JSON object per
    file, in argument order. Results are memoised for the session."""
    key = (tuple(map(str, paths)), str(model), tuple(options))
    if key not in _TRANSCRIPTS:
        result = run([leafx_binary(), "transcribe", *map(str, paths), "-m", str(model), *options,
                      "--format", "json"])
        objects = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        assert len(objects) == len(paths), (
            f"leafx wrote {len(objects)} JSON objects for {len(paths)} files\n{result.stderr[-2000:]}")
        for obj, path in zip(objects, paths):
            # The JSON names the audio by its file name (no --full-paths).
            assert audio_path(obj) == os.path.basename(str(path)), (obj["audio"], path)
        _TRANSCRIPTS[key] = objects
    return _TRANSCRIPTS[key]


def audio_path(result):
    """The audio file of a transcript ("audio": {"path", "duration"}, or the bare path)."""
    audio = result["audio"]
    return audio["path"] if isinstance(audio, dict) else audio


def audio_duration(result):
    audio = result["audio"]
    return audio["duration"] if isinstance(audio, dict) else result["duration"]


def token_ids(segments):
    """Concatenated token ids of a list of segments (leafx tokens are objects, faster-whisper's ints)."""
    return [t["id"] if isinstance(t, dict) else t for s in segments for t in s["tokens"]]
