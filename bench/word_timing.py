#!/usr/bin/env python3
"""Word timestamps on the dev set: leafx against faster-whisper, scored against the aligned words.

    python3 bench/word_timing.py [--leafx BIN] [--models tiny.en base] [--limit N] [--threads 2]

For each utterance of Tests/data/dev/manifest.jsonl and each model, with the same decoding
(beam 5, temperature fallback, timestamps: both engines' defaults; language en):
- faster-whisper: ``WhisperModel(dir).transcribe(audio, word_timestamps=True)`` on the same
  CTranslate2 directory (``$LEAFX_MODELS/<name>``, default ~/.cache/leafx/models);
- leafx: ``leafx transcribe --word-timestamps --format json`` (the words' boundaries);
- leafx half-mass spans, for the record: ``leafx explain --format json``, each word's "start"
  and "end" (the smallest span holding half its attribution; not meant as boundaries).
Decoded words are matched to the reference words as LEAF-XBench does (lower case, letters,
digits and apostrophes; minimum edit distance; equal pairs kept) and scored with the
definitions of docs/metrics.md, "Word timing" (Sources/LeafXCore/Metrics/WordTiming.swift;
the toy cases of Tests/python/test_word_timestamps.py check that both agree): mean start and
end error, share of boundaries within 20/50/100 ms, mean IoU, and word F1 at a 50 ms collar.
Prints a Markdown table; asserts nothing.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEV = os.path.join(ROOT, "Tests", "data", "dev")
COLLAR = 0.05


def normalise(word):
    return "".join(c for c in word.lower() if c.isalpha() or c.isdigit() or c == "'")


def match(decoded, reference):
    """(decoded index, reference index) of equal words on a minimum edit-distance path."""
    a, b = [normalise(w) for w in decoded], [normalise(w) for w in reference]
    n, m = len(a), len(b)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(cost[i - 1][j - 1] + (a[i - 1] != b[j - 1]), cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    pairs, i, j = [], n, m
    while i > 0 and j > 0:
        if cost[i][j] == cost[i - 1][j - 1] + (a[i - 1] != b[j - 1]):
            if a[i - 1] == b[j - 1] and a[i - 1]:
                pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def within(error, limit):
    # As WordTiming.within: compared at the microsecond, so 50 ms on the 20 ms grid counts.
    return round(error * 1e6) <= round(limit * 1e6)


def word_scores(start, end, ref_start, ref_end):
    """WordTiming.scores: errors, shares of the two boundaries within 20/50/100 ms, IoU, hit."""
    ds, de = abs(start - ref_start), abs(end - ref_end)
    share = {d: 0.5 * within(ds, d) + 0.5 * within(de, d) for d in (0.02, 0.05, 0.1)}
    intersection = max(0.0, min(end, ref_end) - max(start, ref_start))
    union = max(end, ref_end) - min(start, ref_start)
    return {"start_error": ds, "end_error": de, "within20": share[0.02], "within50": share[0.05],
            "within100": share[0.1], "iou": intersection / union if union > 0 else 0.0,
            "hit": within(ds, COLLAR) and within(de, COLLAR)}


def f1(hits, decoded, reference):
    return 2 * hits / (decoded + reference) if decoded + reference else 0.0


def score(utterances):
    """Pooled scores over (decoded words [(word, start, end)], reference words) pairs."""
    rows, hits, decoded, reference = [], 0, 0, 0
    for words, ref in utterances:
        words = [w for w in words if normalise(w[0])]
        decoded += len(words)
        reference += len(ref)
        for i, r in match([w[0] for w in words], [x["word"] for x in ref]):
            s = word_scores(words[i][1], words[i][2], ref[r]["start"], ref[r]["end"])
            rows.append(s)
            hits += s["hit"]
    n = max(len(rows), 1)
    mean = {k: sum(r[k] for r in rows) / n for k in ("start_error", "end_error", "within20", "within50",
                                                      "within100", "iou")}
    mean["f1"] = f1(hits, decoded, reference)
    mean["matched"] = len(rows)
    return mean


def run_json(command):
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(command)}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leafx", default=os.path.join(ROOT, ".build", "release", "leafx"))
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    models_dir = os.environ.get("LEAFX_MODELS") or os.path.join(
        os.environ.get("LEAFX_CACHE") or os.path.expanduser("~/.cache/leafx"), "models")
    with open(os.path.join(DEV, "manifest.jsonl")) as f:
        manifest = [json.loads(line) for line in f if line.strip()][: args.limit]
    from faster_whisper import WhisperModel

    print(f"dev set: {len(manifest)} utterances, {sum(len(u['words']) for u in manifest)} reference words; "
          "beam 5, temperature fallback, timestamps, language en\n")
    print("| model | source | matched words | start error ms | end error ms | ≤20 ms | ≤50 ms | ≤100 ms "
          "| IoU | F1@50ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.models:
        path = os.path.join(models_dir, name)
        fw = WhisperModel(path, device="cpu", compute_type="float32", cpu_threads=args.threads)
        sources = {"faster-whisper word_timestamps=True": [], "leafx --word-timestamps": [],
                   "leafx half-mass spans (not boundaries)": []}
        for u in manifest:
            audio = os.path.join(DEV, u["audio"])
            segments, _ = fw.transcribe(audio, beam_size=5, word_timestamps=True, language="en")
            words = [(w.word, w.start, w.end) for s in segments for w in s.words]
            sources["faster-whisper word_timestamps=True"].append((words, u["words"]))
            common = ["-m", path, "--language", "en", "--threads", str(args.threads), "--format", "json"]
            doc = run_json([args.leafx, "transcribe", audio, "--word-timestamps", *common])
            words = [(w["word"], w["start"], w["end"]) for s in doc["segments"] for w in s["words"]]
            sources["leafx --word-timestamps"].append((words, u["words"]))
            doc = run_json([args.leafx, "explain", audio, *common])
            words = [(w["word"], w["start"], w["end"]) for w in doc["words"]]
            sources["leafx half-mass spans (not boundaries)"].append((words, u["words"]))
        del fw
        for source, utterances in sources.items():
            m = score(utterances)
            print(f"| {name} | {source} | {m['matched']} | {1000 * m['start_error']:.0f} | "
                  f"{1000 * m['end_error']:.0f} | {100 * m['within20']:.0f} % | {100 * m['within50']:.0f} % | "
                  f"{100 * m['within100']:.0f} % | {m['iou']:.2f} | {m['f1']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
