"""The perturbation methods' parameters on the command line (docs/methods.md, "Baselines";
docs/cli.md): bad values are refused before any model is loaded, with a message naming the flag."""
import os
import subprocess

import pytest

from conftest import SOURCE_DIR


@pytest.mark.parametrize("method,flags,needle", [
    ("specmask", ["--window", "0"], "--window"),
    ("specmask", ["--window", "4", "--stride", "5"], "--stride"),
    ("lime", ["--samples", "1"], "--samples"),
    ("kernelshap", ["--segment", "0"], "--segment"),
])
def test_bad_perturbation_parameters_are_refused(prefix, method, flags, needle):
    out = subprocess.run(
        [str(prefix / "bin" / "leafx"), "explain", os.path.join(SOURCE_DIR, "data", "jfk.wav"), "--method", method, *flags],
        capture_output=True, text=True)
    assert out.returncode != 0
    assert needle in out.stderr and "leafx:" in out.stderr, out.stderr
    assert out.stdout == ""


def test_bench_refuses_them_too(prefix):
    out = subprocess.run(
        [str(prefix / "bin" / "leafx"), "bench", "no-such-manifest.jsonl", "--methods", "lime", "--samples", "0"],
        capture_output=True, text=True)
    assert out.returncode != 0 and "--samples" in out.stderr, out.stderr
