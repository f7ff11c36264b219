"""Failures raise Python exceptions carrying leafx's own message and status; model names are
resolved through $LEAFX_MODELS; callbacks report progress and cancel."""
import os

import numpy as np
import pytest

from conftest import JFK, MODELS_DIR, read_wav

FORCED = "ask not what your country can do for you"


def test_unknown_model_name(leafx, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("LEAFX_MODELS", str(tmp_path))
    with pytest.raises(leafx.FileError) as error:
        leafx.Model("no-such-model")
    message = str(error.value)
    assert isinstance(error.value, OSError) and error.value.status == 3
    assert 'no model named "no-such-model"' in message and str(tmp_path) in message
    assert message.startswith("leafx_model_load:")


def test_name_resolved_through_the_model_cache(leafx, tmp_path, monkeypatch):
    """A name is looked up in $LEAFX_MODELS at load time, as `leafx -m NAME` does."""
    os.symlink(os.path.join(MODELS_DIR, "tiny.en"), tmp_path / "my-tiny")
    monkeypatch.setenv("LEAFX_MODELS", str(tmp_path))
    with leafx.Model("my-tiny") as model:
        assert model.info["n_text_layer"] == 4 and model.info["n_vocab"] == 51864
        assert not model.info["is_multilingual"] and model.info["format"] == "ctranslate2"
    with pytest.raises(ValueError, match="closed"):
        model.explain(JFK)


@pytest.mark.parametrize("arguments, error, words", [
    ({"method": "magic"}, "InvalidArgumentError", ["magic"]),
    ({"tau": 0.0}, "InvalidArgumentError", ["tau"]),
    ({"text": "   "}, "InvalidArgumentError", ["empty"]),
])
def test_bad_explain_arguments(tiny, leafx, arguments, error, words):
    with pytest.raises(getattr(leafx, error)) as raised:
        tiny.explain(np.zeros(16000, np.float32), **arguments)
    assert isinstance(raised.value, ValueError) and raised.value.status == 1
    for word in words:
        assert word in str(raised.value), str(raised.value)


def test_bad_audio(tiny, leafx, tmp_path):
    missing = tmp_path / "missing.wav"
    with pytest.raises(leafx.FileError, match="missing.wav"):
        tiny.explain(missing)
    notes = tmp_path / "notes.wav"
    notes.write_text("not audio")
    with pytest.raises(leafx.LeafxError, match="not an audio file") as raised:
        tiny.transcribe(notes)
    assert "notes.wav" in str(raised.value)
    samples = read_wav(JFK)
    samples[1234] = np.nan
    with pytest.raises(leafx.InvalidArgumentError, match="1234"):
        tiny.explain(samples, text=FORCED)
    with pytest.raises(leafx.InvalidArgumentError, match="int16"):
        tiny.explain(np.zeros(16000, np.int16))
    with pytest.raises(leafx.InvalidArgumentError, match="shape"):
        tiny.explain(np.zeros((16000, 2), np.float32))
    with pytest.raises(TypeError, match="beam_width"):
        tiny.transcribe(samples, beam_width=3)
    with pytest.raises(TypeError, match="window_size"):
        tiny.explain(samples, text=FORCED, window_size=3)


def test_load_audio_resamples_and_downmixes(leafx):
    """An array at 8 kHz, two channels: leafx averages the channels and converts the rate."""
    t = np.arange(8000) / 8000.0
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    mono = leafx.load_audio(stereo, sample_rate=8000)
    assert mono.dtype == np.float32 and abs(mono.size - 16000) <= 1
    # Half the amplitude after the average; the tone survives the resampler.
    middle = mono[2000:14000]
    assert abs(np.abs(middle).max() - 0.25) < 0.01
    spectrum = np.abs(np.fft.rfft(middle))
    assert abs(np.argmax(spectrum) * 16000 / middle.size - 440) < 2
    with pytest.raises(leafx.InvalidArgumentError, match="sample_rate"):
        leafx.load_audio(stereo)
    with pytest.raises(leafx.InvalidArgumentError, match="sample_rate"):
        leafx.load_audio(stereo, sample_rate=100)


def test_progress_and_cancel(tiny, leafx):
    samples = read_wav(JFK)
    seen = []
    tiny.explain(samples, text=FORCED, method="raa", progress=lambda f, stage: seen.append((f, stage)))
    assert seen and all(stage == "explain" for _, stage in seen)
    assert [f for f, _ in seen] == sorted(f for f, _ in seen) and seen[-1][0] == pytest.approx(1)

    class Stop(Exception):
        pass

    def stop(fraction, stage):
        raise Stop(stage)

    # The first report is the front end's pass over the recording.
    with pytest.raises(Stop, match="features"):
        tiny.transcribe(samples, beam_size=1, progress=stop)

    def stop_at_the_end(fraction, stage):
        if fraction >= 1:
            raise Stop("end")

    # Raised after the last step: the finished result is dropped, the exception propagates.
    with pytest.raises(Stop, match="end"):
        tiny.explain(samples, text=FORCED, method="raa", progress=stop_at_the_end)


def test_transcribe_options(tiny):
    samples = read_wav(JFK)
    greedy = tiny.transcribe(samples, beam_size=1, temperature=0.0, without_timestamps=True)
    assert len(greedy.segments) == 1 and "fellow Americans" in greedy.text
    assert greedy.language == "en" and greedy.language_probability == 1
    assert [t.index for t in greedy.tokens] == list(range(len(greedy.tokens)))
    assert "".join(t.text for t in greedy.tokens) == greedy.segments[0].text
    timed = tiny.transcribe(samples, beam_size=1, temperature=[0.0, 0.5], no_speech_threshold=None)
    assert len(timed.segments) >= 2 and timed.segments[-1].end <= 11.0 + 1e-6
    assert all(s.tokens.stop <= len(timed.tokens) for s in timed.segments)


def test_model_params_reach_the_library(leafx):
    """threads and format go through leafx_model_params (mirrored, filled by _init)."""
    with pytest.raises(leafx.InvalidArgumentError, match=r"params->n_threads: -1"):
        leafx.Model("tiny.en", threads=-1)
    with pytest.raises(leafx.FileError, match="not a regular file"):  # a directory read as ggml
        leafx.Model(os.path.join(MODELS_DIR, "tiny.en"), format="ggml")
    with pytest.raises(leafx.InvalidArgumentError, match="onnx"):
        leafx.Model("tiny.en", format="onnx")


class _FakeLibrary:
    """Stands in for a libleafx of another version: only the version calls are answered."""

    def __init__(self, abi, number, text):
        self.abi, self.number, self.text = abi, number, text

    def leafx_abi_version(self):
        return self.abi

    def leafx_version_number(self):
        return self.number

    def leafx_version(self):
        return self.text


def test_a_library_older_than_the_package_is_refused(leafx):
    """A 0.1 library would ignore explain()'s verify and method fields: refused by name."""
    from leafx import _library

    _library.check_version(_library.library(), "the loaded library")  # the one under test passes
    with pytest.raises(leafx.LibraryNotFoundError) as error:
        _library.check_version(_FakeLibrary(0, 100, b"0.1.0"), "old.so")
    assert "old.so is leafx 0.1.0; this package needs 0.3.0 or newer" in str(error.value)
    with pytest.raises(leafx.LibraryNotFoundError, match="old.so has ABI version 1; this package needs 0"):
        _library.check_version(_FakeLibrary(1, 10000, b"1.0.0"), "old.so")
    _library.check_version(_FakeLibrary(0, 301, b"0.3.1"), "newer.so")
