"""`pip install ./bindings/python` offline, and the installed package at work on a machine
with no compiler: PATH holds no cc, gcc or ld, and libleafx is found through each route
(LEAFX_LIBRARY, pkg-config, the loader's standard path)."""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import JFK, MODELS_DIR, PACKAGE_DIR, run

COMPILERS = ("cc", "gcc", "c++", "g++", "clang", "ld", "swiftc")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The package pip-installed (no network, no build isolation: flit_core comes from the
    environment, pinned in Tests/requirements.txt) into a directory of its own."""
    target = tmp_path_factory.mktemp("site")
    run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-build-isolation", "--no-deps",
         "--target", target, PACKAGE_DIR])
    return target


@pytest.fixture(scope="module")
def bare_bin(tmp_path_factory):
    """A PATH directory with no compiler or linker: only pkg-config (for that route)."""
    directory = tmp_path_factory.mktemp("bin")
    os.symlink(shutil.which("pkg-config"), directory / "pkg-config")
    return directory


def run_isolated(installed, script, path, **env):
    """Runs `script` with the installed package, an environment holding only `env`, and PATH
    = `path`, after checking that no compiler is reachable."""
    preamble = (f"import shutil\nmissing = [c for c in {COMPILERS!r} if shutil.which(c)]\n"
                "assert not missing, f'compilers on PATH: {missing}'\n")
    environment = {"PATH": str(path), "PYTHONPATH": str(installed), "HOME": os.environ.get("HOME", "/"),
                   "LEAFX_MODELS": MODELS_DIR, **env}
    return subprocess.run([sys.executable, "-c", preamble + script], capture_output=True, text=True,
                          env=environment, cwd=str(installed))


def test_wheel_is_pure_python(tmp_path):
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-index", "--no-build-isolation", "--no-deps",
         "--wheel-dir", tmp_path, PACKAGE_DIR])
    (wheel,) = tmp_path.glob("leafx-0.3.0-*.whl")
    assert wheel.name.endswith("-py3-none-any.whl"), wheel.name
    names = zipfile.ZipFile(wheel).namelist()
    assert "leafx/__init__.py" in names and "leafx/_abi.py" in names
    assert not [n for n in names if n.endswith((".so", ".c", ".pyd")) or n.startswith("tests/")], names
    metadata = zipfile.ZipFile(wheel).read("leafx-0.3.0.dist-info/METADATA").decode()
    assert [line for line in metadata.splitlines() if line.startswith("Requires-Dist")] == ["Requires-Dist: numpy>=1.22"]


def test_explains_without_a_compiler(installed, bare_bin, library_file):
    script = f"""
import json, leafx
assert leafx.__file__.startswith({str(installed)!r}), leafx.__file__
model = leafx.Model("tiny.en")
e = model.explain({JFK!r}, method="raa", text="ask not what your country can do for you")
print(json.dumps({{"library": leafx.library_path(), "text": e.text, "shape": list(e.attributions.shape),
                  "sums": e.attributions.sum(axis=1).tolist(), "words": [w.text for w in e.words]}}))
"""
    result = run_isolated(installed, script, bare_bin, LEAFX_LIBRARY=library_file)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout)
    assert out["library"] == library_file
    assert out["words"] == ["ask", "not", "what", "your", "country", "can", "do", "for", "you"]
    assert out["shape"] == [9, 550]
    assert all(abs(s - 1) < 1e-4 for s in out["sums"])


def test_found_through_pkg_config(installed, bare_bin, prefix):
    script = "import leafx; print(leafx.library_path()); print(leafx.version())"
    result = run_isolated(installed, script, bare_bin, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == [os.path.join(prefix, "lib", "libleafx.so.0"), "0.3.0"]


def test_found_on_the_standard_library_path(installed, tmp_path, prefix):
    script = "import leafx; print(leafx.library_path()); print(leafx.version())"
    result = run_isolated(installed, script, tmp_path, LD_LIBRARY_PATH=os.path.join(prefix, "lib"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["libleafx.so.0", "0.3.0"]


def test_import_needs_no_library_and_a_missing_one_is_named(installed, tmp_path):
    script = """
import leafx
try:
    leafx.Model("tiny.en")
except leafx.LibraryNotFoundError as error:
    print(error)
"""
    result = run_isolated(installed, script, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "libleafx not found" in result.stdout and "LEAFX_LIBRARY" in result.stdout and "pkg-config" in result.stdout

    result = run_isolated(installed, script, tmp_path, LEAFX_LIBRARY=str(tmp_path / "libleafx.so.0"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "$LEAFX_LIBRARY" in result.stdout and str(tmp_path / "libleafx.so.0") in result.stdout
