"""leafx's methods number for number against Tests/reference/attributions, an independent
implementation of the paper's equations and the attention baselines (docs/methods.md) on three
dev utterances, decoded as the reference is (greedy, without timestamps): same tokens,
per-token cosine ≥ 0.99
(the figures are printed; in practice they are ≥ 0.9999)."""
import json
import os
import subprocess

import numpy as np
import pytest

from conftest import DEV_DIR, SOURCE_DIR

REFERENCE_DIR = os.path.join(SOURCE_DIR, "Tests", "reference", "attributions")
UTTERANCES = ["jfk", "1688-142285-0000", "2033-164914-0000"]
METHODS = ["raa", "raa-mean", "rollout", "grad-rollout", "leafx-paper", "leafx-paper-grad", "leafx-paper-causal"]


@pytest.mark.parametrize("utterance", UTTERANCES)
def test_methods_match_reference(prefix, models_dir, utterance):
    reference = np.load(os.path.join(REFERENCE_DIR, f"{utterance}.npz"))
    wav = os.path.join(DEV_DIR, "audio", f"{utterance}.wav")
    worst = {}
    for method in METHODS:
        out = subprocess.run([str(prefix / "bin" / "leafx"), "explain", wav, "-m", os.path.join(models_dir, "tiny.en"),
                              "--method", method, "--beam", "1", "--without-timestamps", "--format", "json"],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        doc = json.loads(out.stdout)
        ids = [t["id"] for t in doc["tokens"]]
        assert ids == reference["token_ids"].tolist(), f"{utterance}: tokens differ from the reference"
        ours = np.array([t["attribution"]["values"] for t in doc["tokens"]], dtype=np.float64)
        theirs = reference[method].astype(np.float64)
        assert ours.shape == theirs.shape == (len(ids), int(reference["n_frames"]))
        assert all(t["attribution"]["offset"] == 0 for t in doc["tokens"])
        cosine = (ours * theirs).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(theirs, axis=1)
        worst[method] = float(cosine.min())
    print(f"\n{utterance}: minimum per-token cosine " + ", ".join(f"{m} {c:.5f}" for m, c in worst.items()))
    failing = {m: c for m, c in worst.items() if c < 0.99}
    assert not failing, f"{utterance}: cosine below 0.99 for {failing}"
