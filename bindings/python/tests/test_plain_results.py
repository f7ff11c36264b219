"""Results are plain data: they pickle (a multiprocessing worker can return them), save() the
JSON of `leafx transcribe|explain --format json` and leafx.load() reads it (and the command
line's) back; their times sit on the frame grid; faster-whisper keywords leafx does not have
yet say what to use instead."""
import dataclasses
import json
import multiprocessing
import pickle

import numpy as np
import pytest

from conftest import JFK, read_wav

FORCED = "ask not what your country can do for you"


def without_segments(tokens):
    """Tokens as an explanation read from JSON has them (the JSON has no segments)."""
    return [dataclasses.replace(t, segment=None) for t in tokens]


def assert_same_explanation(got, expected, *, from_json=False):
    assert type(got) is type(expected)
    assert (got.text, got.language, got.method, got.frame_seconds, got.n_samples) == \
        (expected.text, expected.language, expected.method, expected.frame_seconds, expected.n_samples)
    if from_json:
        assert got.segments == [] and got.language_probability is None
        assert got.tokens == without_segments(expected.tokens)
    else:
        assert got.segments == expected.segments and got.language_probability == expected.language_probability
        assert got.tokens == expected.tokens
    assert got.words == expected.words
    assert got.attributions.dtype == np.float32
    np.testing.assert_array_equal(got.attributions, expected.attributions)
    np.testing.assert_array_equal(got.word_attributions, expected.word_attributions)


def assert_same_transcript(got, expected):
    assert type(got) is type(expected)
    assert (got.text, got.language, got.language_probability, got.n_samples) == \
        (expected.text, expected.language, expected.language_probability, expected.n_samples)
    assert got.segments == expected.segments
    assert got.tokens == expected.tokens


def test_results_pickle(leafx, tiny):
    """pickle.dumps/loads of a transcription and an explanation: the same data, detached from
    the library (no leafx_result), and the same JSON."""
    transcript = tiny.transcribe(JFK, beam_size=1)
    explanation = tiny.explain(JFK, text=FORCED, method="raa", verify=True)
    assert all(w.silence_check is not None for w in explanation.words)
    copy = pickle.loads(pickle.dumps(transcript))
    assert_same_transcript(copy, transcript)
    assert copy.to_json() == transcript.to_json()
    copy = pickle.loads(pickle.dumps(explanation))
    assert_same_explanation(copy, explanation)
    assert copy.to_json() == explanation.to_json()
    assert copy.n_frames == explanation.n_frames and np.array_equal(copy.frame_times, explanation.frame_times)
    # The library's objects stay out of the pickle: closing the original leaves the copy whole.
    explanation.close()
    assert json.loads(copy.to_json())["method"] == "raa"


def _explain_in_worker(path, text):
    """Runs in a spawned process: its own library and model."""
    import leafx
    with leafx.Model("tiny.en") as model:
        return model.explain(path, text=text, method="raa")


