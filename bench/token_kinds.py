#!/usr/bin/env python3
"""Where a D-AOPC mean comes from: `leafx bench --token-results FILE` lines grouped by kind of token.

    python3 bench/token_kinds.py TOKENS.jsonl [--methods raa,leafx,...]

Kinds, from the decoded text: a word's first token (leading space); a word's continuation
(letters only, no space: 'ston' after ' Hal'); other (punctuation, digits, and contraction
endings such as "'t", which start with an apostrophe). Prints, per method, the mean D-AOPC of
each kind and of all tokens, and the per-token best: the lowest D-AOPC any of the listed methods
reached on each token, chosen with hindsight. That is a bound on the listed methods combined,
not on every possible frame order. Means over tokens, not over utterances.
"""
import argparse
import json
import sys
from collections import defaultdict

KINDS = ("word start", "continuation", "other")


def kind(text):
    if text.startswith(" "):
        return "word start"
    if text.isalpha():
        return "continuation"
    return "other"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tokens", help="JSON Lines written by leafx bench --token-results")
    parser.add_argument("--methods", help="comma-separated methods, in table order (default: as they appear)")
    args = parser.parse_args()

    by_key = {}
    order = []
    with open(args.tokens, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as error:
                sys.exit(f"{args.tokens}:{number}: not JSON: {error}")
            if r.get("dAOPC") is None:
                continue
            if r["method"] not in order:
                order.append(r["method"])
            by_key[(r["config"], r["id"], r["token"], r["method"])] = r
    methods = args.methods.split(",") if args.methods else order
    tokens = defaultdict(dict)
    for (config, uid, token, method), r in by_key.items():
        tokens[(config, uid, token)][method] = r
    # Only tokens every listed method scored, so the rows compare the same tokens.
    shared = {k: v for k, v in tokens.items() if all(m in v for m in methods)}
    if not shared:
        sys.exit("no token was scored by every listed method")

    counts = defaultdict(int)
    sums = defaultdict(float)
    for per_method in shared.values():
        k = kind(next(iter(per_method.values()))["text"])
        counts[k] += 1
        best = min(per_method[m]["dAOPC"] for m in methods)
        for m in methods + ["per-token best"]:
            value = best if m == "per-token best" else per_method[m]["dAOPC"]
            sums[(m, k)] += value
            sums[(m, "all")] += value
    n = len(shared)
    utterances = len({uid for (_, uid, _) in shared})
    print(f"{n} tokens of {utterances} utterances: "
          + ", ".join(f"{counts[k]} {k} ({100 * counts[k] / n:.0f} %)" for k in KINDS))
    print()
    print("| method | all tokens | " + " | ".join(f"{k} (n={counts[k]})" for k in KINDS) + " | share of the mean from other |")
    print("|---" * (len(KINDS) + 3) + "|")
    for m in methods + ["per-token best"]:
        cells = [f"{sums[(m, k)] / counts[k]:.3f}" if counts[k] else "–" for k in KINDS]
        share = sums[(m, "other")] / sums[(m, "all")] if sums[(m, "all")] > 0 else 0
        print(f"| {m} | {sums[(m, 'all')] / n:.3f} | " + " | ".join(cells) + f" | {100 * share:.0f} % |")


if __name__ == "__main__":
    main()
