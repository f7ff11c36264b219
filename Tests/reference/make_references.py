#!/usr/bin/env python3
"""Generate (or reuse) the faster-whisper reference of one model for the engine tests.

    make_references.py MODEL            e.g. tiny.en, base

Runs faster_whisper_reference.py (greedy with and without timestamps, beam 5, first-window
logits of 3 utterances) on the dev set (Tests/data/dev/manifest.jsonl) with the model
$LEAFX_MODELS/MODEL (default $LEAFX_CACHE/models/MODEL, LEAFX_CACHE default ~/.cache/leafx)
and writes it into $LEAFX_REFERENCE_DIR/MODEL (default $LEAFX_CACHE/reference/MODEL).

The directory carries a stamp, `.leafx-reference`, holding the sha256 of
faster_whisper_reference.py, Tests/requirements.txt and the model's `.leafx-complete` stamp
(and the options used). When the stamp matches, nothing is done; otherwise the reference is
regenerated into a temporary directory and moved into place, so an interrupted run never
leaves a directory that looks complete. Prints the directory.

Run it with the Python of the test venv (faster-whisper, numpy): `make references` does.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
MANIFEST = os.path.join(SOURCE_DIR, "Tests", "data", "dev", "manifest.jsonl")
SCRIPT = os.path.join(HERE, "faster_whisper_reference.py")
REQUIREMENTS = os.path.join(SOURCE_DIR, "Tests", "requirements.txt")
OPTIONS = ["--beam", "--logits", "3"]
STAMP = ".leafx-reference"


def cache_dir():
    return os.environ.get("LEAFX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "leafx")


def models_dir():
    return os.environ.get("LEAFX_MODELS") or os.path.join(cache_dir(), "models")


def reference_root():
    return os.environ.get("LEAFX_REFERENCE_DIR") or os.path.join(cache_dir(), "reference")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def expected_stamp(model_dir):
    lines = [
        f"faster_whisper_reference.py {sha256(SCRIPT)}",
        f"requirements.txt {sha256(REQUIREMENTS)}",
        f".leafx-complete {sha256(os.path.join(model_dir, '.leafx-complete'))}",
        f"options {' '.join(OPTIONS)}",
    ]
    return "\n".join(lines) + "\n"


def is_current(out_dir, stamp):
    try:
        with open(os.path.join(out_dir, STAMP)) as f:
            current = f.read()
    except OSError:
        return False
    return current == stamp and os.path.exists(os.path.join(out_dir, "reference.json"))


def ensure(model):
    """Returns the reference directory of `model`, generating it when missing or stale."""
    model_dir = os.path.join(models_dir(), model)
    if not os.path.exists(os.path.join(model_dir, ".leafx-complete")):
        raise SystemExit(f"make_references: model {model!r} not found in {models_dir()}: run make models")
    if not os.path.exists(MANIFEST):
        raise SystemExit(f"make_references: dev set not found: {MANIFEST}")
    out_dir = os.path.join(reference_root(), model)
    stamp = expected_stamp(model_dir)
    if is_current(out_dir, stamp):
        return out_dir

    os.makedirs(reference_root(), exist_ok=True)
    work = f"{out_dir}.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    print(f"make_references: generating the faster-whisper reference of {model} "
          f"(several minutes, cached afterwards)", file=sys.stderr, flush=True)
    started = time.monotonic()
    try:
        subprocess.run([sys.executable, SCRIPT, model_dir, MANIFEST, work, *OPTIONS], check=True)
        with open(os.path.join(work, STAMP), "w") as f:
            f.write(stamp)
        shutil.rmtree(out_dir, ignore_errors=True)
        os.replace(work, out_dir)
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"make_references: {os.path.basename(SCRIPT)} failed for {model} "
                         f"(exit {error.returncode})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"make_references: {model} done in {time.monotonic() - started:.0f} s",
          file=sys.stderr, flush=True)
    return out_dir


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        raise SystemExit(0 if len(sys.argv) >= 2 else 2)
    for model in sys.argv[1:]:
        print(ensure(model), flush=True)


if __name__ == "__main__":
    main()
