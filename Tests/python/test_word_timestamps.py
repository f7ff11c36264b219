"""`leafx transcribe --word-timestamps`: word lines in text, word cues in SubRip and WebVTT
(parsed by a small validator, their words equal to the JSON's), the cue limits, usage errors,
`leafx explain`'s boundary fields, and the timing metrics of bench/word_timing.py on the same
hand-computed cases as Tests/LeafXCoreTests/WordBoundariesTests.swift."""
import importlib.util
import json
import os
import re
import subprocess

import pytest

from conftest import SOURCE_DIR, leafx_binary, model_dir, run

JFK = os.path.join(SOURCE_DIR, "data", "jfk.wav")
USAGE = 64


def leafx_status(*args):
    return subprocess.run([leafx_binary(), *args], capture_output=True, text=True)


def transcribe(*args):
    return run([leafx_binary(), "transcribe", JFK, "-m", model_dir("tiny.en"), *args]).stdout


@pytest.fixture(scope="module")
def words():
    document = json.loads(transcribe("--word-timestamps", "--format", "json"))
    return [w for s in document["segments"] for w in s["words"]]


CLOCK = r"(\d\d):(\d\d):(\d\d)([,.])(\d\d\d)"


def parse_cues(text, kind):
    """(start, end, text) of each cue of a SubRip or WebVTT document; fails on any line
    that does not belong where it is."""
    separator = "," if kind == "srt" else "."
    if kind == "vtt":
        assert text.startswith("WEBVTT\n\n")
        text = text[len("WEBVTT\n\n"):]
    assert text.endswith("\n\n")
    cues = []
    for number, block in enumerate(text[:-2].split("\n\n"), start=1):
        lines = block.split("\n")
        if kind == "srt":
            assert lines[0] == str(number), block
            lines = lines[1:]
        match = re.fullmatch(f"{CLOCK} --> {CLOCK}", lines[0])
        assert match, block
        groups = match.groups()
        assert groups[3] == separator and groups[8] == separator
        times = [int(groups[i]) * 3600 + int(groups[i + 1]) * 60 + int(groups[i + 2]) + int(groups[i + 4]) / 1000
                 for i in (0, 5)]
        assert len(lines) == 2 and lines[1].strip(), block
        assert times[0] <= times[1]
        cues.append((times[0], times[1], lines[1]))
    for a, b in zip(cues, cues[1:]):
        assert a[1] <= b[0] + 1e-9, (a, b)
    return cues


@pytest.mark.parametrize("kind", ["srt", "vtt"])
def test_one_cue_per_word_by_default(words, kind):
    cues = parse_cues(transcribe("--word-timestamps", "--format", kind), kind)
    assert [c[2] for c in cues] == [w["word"].strip() for w in words]
    for cue, word in zip(cues, words):
        assert abs(cue[0] - word["start"]) < 0.0015 and abs(cue[1] - word["end"]) < 0.0015


def test_cue_limits(words):
    cues = parse_cues(transcribe("--word-timestamps", "--format", "srt", "--max-words-per-cue", "4"), "srt")
    assert all(len(c[2].split()) <= 4 for c in cues)
    assert " ".join(c[2] for c in cues).split() == [w["word"].strip() for w in words]
    assert any(len(c[2].split()) == 4 for c in cues)
    cues = parse_cues(transcribe("--word-timestamps", "--format", "vtt", "--max-words-per-cue", "100",
                                 "--max-cue-seconds", "1.5"), "vtt")
    # A cue spans at most 1.5 s unless it holds a single longer word.
    assert all(c[1] - c[0] <= 1.5 + 1e-6 or len(c[2].split()) == 1 for c in cues)
    assert " ".join(c[2] for c in cues).split() == [w["word"].strip() for w in words]


def test_text_lists_each_word_with_its_times(words):
    lines = transcribe("--word-timestamps").splitlines()
    assert len(lines) == len(words)
    for line, word in zip(lines, words):
        match = re.fullmatch(r"\[(\d\d):(\d\d)\.(\d\d\d) --> (\d\d):(\d\d)\.(\d\d\d)\] (.+)", line)
        assert match, line
        start = int(match[1]) * 60 + int(match[2]) + int(match[3]) / 1000
        assert abs(start - word["start"]) < 0.0015 and match[7] == word["word"].strip()


def test_json_words_are_ordered_and_inside_the_audio(words):
    document = json.loads(transcribe("--word-timestamps", "--format", "json"))
    plain = json.loads(transcribe("--format", "json"))
    assert document["text"] == plain["text"]
    assert all("words" not in s for s in plain["segments"])
    duration = document["audio"]["duration"]
    for w in words:
        assert set(w) == {"word", "start", "end", "probability"}
        assert 0 <= w["start"] < w["end"] <= duration + 0.02
    for a, b in zip(words, words[1:]):
        assert a["end"] <= b["start"]


