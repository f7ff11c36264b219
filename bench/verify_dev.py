#!/usr/bin/env python3
"""What `leafx explain --verify` reports on dev utterances, per attribution method.

    python3 bench/verify_dev.py [--leafx BIN] [--model tiny.en] [--limit N] [--methods leafx,raa,...]

Two runs per utterance of the manifest (docs/leafx.md, "Checking a word by silencing it"):
- decoded: the utterance as leafx bench decodes it (greedy, without timestamps). Per method:
  how wide the silenced spans are, the median drop of a word's log-probability when its span
  is silenced, and the share of words confirmed (probability at least halved), overall and
  among confident words (p >= 0.9).
- inserted: the reference text with one word that is not spoken (a drug name or a number, a
  seeded choice and position) forced in with --text. Per method: how many of those words are
  flagged unconfirmed, and the share of the spoken words of the same runs that are confirmed.
Prints a Markdown report; asserts nothing. One masked encoder pass per word and method.
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INSERTED = ["digoxin", "warfarin", "seventeen", "metformin", "ninety", "penicillin", "seventy", "amoxicillin"]


def explain(binary, model, audio, method, text=None):
    # Greedy without timestamps, the decoding of leafx bench and of the figures in docs/leafx.md.
    command = [binary, "explain", audio, "-m", model, "--method", method, "--verify", "--format", "json",
               "--threads", "1", "--beam", "1", "--without-timestamps"]
    if text is not None:
        command += ["--text", text]
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(command)}: {out.stderr.strip()}")
    return json.loads(out.stdout)["words"]


def with_inserted_word(reference, index):
    """The reference text in sentence case with a seeded unspoken word at a seeded position."""
    words = reference.lower().split()
    generator = random.Random(index)
    word = INSERTED[generator.randrange(len(INSERTED))]
    position = generator.randrange(1, len(words) + 1)
    words.insert(position, word)
    text = " ".join(words)
    return text[0].upper() + text[1:], word, position


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leafx", default=os.path.join(HERE, "..", ".build", "release", "leafx"))
    parser.add_argument("--manifest", default=os.path.join(HERE, "..", "Tests", "data", "dev", "manifest.jsonl"))
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--limit", type=int, default=12)
    parser.add_argument("--methods", default="leafx,leafx-causal,raa,grad-rollout,random")
    args = parser.parse_args()
    methods = args.methods.split(",")
    folder = os.path.dirname(os.path.abspath(args.manifest))
    with open(args.manifest) as f:
        utterances = [json.loads(line) for line in f if line.strip()][:args.limit]

    decoded = {m: [] for m in methods}
    inserted = {m: [] for m in methods}
    spoken_in_inserted = {m: [] for m in methods}
    for index, utterance in enumerate(utterances):
        audio = os.path.join(folder, utterance["audio"])
        text, word, position = with_inserted_word(utterance["text"], index)
        print(f"[{index + 1}/{len(utterances)}] {utterance['id']}: inserted {word!r} at word {position}", file=sys.stderr)
        for method in methods:
            decoded[method] += explain(args.leafx, args.model, audio, method)
            forced = explain(args.leafx, args.model, audio, method, text)
            # The inserted word is the forced transcript's word `position`: without punctuation
            # in the text, Whisper's word grouping splits on spaces only.
            target = forced[position]
            assert target["word"].lower().strip(".,") == word, (target["word"], word)
            inserted[method].append(target)
            spoken_in_inserted[method] += [w for i, w in enumerate(forced) if i != position]

    def confirmed(words):
        return sum(1 for w in words if "unconfirmed" not in w["flags"])

    print(f"# `leafx explain --verify` on the first {len(utterances)} dev utterances ({args.model})\n")
    print("Decoded transcripts: each word's half-mass span (±100 ms) silenced; punctuation counts as words.\n")
    print("| method | words | median span (s) | median drop (nats) | confirmed | confirmed, p ≥ 0.9 |")
    print("|---|---|---|---|---|---|")
    for m in methods:
        words = decoded[m]
        confident = [w for w in words if w["probability"] >= 0.9]
        widths = [w["silence_check"]["end"] - w["silence_check"]["start"] for w in words]
        drops = [w["silence_check"]["drop"] for w in words]
        print(f"| {m} | {len(words)} | {statistics.median(widths):.2f} | {statistics.median(drops):.2f} | "
              f"{confirmed(words) / len(words):.3f} | {confirmed(confident) / max(len(confident), 1):.3f} |")
    print("\nReference texts with one unspoken word forced in (`--text`).\n")
    print("| method | unspoken words flagged unconfirmed | their median drop (nats) | spoken words confirmed |")
    print("|---|---|---|---|")
    for m in methods:
        flagged = len(inserted[m]) - confirmed(inserted[m])
        drops = [w["silence_check"]["drop"] for w in inserted[m]]
        spoken = spoken_in_inserted[m]
        print(f"| {m} | {flagged}/{len(inserted[m])} | {statistics.median(drops):.2f} | "
              f"{confirmed(spoken) / len(spoken):.3f} |")
    probabilities = [w["probability"] for w in inserted[methods[0]]]
    print(f"\nThe unspoken words' own probability: median {statistics.median(probabilities):.3g}, "
          f"max {max(probabilities):.3g}; confirmation threshold: drop ≥ ln 2 = {math.log(2):.3f} nats.")


if __name__ == "__main__":
    main()