def test_a_worker_process_returns_an_explanation(tiny):
    """A multiprocessing worker returns an Explanation equal to one made here."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        got = pool.apply(_explain_in_worker, (JFK, FORCED))
    expected = tiny.explain(JFK, text=FORCED, method="raa")
    assert_same_explanation(got, expected)
    assert got.to_json() == expected.to_json()


def test_save_and_load_round_trip(leafx, tiny, tmp_path):
    """save() writes to_json() (naming the audio by its file name); leafx.load() reads back
    everything the JSON holds: equal tokens, words, silence checks, arrays and JSON."""
    explanation = tiny.explain(JFK, text=FORCED, verify=True)
    path = tmp_path / "explanation.json"
    explanation.save(path)
    assert path.read_text(encoding="utf-8") == explanation.to_json() + "\n"
    assert json.loads(path.read_text())["audio"]["path"] == "jfk.wav"
    loaded = leafx.load(path)
    assert_same_explanation(loaded, explanation, from_json=True)
    assert loaded.to_json() == explanation.to_json()
    with open(path, encoding="utf-8") as file:  # an open file works too
        assert leafx.load(file).words == explanation.words

    transcript = tiny.transcribe(JFK)
    path = tmp_path / "transcript.json"
    transcript.save(str(path))
    loaded = leafx.load(str(path))
    assert_same_transcript(loaded, transcript)
    assert loaded.to_json() == transcript.to_json()
    # A loaded result pickles too, and keeps its JSON through the pickle.
    assert pickle.loads(pickle.dumps(loaded)).to_json() == transcript.to_json()

    (tmp_path / "other.json").write_text('{"tokens": []}')
    with pytest.raises(leafx.FormatError, match="other.json: not the JSON of `leafx transcribe` or `leafx explain`"):
        leafx.load(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text('{"method": "leafx", "words": [')
    with pytest.raises(leafx.FormatError, match="broken.json: not JSON"):
        leafx.load(tmp_path / "broken.json")


def test_load_reads_the_cli_json(leafx, tiny, cli, tmp_path):
    """A JSON file written by the command line loads into the objects the package makes for
    the same input, and save() writes the command line's bytes."""
    cli_file = tmp_path / "cli-explain.json"
    cli("explain", JFK, "-m", "tiny.en", "--text", FORCED, "--format", "json", "--output", cli_file)
    explanation = tiny.explain(JFK, text=FORCED)
    assert_same_explanation(leafx.load(cli_file), explanation, from_json=True)
    ours = tmp_path / "ours.json"
    explanation.save(ours)
    assert ours.read_bytes() == cli_file.read_bytes()

    cli_file = tmp_path / "cli-transcribe.json"
    cli("transcribe", JFK, "-m", "tiny.en", "--format", "json", "--output", cli_file)
    loaded = leafx.load(cli_file)
    assert_same_transcript(loaded, tiny.transcribe(JFK))
    assert len(loaded.segments) >= 2 and all(t.text and not t.text.startswith("<|") for t in loaded.tokens)


def assert_short(value, what):
    """`value` prints as the decimal it stands for (0.7, not 0.7000000000000001)."""
    assert repr(value) == repr(float(f"{value:.3f}")), f"{what} is {value!r}"


def test_times_are_on_the_frame_grid(tiny):
    """Token and word times are multiples of the 20 ms frame (peaks: frame centres),
    segment times of 10 ms, each rounded so that it prints as a short decimal."""
    explanation = tiny.explain(JFK)
    frame = explanation.frame_seconds
    for kind, items in (("word", explanation.words), ("token", explanation.tokens)):
        for item in items:
            for name in ("start", "end", "peak"):
                value = getattr(item, name)
                assert_short(value, f"{kind} {item.text!r} {name}")
                steps = value / frame * (2 if name == "peak" else 1)
                assert abs(steps - round(steps)) < 1e-6, (kind, item.text, name, value)
    verified = tiny.explain(JFK, text=FORCED, method="raa", verify=True)
    for word in verified.words:
        assert_short(word.silence_check.start, f"silenced start of {word.text!r}")
        assert_short(word.silence_check.end, f"silenced end of {word.text!r}")
    transcript = tiny.transcribe(read_wav(JFK), beam_size=1)
    for segment in transcript.segments:
        assert_short(segment.start, "segment start")
        assert_short(segment.end, "segment end")


def test_faster_whisper_options_not_supported_yet(leafx, tiny):
    """vad_filter says it is not supported yet and what to use instead; explain() points
    word_timestamps to transcribe(); other unknown keywords stay a TypeError; the "off" values
    are accepted."""
    with pytest.raises(leafx.UnsupportedOptionError) as error:
        tiny.transcribe(JFK, vad_filter=True)
    assert str(error.value).startswith("transcribe(): vad_filter is not supported yet: ")
    assert "no_speech_threshold" in str(error.value)
    assert isinstance(error.value, TypeError) and isinstance(error.value, NotImplementedError)
    with pytest.raises(leafx.UnsupportedOptionError, match="vad_parameters is not supported yet"):
        tiny.transcribe(JFK, vad_parameters={"min_silence_duration_ms": 500})
    with pytest.raises(leafx.UnsupportedOptionError, match="explain\\(\\): word_timestamps is transcribe\\(\\)'s option"):
        tiny.explain(JFK, word_timestamps=True)
    with pytest.raises(TypeError, match="unknown transcription option\\(s\\): word_timestamp\\b"):
        tiny.transcribe(JFK, word_timestamp=True)
    silence = np.zeros(16000, dtype=np.float32)
    result = tiny.transcribe(silence, beam_size=1, word_timestamps=False, vad_filter=False, vad_parameters=None)
    assert isinstance(result, leafx.Result)