@pytest.mark.parametrize("args, option", [
    (["--max-words-per-cue", "3"], "--max-words-per-cue"),
    (["--word-timestamps", "--max-words-per-cue", "0"], "--max-words-per-cue"),
    (["--word-timestamps", "--max-cue-seconds", "-1"], "--max-cue-seconds"),
    (["--max-cue-seconds", "2"], "--max-cue-seconds"),
])
def test_cue_limits_are_checked(args, option):
    result = leafx_status("transcribe", JFK, "-m", model_dir("tiny.en"), *args)
    assert result.returncode == USAGE, result.stderr
    assert option in result.stderr


def test_explain_json_has_boundaries_beside_the_half_mass_span():
    document = json.loads(run([leafx_binary(), "explain", JFK, "-m", model_dir("tiny.en"), "--format", "json"]).stdout)
    words = document["words"]
    assert all({"boundary_start", "boundary_end", "start", "end"} <= set(w) for w in words)
    sounding = [w for w in words if w["boundary_end"] > w["boundary_start"]]
    assert len(sounding) >= len(words) - 5
    for a, b in zip(sounding, sounding[1:]):
        assert a["boundary_end"] <= b["boundary_start"]


def load_word_timing():
    spec = importlib.util.spec_from_file_location("word_timing", os.path.join(SOURCE_DIR, "bench", "word_timing.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_script_metrics_on_hand_computed_cases():
    wt = load_word_timing()
    s = wt.word_scores(1.0, 1.5, 1.04, 1.6)
    assert abs(s["start_error"] - 0.04) < 1e-12 and abs(s["end_error"] - 0.1) < 1e-12
    assert (s["within20"], s["within50"], s["within100"]) == (0, 0.5, 1)
    assert abs(s["iou"] - 0.46 / 0.6) < 1e-12 and not s["hit"]
    edge = wt.word_scores(2.02, 2.26, 2.07, 2.31)
    assert edge["within50"] == 1 and edge["hit"]
    assert wt.word_scores(0, 1, 2, 3)["iou"] == 0
    assert wt.f1(3, 4, 6) == 0.6 and wt.f1(0, 0, 0) == 0
    # Matching ignores case and punctuation, and skips what is not a word.
    assert wt.match(["So,", "my", "friend"], ["SO", "MY", "FRIENDS"]) == [(0, 0), (1, 1)]
    pooled = wt.score([([("so", 0.0, 0.5), (",", 0.5, 0.5), ("my", 0.5, 0.7)],
                        [{"word": "SO", "start": 0.0, "end": 0.5}, {"word": "MY", "start": 0.6, "end": 0.7}])])
    assert pooled["matched"] == 2 and pooled["f1"] == 0.5 and pooled["within50"] == 0.75


def test_bench_timing_metrics_equal_the_scripts_on_the_same_words(tmp_path):
    """`leafx bench --metrics timing` (Swift) and bench/word_timing.py (Python) score the same
    boundaries alike: the bench's decoding is greedy without timestamps, and `leafx explain`
    with that decoding writes the boundaries it scores."""
    wt = load_word_timing()
    with open(os.path.join(SOURCE_DIR, "Tests", "data", "dev", "manifest.jsonl")) as f:
        utterance = json.loads(f.readline())
    utterance["audio"] = os.path.join(SOURCE_DIR, "Tests", "data", "dev", utterance["audio"])
    manifest = tmp_path / "one.jsonl"
    manifest.write_text(json.dumps(utterance) + "\n")
    bench = json.loads(run([leafx_binary(), "bench", str(manifest), "-m", model_dir("tiny.en"), "--methods", "leafx",
                            "--metrics", "timing", "--format", "json", "--quiet"]).stdout)
    metrics = bench["methods"][0]["metrics"]
    explained = json.loads(run([leafx_binary(), "explain", utterance["audio"], "-m", model_dir("tiny.en"),
                                "--beam", "1", "--without-timestamps", "--format", "json"]).stdout)
    words = [(w["word"], w["boundary_start"], w["boundary_end"]) for w in explained["words"]]
    ours = wt.score([(words, utterance["words"])])
    assert metrics["within-50ms"]["items"] == ours["matched"] >= 20
    for bench_name, name in [("start-error", "start_error"), ("end-error", "end_error"), ("within-20ms", "within20"),
                             ("within-50ms", "within50"), ("within-100ms", "within100"), ("word-iou", "iou"),
                             ("word-f1", "f1")]:
        assert abs(metrics[bench_name]["mean"] - ours[name]) < 2e-6, (bench_name, metrics[bench_name], ours[name])
