"""Word localisation on dev utterances (DESIGN §8) through `leafx bench`: raw attention and
gradient rollout must localise words far better than the random floor. The paper's LEAF-X
equations are only printed here: on real Whisper they localise poorly (docs/leafx.md)."""
import json
import os
import subprocess

from conftest import DEV_DIR


def test_attention_baselines_far_above_random(prefix, models_dir, tmp_path):
    out = subprocess.run(
        [str(prefix / "bin" / "leafx"), "bench", os.path.join(DEV_DIR, "manifest.jsonl"), "-m",
         os.path.join(models_dir, "tiny.en"), "--methods", "raa,grad-rollout,leafx-paper,random", "--limit", "6",
         "--format", "json", "--quiet"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rows = {r["method"]: r for r in json.loads(out.stdout)}
    for method, r in rows.items():
        print(f"\n{method:14s} words {r['words']} TLoc {r['tloc']:.3f} pointing {r['pointing']:.3f} "
              f"mass {r['mass_in_span']:.3f} midpoint {r['midpoint_in_span']:.3f}")
    assert rows["random"]["words"] >= 80
    for method in ("raa", "grad-rollout"):
        assert rows[method]["tloc"] > rows["random"]["tloc"] + 0.4, method
        assert rows[method]["pointing"] > rows["random"]["pointing"] + 0.5, method
