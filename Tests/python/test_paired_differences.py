"""bench/paired_differences.py on a toy results file whose answers are known by hand: the mean
difference and its Student-t interval, the counts above and below, the metric's direction
(lower D-AOPC and INF are better), the last line of a repeated key, a truncated line, and a
file of two configurations."""
import json
import math
import os
import subprocess
import sys

import pytest

from conftest import SOURCE_DIR

SCRIPT = os.path.join(SOURCE_DIR, "bench", "paired_differences.py")
CONFIG = "model=tiny.en seed=0 tokens=4"


def line(method, utterance, metrics, config=CONFIG):
    return json.dumps({"config": config, "id": utterance, "method": method, "metrics": metrics}) + "\n"


def rows(path, *args):
    result = subprocess.run([sys.executable, SCRIPT, str(path), *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    table = [l.strip("|").split("|") for l in result.stdout.splitlines()[2:]]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in table}


@pytest.fixture
def results(tmp_path):
    path = tmp_path / "results.jsonl"
    with open(path, "w") as f:
        # A − B: d-aopc 0.1, 0.2, 0.3 (mean 0.2, s 0.1: ±4.303·0.1/√3 = ±0.2484, level);
        # tloc 0.5 on each (s 0: A better); inf 0.2 on each (lower is better: B better).
        for i, (d, t, inf) in enumerate([(0.1, 0.5, 0.2), (0.2, 0.5, 0.2), (0.3, 0.5, 0.2)]):
            f.write(line("a", f"u{i}", {"d-aopc": 0.4 + d, "tloc": 0.3 + t, "inf": 0.5 + inf}))
            f.write(line("b", f"u{i}", {"d-aopc": 0.4, "tloc": 0.3, "inf": 0.5}))
        # An utterance only A has: not paired, not counted.
        f.write(line("a", "u9", {"d-aopc": 9.0, "tloc": 9.0, "inf": 9.0}))
        # u0 of b again: the last line counts (equal tloc on u0 from now on).
        f.write(line("b", "u0", {"d-aopc": 0.4, "tloc": 0.8, "inf": 0.5}))
        f.write('{"config": "model=tiny')  # an interrupted write
    return path


def test_differences_intervals_counts_and_direction(results):
    table = rows(results, "a", "b", "--metrics", "d-aopc,tloc,inf")
    n, interval, above, below, equal, better = table["d-aopc"]
    mean, half = interval.split(" ±")
    assert (n, above, below, equal) == ("3", "3", "0", "0")
    assert float(mean) == pytest.approx(0.2, abs=1e-4)
    assert float(half) == pytest.approx(4.303 * 0.1 / math.sqrt(3), abs=1e-4)
    assert better == "level"
    # tloc: 0 on u0 (b's last line), 0.5 on u1 and u2.
    n, interval, above, below, equal, better = table["tloc"]
    assert (n, above, below, equal) == ("3", "2", "0", "1")
    assert float(interval.split(" ±")[0]) == pytest.approx(1 / 3, abs=1e-4)
    assert better == "level"  # 1/3 ± 4.303·0.2887/√3 = ±0.717
    n, interval, above, below, equal, better = table["inf"]
    assert interval == "+0.2000 ±0.0000" and better == "b"


def test_a_metric_neither_has_and_an_unknown_method(results):
    assert rows(results, "a", "b", "--metrics", "spr")["spr"] == ["0", "–", "–", "–", "–", "–"]
    result = subprocess.run([sys.executable, SCRIPT, str(results), "a", "leafx"], capture_output=True, text=True)
    assert result.returncode != 0 and "no results for method 'leafx'" in result.stderr


def test_two_configurations_need_a_choice(results):
    with open(results, "a") as f:
        f.write("\n" + line("a", "u0", {"tloc": 1.0}, config="model=base seed=0 tokens=4"))
        f.write(line("b", "u0", {"tloc": 0.0}, config="model=base seed=0 tokens=4"))
    result = subprocess.run([sys.executable, SCRIPT, str(results), "a", "b"], capture_output=True, text=True)
    assert result.returncode != 0 and "2 configurations" in result.stderr and "model=base" in result.stderr
    table = rows(results, "a", "b", "--config", "model=base seed=0 tokens=4")
    assert table["tloc"] == ["1", "+1.0000", "1", "0", "0", "level"]
