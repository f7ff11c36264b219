#!/usr/bin/env python3
"""Paired comparisons of two methods of a `leafx bench` results file, metric by metric.

    python3 bench/paired_differences.py RESULTS.jsonl A B [--metrics tloc,stab-noise,...]
        [--config "model=tiny.en seed=0 ..."]

Two method means over the same utterances can overlap in their intervals while one method
is ahead on nearly every utterance; the per-utterance difference says which. For each
metric, over the utterances where both A and B have a value: the mean of A − B with its
95 % Student-t interval (the table `leafx bench` uses for its own intervals), and on how many
utterances A is above B, below it, or equal. "Above" is better for every metric but D-AOPC
and INF (docs/metrics.md), whose lower values are better: the last column names the better
method by the metric's own direction when the interval excludes 0, else says "level". The
interval treats the utterances as independent (several from one speaker are not) and is not
corrected for comparing many metrics and pairs: a guide, not a significance test.

The results file is `leafx bench --results`: one JSON object per utterance and method. When
a line repeats (config, id, method), the last one counts, as in `leafx bench`. Every line
must have the same config, or pass --config to choose one.
"""
import argparse
import json
import math
import statistics
import sys

# The metrics whose lower values are better: BenchMetric.higherIsBetter, kept in step by hand.
LOWER_IS_BETTER = {"d-aopc", "inf"}

# t(0.975, df) for df = 1 … 30, then 1.960 + 2.46 / df: BenchSummary.studentT975, kept in step by hand.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
        2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
        2.045, 2.042]


def student_t975(degrees):
    return T975[degrees - 1] if 1 <= degrees <= len(T975) else 1.960 + 2.46 / max(degrees, 1)


def load(path, config):
    """{method: {utterance id: metrics}} of one configuration (the last line of a key wins)."""
    results = {}
    configs = set()
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                key = (entry["config"], entry["method"], entry["id"])
                metrics = entry["metrics"]
            except (ValueError, KeyError, TypeError) as error:
                # A truncated last line (an interrupted run) is skipped, as leafx bench does.
                print(f"{path}:{number}: skipped ({error})", file=sys.stderr)
                continue
            configs.add(key[0])
            results[key] = metrics
    if config is None:
        if len(configs) > 1:
            raise SystemExit(f"{path} holds {len(configs)} configurations; choose one with --config:\n  "
                             + "\n  ".join(sorted(configs)))
        config = next(iter(configs), None)
    by_method = {}
    for (c, method, utterance), metrics in results.items():
        if c == config:
            by_method.setdefault(method, {})[utterance] = metrics
    return by_method


def compare(a, b, metric):
    """(n, mean of a − b, half-width of its 95 % interval, above, below, equal) over the utterances
    where both have a finite value of `metric`; None when there are none."""
    differences = []
    for utterance in sorted(set(a) & set(b)):
        x, y = a[utterance].get(metric), b[utterance].get(metric)
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and math.isfinite(x) and math.isfinite(y):
            differences.append(x - y)
    if not differences:
        return None
    n = len(differences)
    mean = statistics.fmean(differences)
    half = student_t975(n - 1) * statistics.stdev(differences) / math.sqrt(n) if n > 1 else math.nan
    above = sum(d > 0 for d in differences)
    below = sum(d < 0 for d in differences)
    return n, mean, half, above, below, n - above - below


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", help="JSON Lines written by leafx bench --results")
    parser.add_argument("a", help="method A (differences are A − B)")
    parser.add_argument("b", help="method B")
    parser.add_argument("--metrics", help="comma-separated metrics (default: every metric both methods have)")
    parser.add_argument("--config", help="the configuration string to compare (default: the file's only one)")
    args = parser.parse_args()

    by_method = load(args.results, args.config)
    for method in (args.a, args.b):
        if method not in by_method:
            raise SystemExit(f"{args.results}: no results for method {method!r} "
                             f"(it has: {', '.join(sorted(by_method)) or 'none'})")
    a, b = by_method[args.a], by_method[args.b]
    if args.metrics:
        metrics = args.metrics.split(",")
    else:
        metrics = sorted({m for r in a.values() for m in r} & {m for r in b.values() for m in r})

    print(f"| metric | utts | {args.a} − {args.b} | {args.a} above | below | equal | better |")
    print("|---|---|---|---|---|---|---|")
    for metric in metrics:
        comparison = compare(a, b, metric)
        if comparison is None:
            print(f"| {metric} | 0 | – | – | – | – | – |")
            continue
        n, mean, half, above, below, equal = comparison
        if math.isnan(half) or abs(mean) <= half:
            better = "level"
        else:
            better = args.a if (mean > 0) != (metric in LOWER_IS_BETTER) else args.b
        interval = f"{mean:+.4f} ±{half:.4f}" if not math.isnan(half) else f"{mean:+.4f}"
        print(f"| {metric} | {n} | {interval} | {above} | {below} | {equal} | {better} |")


if __name__ == "__main__":
    main()
