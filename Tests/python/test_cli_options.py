"""The options a new user meets first, on the release `leafx` (standard output and standard
error captured):

- `transcribe`, `explain` and `diagnose` have the same decoding options with the same
  defaults (one DECODING OPTIONS section of --help), so `explain` explains, token for token,
  the transcript `transcribe` writes, with the fallback on or off (docs/cli.md, "Decoding
  options");
- `--print-times` prints segment times; its old spelling `--timestamps`, hidden, still works
  and warns once on standard error;
- `--threads 0` is the library's default, as in C and Python, for every subcommand; a negative
  count is refused by name with status 64;
- an unknown `--method` lists the methods, not the ablations of leafx-causal, which `--help`
  lists apart and which still run;
- a detected language is named on standard error ("leafx: detected language: en (p = …)"),
  not when it was given or is recorded in the output.
"""
import json
import os
import re
import subprocess

import pytest

from conftest import DEV_DIR, SOURCE_DIR, leafx_binary, model_dir, run

JFK = os.path.join(SOURCE_DIR, "data", "jfk.wav")
MANIFEST = os.path.join(DEV_DIR, "manifest.jsonl")
USAGE = 64
DECODING_FLAGS = ["--beam", "--temperature", "--language", "--task", "--without-timestamps"]
GREEDY = ("--beam", "1", "--temperature", "0")
# An utterance that beam search and greedy decoding (the old default of `explain`) write
# differently with tiny.en, so that the shared default is seen at work.
DIFFERS = os.path.join(DEV_DIR, "audio", "367-130732-0006.wav")
ABLATIONS = {"leafx-causal-mean-heads", "leafx-causal-one-layer", "leafx-causal-no-grad", "leafx-causal-no-footprint"}


def leafx(*args):
    """`leafx ARGS` with any exit status."""
    return subprocess.run([leafx_binary(), *map(str, args)], capture_output=True, text=True, cwd=SOURCE_DIR)


def help_text(command):
    return run([leafx_binary(), command, "--help"], env=dict(os.environ, COLUMNS="200")).stdout


def section(text, title):
    """The lines of one section of --help (`title` as "DECODING OPTIONS:"), or []."""
    lines = text.split("\n")
    if title not in lines:
        return []
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if lines[i] and not lines[i].startswith(" ")), len(lines))
    return [line for line in lines[start:end] if line.strip()]


def text_token_ids(document):
    """The text tokens of a `transcribe` or `explain` JSON document (tiny.en: ids below EOT)."""
    if "tokens" in document:  # explain: the explained tokens
        ids = [t["id"] for t in document["tokens"]]
    else:  # transcribe: each segment's tokens, timestamps included
        ids = [t["id"] for s in document["segments"] for t in s["tokens"]]
    return [i for i in ids if i < 50256]


# ---------------------------------------------------------------- decoding options


def test_transcribe_explain_and_diagnose_share_one_decoding_section():
    sections = {command: section(help_text(command), "DECODING OPTIONS:") for command in ("transcribe", "explain", "diagnose")}
    assert sections["transcribe"], "transcribe --help has no DECODING OPTIONS section"
    assert sections["explain"] == sections["transcribe"] == sections["diagnose"], sections
    text = "\n".join(sections["explain"])
    assert [flag for flag in DECODING_FLAGS if flag not in text] == []
    assert "(default: 5)" in text and "(default: 0,0.2,0.4,0.6,0.8,1.0)" in text
    for command in sections:
        others = "\n".join(section(help_text(command), "OPTIONS:"))
        assert not [flag for flag in DECODING_FLAGS if re.search(rf"(^|\s){flag}\b", others)], (command, others)


def test_explain_explains_what_transcribe_writes():
    """Same defaults: the tokens `explain` explains are the text tokens `transcribe` writes,
    here where greedy decoding would differ; and `--temperature 0 --beam 1` reach both."""
    model = model_dir("tiny.en")
    for options in ((), GREEDY):
        transcribed = json.loads(run([leafx_binary(), "transcribe", DIFFERS, "-m", model, *options, "--format", "json"]).stdout)
        explained = json.loads(run([leafx_binary(), "explain", DIFFERS, "-m", model, "--method", "raa", *options,
                                    "--format", "json"]).stdout)
        assert text_token_ids(explained) == text_token_ids(transcribed), options
        assert explained["text"].strip() == transcribed["text"].strip()
    greedy = json.loads(run([leafx_binary(), "explain", DIFFERS, "-m", model, "--method", "raa", "--beam", "1",
                             "--without-timestamps", "--format", "json"]).stdout)
    assert text_token_ids(greedy) != text_token_ids(explained), "the utterance no longer tells the defaults apart"


def test_bad_decoding_values_are_named():
    for args, needle in ((["--temperature", "0,x"], "leafx: --temperature: "), (["--beam", "0"], "leafx: --beam: 0 "),
                         (["--task", "sing"], "leafx: --task: ")):
        for command in ("transcribe", "explain"):
            out = leafx(command, JFK, *args)
            assert out.returncode == USAGE and out.stderr.startswith(needle), (command, args, out.stderr)
            assert out.stdout == ""


# ---------------------------------------------------------------- --print-times


def test_print_times_and_the_deprecated_timestamps():
    model = model_dir("tiny.en")
    plain = run([leafx_binary(), "transcribe", JFK, "-m", model, *GREEDY])
    times = run([leafx_binary(), "transcribe", JFK, "-m", model, *GREEDY, "--print-times"])
    assert re.fullmatch(r"(\[\d\d:\d\d\.\d{3} --> \d\d:\d\d\.\d{3}\] .+\n)+", times.stdout), times.stdout
    assert " ".join(line.split("] ", 1)[1] for line in times.stdout.splitlines()) == plain.stdout.strip()
    assert times.stderr == "" and plain.stderr == ""
    old = run([leafx_binary(), "transcribe", JFK, "-m", model, *GREEDY, "--timestamps"])
    assert old.stdout == times.stdout
    assert old.stderr == "leafx: warning: --timestamps is deprecated and will be removed; use --print-times\n"
    text = help_text("transcribe")
    assert "--print-times" in text and not re.search(r"(?<![\w-])--timestamps\b", text)


