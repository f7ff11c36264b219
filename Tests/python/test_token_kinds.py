"""bench/token_kinds.py on a toy --token-results file with known answers."""
import json
import os
import sys

from conftest import SOURCE_DIR, run


def line(uid, token, method, text, d_aopc):
    return {"config": "c", "id": uid, "method": method, "token": token, "text": text,
            "logProbability": -0.1, "deletionCurve": [d_aopc] * 5, "dAOPC": d_aopc}


def test_kinds_means_and_per_token_best(tmp_path):
    rows = [
        line("u1", 0, "a", " word", 0.1), line("u1", 0, "b", " word", 0.3),
        line("u1", 1, "a", "ston", 0.2), line("u1", 1, "b", "ston", 0.0),
        line("u2", 0, "a", ".", 0.9), line("u2", 0, "b", ".", 0.7),
        # Scored by one method only: left out so that the rows compare the same tokens.
        line("u2", 1, "a", " only", 0.5),
    ]
    path = tmp_path / "tokens.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = run([sys.executable, os.path.join(SOURCE_DIR, "bench", "token_kinds.py"), str(path)]).stdout
    assert "3 tokens of 2 utterances: 1 word start (33 %), 1 continuation (33 %), 1 other (33 %)" in out
    table = {r.split("|")[1].strip(): [c.strip() for c in r.split("|")[2:-1]] for r in out.splitlines() if r.startswith("| ")}
    # all tokens, word start, continuation, other, share of the sum from "other".
    assert table["a"] == ["0.400", "0.100", "0.200", "0.900", "75 %"]
    assert table["b"] == ["0.333", "0.300", "0.000", "0.700", "70 %"]
    assert table["per-token best"] == ["0.267", "0.100", "0.000", "0.700", "88 %"]
