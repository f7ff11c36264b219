"""examples/: the C program and the C++ one built through pkg-config against a temporary
`make install`, the Python script with the package from bindings/python, and the shell
one-liner with the installed CLI; each output is checked against `leafx explain --format json`
on the same input."""
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import SOURCE_DIR, run

JFK = os.path.join(SOURCE_DIR, "data", "jfk.wav")
EXAMPLES = os.path.join(SOURCE_DIR, "examples")
FORCED = "ask not what your country can do for you"


@pytest.fixture(scope="module")
def explain_json(prefix, clean_env):
    """`leafx explain --format json` of the installed CLI, memoised per argument list."""
    cache = {}

    def explain(*args):
        if args not in cache:
            out = run([*clean_env, f"HOME={os.environ.get('HOME', '/')}", str(prefix / "bin" / "leafx"),
                       "explain", *args, "--format", "json"])
            cache[args] = json.loads(out.stdout)
        return cache[args]

    return explain


def word_lines(output, pattern):
    """(word, start, end) of the lines of an example's output that match `pattern`."""
    return [(m[1], float(m[2]), float(m[3])) for m in (re.match(pattern, line) for line in output.splitlines()) if m]


def expected_words(document):
    return [(w["word"], w["start"], w["end"]) for w in document["words"]]


def assert_same_words(got, document):
    expected = expected_words(document)
    assert [w for w, _, _ in got] == [w for w, _, _ in expected]
    for (word, start, end), (_, s, e) in zip(got, expected):
        assert abs(start - s) <= 0.0005 and abs(end - e) <= 0.0005, (word, start, end, s, e)


def test_c_example(compile_c, clean_env, models_dir, explain_json):
    binary = compile_c("example_explain", os.path.join(EXAMPLES, "c", "explain.c"))
    out = run([*clean_env, str(binary), JFK, os.path.join(models_dir, "tiny.en"), "raa"]).stdout
    # The C example leaves leafx_explain's decoding at the library's default, greedy without
    # timestamps: the CLI's explicit spelling of it.
    document = explain_json(JFK, "-m", os.path.join(models_dir, "tiny.en"), "--method", "raa",
                            "--beam", "1", "--without-timestamps")
    assert out.splitlines()[0] == document["text"]
    got = word_lines(out, r"(\S+)\s+([\d.]+)\s+([\d.]+)\s+peak")
    assert_same_words(got, document)
    flagged = [line.split()[0] for line in out.splitlines() if line.endswith("[flagged]")]
    assert flagged == [w["word"] for w in document["words"] if w["flags"]]


def test_cpp_example(compile_c, clean_env, models_dir, explain_json):
    binary = compile_c("example_locate", os.path.join(EXAMPLES, "cpp", "locate.cpp"), compiler="c++",
                       extra=("-std=c++17",))
    model = os.path.join(models_dir, "tiny.en")
    out = run([*clean_env, str(binary), JFK, FORCED, model, "raa"]).stdout
    document = explain_json(JFK, "-m", model, "--method", "raa", "--text", FORCED)
    got = word_lines(out, r"(\S+)\s+([\d.]+)\s+([\d.]+)")
    assert [w for w, _, _ in got] == FORCED.split()
    assert_same_words(got, document)
    result = subprocess.run([*clean_env, str(binary), "/nonexistent.wav", FORCED, model], capture_output=True, text=True)
    assert result.returncode == 1 and "leafx_audio_load: /nonexistent.wav" in result.stderr


def test_python_example(prefix, models_dir, explain_json, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.join(SOURCE_DIR, "bindings", "python"),
               LEAFX_LIBRARY=str(prefix / "lib" / "libleafx.so.0"))
    saved = tmp_path / "jfk.npz"
    out = run([sys.executable, os.path.join(EXAMPLES, "python", "explain.py"), JFK, "--model", "tiny.en",
               "--method", "raa", "--save", saved], env=env).stdout
    document = explain_json(JFK, "-m", "tiny.en", "--method", "raa")
    assert out.splitlines()[0] == document["text"].strip()
    assert_same_words(word_lines(out, r"(\S+)\s+([\d.]+)\s+([\d.]+)\s+top frames"), document)
    import numpy as np
    arrays = np.load(saved)
    assert arrays["tokens"].shape[0] == len(document["tokens"])
    assert arrays["token_ids"].tolist() == [t["id"] for t in document["tokens"]]
    first = document["words"][0]["attribution"]
    np.testing.assert_array_equal(arrays["words"][0, first["offset"]:first["offset"] + len(first["values"])],
                                  np.array(first["values"], dtype=np.float32))


@pytest.mark.parametrize("extra", [(), ("--verify",)], ids=["plain", "verify"])
def test_shell_one_liner(prefix, explain_json, extra):
    """The example lists exactly the flagged words, with and without --verify (which adds a
    column to the text format that an awk over columns once miscounted)."""
    env = dict(os.environ, PATH=f"{prefix / 'bin'}{os.pathsep}{os.environ['PATH']}")
    args = (JFK, "-m", "tiny.en", "--method", "raa", "--text", FORCED, *extra)
    out = run([os.path.join(EXAMPLES, "shell", "flagged-words.sh"), *args], env=env).stdout
    words = explain_json(*args)["words"]
    flagged = [w for w in words if w["flags"]]
    assert flagged, "the forced raa explanation of this transcript has flagged words"
    assert len(flagged) < len(words), "some words are not flagged, so the filter is tested"
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[0] for r in rows] == [w["word"] for w in flagged]
    assert [tuple(map(float, r[1].split("-"))) for r in rows] == [(w["start"], w["end"]) for w in flagged]
    assert [r[2] for r in rows] == [",".join(w["flags"]) for w in flagged]
