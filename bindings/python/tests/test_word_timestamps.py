"""Model.transcribe(..., word_timestamps=True): faster-whisper's Word fields on every segment,
the same times as `leafx transcribe --word-timestamps --format json`, and on every dev
utterance (and on audio longer than one window) words that are in order, do not overlap, stay
within the audio and cover every written token once."""
import io
import json
import os

import numpy as np
import pytest

from conftest import DEV_DIR, JFK, MODELS_DIR, read_wav, write_wav

SECONDS = 0.0005  # the JSON writes times in milliseconds


def dev_ids():
    with open(os.path.join(DEV_DIR, "manifest.jsonl")) as f:
        return [json.loads(line)["id"] for line in f if line.strip()]


def check_words(result, duration):
    """Every segment lists its words; in order, not overlapping, non-empty, inside the audio;
    their tokens are the result's written tokens, each once, in order."""
    words = [w for s in result.segments for w in s.words]
    assert result.tokens and words, "no words"
    assert all(s.words is not None for s in result.segments)
    covered = [i for w in words for i in w.tokens]
    assert covered == list(range(len(result.tokens)))
    for w in words:
        assert 0 <= w.start < w.end <= duration + 0.02, w
        assert 0 <= w.probability <= 1
    for a, b in zip(words, words[1:]):
        assert a.end <= b.start + 1e-9, (a, b)
    assert "".join(w.word for w in words).strip() == result.text.strip()


def test_words_match_the_command_line(leafx, tiny, cli):
    result = tiny.transcribe(JFK, word_timestamps=True)
    document = json.loads(cli("transcribe", JFK, "-m", os.path.join(MODELS_DIR, "tiny.en"), "--word-timestamps",
                              "--format", "json"))
    ours = [w for s in result.segments for w in s.words]
    theirs = [w for s in document["segments"] for w in s["words"]]
    assert [w.word for w in ours] == [w["word"] for w in theirs]
    for a, b in zip(ours, theirs):
        assert abs(a.start - b["start"]) < SECONDS and abs(a.end - b["end"]) < SECONDS
        assert np.float32(a.probability) == np.float32(b["probability"])
    assert isinstance(ours[0], leafx.TimedWord)
    # Without the option there are no words, as in faster-whisper.
    assert all(s.words is None for s in tiny.transcribe(JFK).segments)
    # leafx.load reads them back from the JSON.
    loaded = leafx.load(io.StringIO(json.dumps(document)))
    assert [(w.word, w.start, w.end) for s in loaded.segments for w in s.words] == \
        [(w.word, w.start, w.end) for w in ours]


def test_the_transcript_is_the_one_without_word_timestamps(tiny):
    plain = tiny.transcribe(JFK, beam_size=1)
    timed = tiny.transcribe(JFK, beam_size=1, word_timestamps=True)
    assert timed.text == plain.text
    assert [t.id for t in timed.tokens] == [t.id for t in plain.tokens]
    assert [(s.start, s.end) for s in timed.segments] == [(s.start, s.end) for s in plain.segments]


def test_every_dev_utterance_gets_ordered_words(tiny):
    # Greedy decoding keeps this to ~1 s per utterance.
    for utterance in dev_ids():
        samples = read_wav(os.path.join(DEV_DIR, "audio", f"{utterance}.wav"))
        result = tiny.transcribe(samples, beam_size=1, word_timestamps=True)
        check_words(result, samples.size / 16000)


def test_audio_longer_than_one_window(tiny, tmp_path):
    pieces = [read_wav(os.path.join(DEV_DIR, "audio", f"{u}.wav")) for u in dev_ids()[:6]]
    samples = np.concatenate(pieces)
    assert samples.size > 35 * 16000
    path = tmp_path / "long.wav"
    write_wav(path, samples)
    result = tiny.transcribe(str(path), beam_size=1, word_timestamps=True)
    plain = tiny.transcribe(str(path), beam_size=1)
    assert [t.id for t in result.tokens] == [t.id for t in plain.tokens]
    assert len({s.start // 30 for s in result.segments}) >= 2, "expected segments in two windows"
    check_words(result, samples.size / 16000)
    assert [w for s in result.segments for w in s.words][-1].end > 30


def test_explanation_words_carry_boundaries_beside_their_spans(tiny):
    explanation = tiny.explain(JFK)
    for w in explanation.words:
        assert w.boundary_start is not None and w.boundary_start <= w.boundary_end
    sounding = [w for w in explanation.words if w.boundary_end > w.boundary_start]
    for a, b in zip(sounding, sounding[1:]):
        assert a.boundary_end <= b.boundary_start + 1e-9
    # Half-mass spans may overlap; boundaries never do: they are different things.
    assert any(a.end > b.start for a, b in zip(explanation.words, explanation.words[1:]))
