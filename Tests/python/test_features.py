"""leafx_log_mel against faster-whisper's FeatureExtractor (numpy) on the dev set: max abs
difference <= 1e-4 for 80 and 128 bins, including audio shorter and longer than 30 s, and
the audio decoder against the WAV samples themselves."""
import os

import numpy as np
import pytest
from faster_whisper.feature_extractor import FeatureExtractor

from conftest import DEV_DIR, read_wav, run
from leafx_ctypes import audio_load, log_mel

TOLERANCE = 1e-4
EXTRACTORS = {n: FeatureExtractor(feature_size=n) for n in (80, 128)}


def reference(pcm, n_mels, padding=160):
    return EXTRACTORS[n_mels](pcm, padding=padding)


def assert_close(ours, ref, label):
    assert ours.shape == ref.shape, f"{label}: shape {ours.shape} vs reference {ref.shape}"
    error = float(np.abs(ours - ref).max()) if ours.size else 0.0
    assert error <= TOLERANCE, f"{label}: max abs difference {error:.3g} > {TOLERANCE}"
    return error


@pytest.mark.parametrize("n_mels", [80, 128])
def test_dev_set_matches_faster_whisper(lib, manifest, n_mels, record_property):
    worst = 0.0
    for item in manifest:
        pcm = read_wav(os.path.join(DEV_DIR, item["audio"]))
        worst = max(worst, assert_close(log_mel(lib, pcm, n_mels), reference(pcm, n_mels),
                                        f"{item['id']} ({n_mels} mels)"))
    record_property("max_abs_error", worst)
    print(f"\n{len(manifest)} utterances, {n_mels} mels: max abs difference {worst:.3g}")


@pytest.mark.parametrize("n_mels", [80, 128])
def test_longer_than_30_seconds(lib, manifest, n_mels):
    # The whole dev set joined (about 244 s) and a 45 s excerpt: several Whisper windows, one
    # global maximum for the dynamic-range floor.
    joined = np.concatenate([read_wav(os.path.join(DEV_DIR, m["audio"])) for m in manifest])
    for pcm, label in ((joined, "all"), (joined[: 45 * 16000], "45 s")):
        assert pcm.size > 30 * 16000
        error = assert_close(log_mel(lib, pcm, n_mels), reference(pcm, n_mels), f"{label} ({n_mels})")
        print(f"\n{label}: {pcm.size / 16000:.1f} s, {n_mels} mels, max abs difference {error:.3g}")


def test_short_inputs_and_padding(lib, manifest):
    pcm = read_wav(os.path.join(DEV_DIR, manifest[0]["audio"]))
    for n in (1, 2, 100, 159, 160, 401, 4000):
        assert_close(log_mel(lib, pcm[:n]), reference(pcm[:n], 80), f"{n} samples")
    # openai-whisper pads 30 s of zeros; 0 padding is the bare STFT.
    for padding in (0, 480000):
        assert_close(log_mel(lib, pcm, 80, padding), reference(pcm, 80, padding), f"padding {padding}")


def test_decoder_returns_the_wav_samples(lib, manifest):
    for item in manifest[:5]:
        path = os.path.join(DEV_DIR, item["audio"])
        ours = audio_load(lib, path)
        expected = read_wav(path)
        assert ours.shape == expected.shape
        assert np.array_equal(ours, expected), f"{item['id']}: decoded samples differ"


def test_cli_features_equal_the_library(lib, prefix, tmp_path, clean_env):
    path = os.path.join(DEV_DIR, "audio", "jfk.wav")
    out = tmp_path / "jfk.npy"
    run([*clean_env, str(prefix / "bin" / "leafx"), "features", path, "-o", str(out)])
    cli = np.load(out)
    assert np.array_equal(cli, log_mel(lib, read_wav(path)))
    run([*clean_env, str(prefix / "bin" / "leafx"), "features", path, "--mels", "128",
         "--format", "json", "-o", str(tmp_path / "jfk.json")])
    import json
    doc = json.loads((tmp_path / "jfk.json").read_text())
    values = np.array(doc["values"], dtype=np.float32)
    assert doc["n_mels"] == 128 and values.shape == (128, doc["n_frames"])
    assert np.array_equal(values, log_mel(lib, read_wav(path), 128))