# ---------------------------------------------------------------- --threads


THREADED = {
    "transcribe": [JFK],
    "explain": [JFK],
    "diagnose": [JFK],
    "bench": [MANIFEST, "--limit", "1"],
    "bench-masking": [JFK],
}


@pytest.mark.parametrize("command", THREADED)
def test_negative_threads_are_refused_by_name(command):
    for spelling in (["--threads", "-1"], ["--threads=-1"]):
        out = leafx(command, *THREADED[command], *spelling)
        assert out.returncode == USAGE, out.stderr
        assert out.stderr.startswith("leafx: --threads: -1 is negative"), out.stderr
        assert f"See 'leafx {command} --help'." in out.stderr and out.stdout == ""
    out = leafx(command, *THREADED[command], "--threads", "257")
    assert out.returncode == USAGE and out.stderr.startswith("leafx: --threads: 257 is outside 0...256"), out.stderr


@pytest.mark.parametrize("command,args", [
    ("transcribe", [JFK, *GREEDY]),
    ("explain", [JFK, "--method", "raa", "--text", "ask not what your country can do for you"]),
    ("bench-masking", [JFK, "--masks", "2", "--batch", "2", "--repeat", "1"]),
])
def test_zero_threads_is_the_default(command, args):
    """`--threads 0` is accepted and does what omitting it does (the library's thread count)."""
    model = ["-m", model_dir("tiny.en")]
    zero = run([leafx_binary(), command, *args, *model, "--threads", "0"])
    if command != "bench-masking":  # prints timings
        assert zero.stdout == run([leafx_binary(), command, *args, *model]).stdout
    assert "--threads" in help_text(command) and "0: the library's default" in help_text(command)


# ---------------------------------------------------------------- methods and ablations


def explain_help_lists():
    """The methods and the ablations `leafx explain --help` lists, as two lists."""
    text = " ".join(help_text("explain").split())
    methods = re.search(r"Methods: ([a-z0-9, -]+)\.", text)
    ablations = re.search(r"Ablations of leafx-causal[^:]*: ([a-z0-9, -]+)\.", text)
    assert methods and ablations, text
    return methods[1].split(", "), ablations[1].split(", ")


def test_unknown_method_lists_the_methods_and_help_the_ablations_apart():
    methods, ablations = explain_help_lists()
    assert set(ablations) == ABLATIONS and not set(methods) & ABLATIONS
    assert {"leafx", "leafx-causal", "raa", "random", "ig", "specmask", "lime", "kernelshap"} <= set(methods)
    for args in (["explain", JFK, "--method", "nosuch"], ["bench", MANIFEST, "--methods", "raa,nosuch"]):
        out = leafx(*args)
        assert out.returncode == USAGE and out.stdout == "", out.stderr
        first = out.stderr.splitlines()[0]
        assert first.startswith(f"leafx: {args[2]}: unknown method \"nosuch\"; one of "), first
        listed = first.split("; one of ", 1)[1].split(" (", 1)[0].split(", ")
        assert listed == methods, first
        assert not [name for name in ABLATIONS if name in out.stderr], out.stderr


def test_an_ablation_still_runs():
    out = run([leafx_binary(), "explain", JFK, "-m", model_dir("tiny.en"), "--method", "leafx-causal-no-grad",
               "--text", "ask not", "--format", "json"])
    assert json.loads(out.stdout)["method"] == "leafx-causal-no-grad"


# ---------------------------------------------------------------- detected language


DETECTED = re.compile(r"leafx: (?:(.+): )?detected language: en \(p = (0\.\d\d|1\.00)\)")


def test_detected_language_is_named_on_stderr():
    base = model_dir("base")
    for fmt, start in (("text", "And so"), ("srt", "1\n00:00:00,000 --> "), ("vtt", "WEBVTT\n")):
        out = run([leafx_binary(), "transcribe", JFK, "-m", base, *GREEDY, "--format", fmt])
        assert out.stdout.lstrip().startswith(start), out.stdout
        assert "detected" not in out.stdout
        lines = out.stderr.splitlines()
        assert len(lines) == 1 and DETECTED.fullmatch(lines[0]) and not DETECTED.fullmatch(lines[0])[1], out.stderr
    # Several files: each line names its file.
    out = run([leafx_binary(), "transcribe", JFK, DIFFERS, "-m", base, *GREEDY])
    assert [DETECTED.fullmatch(line)[1] for line in out.stderr.splitlines()] == [JFK, DIFFERS], out.stderr
    # Not when given, not when the output records it, not for an English-only model.
    for args in (["transcribe", JFK, "-m", base, *GREEDY, "--language", "en"],
                 ["transcribe", JFK, "-m", base, *GREEDY, "--format", "json"],
                 ["transcribe", JFK, "-m", model_dir("tiny.en"), *GREEDY]):
        assert run([leafx_binary(), *args]).stderr == "", args
    # explain: its text format says it, its json records it.
    text = run([leafx_binary(), "explain", JFK, "-m", base, *GREEDY, "--method", "raa", "--format", "text"])
    assert DETECTED.fullmatch(text.stderr.strip()), text.stderr
    document = run([leafx_binary(), "explain", JFK, "-m", base, *GREEDY, "--method", "raa", "--format", "json"])
    assert document.stderr == "" and json.loads(document.stdout)["language"] == "en"
