"""Word localisation on dev utterances (docs/metrics.md) through `leafx bench`: raw attention and
gradient rollout must localise words far better than the random floor. The paper's LEAF-X
equations are only printed here: on real Whisper they localise poorly (docs/leafx.md).
Also the bench command's formats and resumable results file, on metrics that need no masked
encoder passes (docs/metrics.md)."""
import csv
import io
import json
import os
import subprocess

from conftest import DEV_DIR


def bench(prefix, models_dir, *args):
    out = subprocess.run(
        [str(prefix / "bin" / "leafx"), "bench", os.path.join(DEV_DIR, "manifest.jsonl"), "-m",
         os.path.join(models_dir, "tiny.en"), *args], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out


def test_attention_baselines_far_above_random(prefix, models_dir, tmp_path):
    out = bench(prefix, models_dir, "--methods", "raa,grad-rollout,leafx-paper,random", "--metrics", "localization",
                "--limit", "6", "--format", "json", "--quiet")
    rows = {r["method"]: r["metrics"] for r in json.loads(out.stdout)["methods"]}
    for method, r in rows.items():
        print(f"\n{method:14s} words {r['tloc']['items']} TLoc {r['tloc']['mean']:.3f} "
              f"pointing {r['pointing']['mean']:.3f} mass {r['mass-in-span']['mean']:.3f}")
    assert rows["random"]["tloc"]["items"] >= 80
    assert rows["random"]["tloc"]["utterances"] == 6
    for method in ("raa", "grad-rollout"):
        assert rows[method]["tloc"]["mean"] > rows["random"]["tloc"]["mean"] + 0.4, method
        assert rows[method]["pointing"]["mean"] > rows["random"]["pointing"]["mean"] + 0.5, method


def test_corrected_leafx_localises_better_than_raw_attention(prefix, models_dir):
    """The product LEAF-X (Methods/LeafX.swift) against raw attention on the same 6 dev
    utterances: measured 0.85 / 0.99 against 0.72 / 0.90 (docs/leafx.md); the checks leave
    room for numerical noise only, not for losing to raw attention."""
    out = bench(prefix, models_dir, "--methods", "raa,leafx", "--metrics", "localization", "--limit", "6",
                "--format", "json", "--quiet")
    rows = {r["method"]: r["metrics"] for r in json.loads(out.stdout)["methods"]}
    for name in ("tloc", "pointing", "midpoint-in-word"):
        if name in rows["leafx"]:
            print(f"\n{name}: leafx {rows['leafx'][name]['mean']:.3f} raa {rows['raa'][name]['mean']:.3f}")
    assert rows["leafx"]["tloc"]["mean"] >= rows["raa"]["tloc"]["mean"] + 0.08
    assert rows["leafx"]["pointing"]["mean"] >= 0.95
    assert rows["leafx"]["tloc"]["mean"] >= 0.80


def test_results_file_resumes_and_formats_agree(prefix, models_dir, tmp_path):
    results = tmp_path / "results.jsonl"
    common = ["--methods", "raa,random", "--metrics", "spr,tloc", "--limit", "2", "--results", str(results)]
    first = bench(prefix, models_dir, *common, "--format", "csv")
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(lines) == 4 and {line["method"] for line in lines} == {"raa", "random"}
    # The second run finds every utterance in the results file and writes the same table.
    second = bench(prefix, models_dir, *common, "--format", "csv")
    assert second.stderr.count("already in the results file") == 2
    assert second.stdout == first.stdout
    assert len(results.read_text().splitlines()) == 4
    # Two jobs: the same numbers and the same lines (in any order), times aside.
    parallel_results = tmp_path / "parallel.jsonl"
    parallel = bench(prefix, models_dir, *common[:-1], str(parallel_results), "--format", "csv", "--jobs", "2")

    def numbers(text):
        return [r for r in csv.DictReader(io.StringIO(text)) if r["metric"] != "seconds_per_utterance"]

    def lines_without_time(path):
        return sorted(json.dumps({k: v for k, v in json.loads(line).items() if k != "seconds"}, sort_keys=True)
                      for line in path.read_text().splitlines())

    assert numbers(parallel.stdout) == numbers(first.stdout)
    assert lines_without_time(parallel_results) == lines_without_time(results)
    jobs = subprocess.run([str(prefix / "bin" / "leafx"), "bench", os.path.join(DEV_DIR, "manifest.jsonl"),
                           "--jobs", "0"], capture_output=True, text=True)
    assert jobs.returncode != 0 and "--jobs" in jobs.stderr and "1...256" in jobs.stderr, jobs.stderr
    table = list(csv.DictReader(io.StringIO(first.stdout)))
    spr = {r["method"]: r for r in table if r["metric"] == "spr"}
    assert float(spr["raa"]["mean"]) > float(spr["random"]["mean"])
    assert float(spr["raa"]["normalised"]) == 1.0 and float(spr["random"]["normalised"]) == 0.0
    bad = subprocess.run([str(prefix / "bin" / "leafx"), "bench", os.path.join(DEV_DIR, "manifest.jsonl"),
                          "--metrics", "spr,speed"], capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown metric \"speed\"" in bad.stderr
    # --report-only tabulates the file and computes nothing: leafx, never run, has no value,
    # and raa's numbers are the ones the runs wrote.
    report = bench(prefix, models_dir, "--methods", "raa,leafx", "--metrics", "spr,tloc", "--limit", "2",
                   "--results", str(results), "--report-only", "--format", "csv")
    assert "2 of 4 utterance × method results found" in report.stderr
    assert len(results.read_text().splitlines()) == 4
    reported = {(r["method"], r["metric"]): r for r in csv.DictReader(io.StringIO(report.stdout))}
    assert reported[("raa", "spr")]["mean"] == spr["raa"]["mean"]
    assert not any(method == "leafx" and metric != "seconds_per_utterance" for method, metric in reported)
    # Another configuration (here the seed) is not reported.
    other = subprocess.run([str(prefix / "bin" / "leafx"), "bench", os.path.join(DEV_DIR, "manifest.jsonl"),
                            "-m", os.path.join(models_dir, "tiny.en"), "--methods", "raa", "--seed", "1",
                            "--results", str(results), "--report-only"], capture_output=True, text=True)
    assert other.returncode != 0 and "has no result of these utterances and methods" in other.stderr
    # --paired keeps only the utterances every listed method has: none has leafx; and a run
    # (not --report-only) refuses it.
    unpaired = subprocess.run([str(prefix / "bin" / "leafx"), "bench", os.path.join(DEV_DIR, "manifest.jsonl"),
                               "-m", os.path.join(models_dir, "tiny.en"), "--methods", "raa,leafx", "--limit", "2",
                               "--results", str(results), "--report-only", "--paired"], capture_output=True, text=True)
    assert unpaired.returncode != 0 and "--paired" in unpaired.stderr and "every method" in unpaired.stderr
    paired = bench(prefix, models_dir, "--methods", "raa,random", "--metrics", "spr,tloc", "--limit", "2",
                   "--results", str(results), "--report-only", "--paired", "--format", "csv")
    assert "(2 utterances with every method)" in paired.stderr
    assert numbers(paired.stdout) == numbers(first.stdout)
    refused = subprocess.run([str(prefix / "bin" / "leafx"), "bench", os.path.join(DEV_DIR, "manifest.jsonl"),
                              "--paired"], capture_output=True, text=True)
    assert refused.returncode != 0 and "only with --report-only" in refused.stderr
    tokens = subprocess.run([str(prefix / "bin" / "leafx"), "bench", os.path.join(DEV_DIR, "manifest.jsonl"),
                             "--results", str(results), "--report-only", "--token-results", str(tmp_path / "t.jsonl")],
                            capture_output=True, text=True)
    assert tokens.returncode != 0 and "--token-results" in tokens.stderr and not (tmp_path / "t.jsonl").exists()
