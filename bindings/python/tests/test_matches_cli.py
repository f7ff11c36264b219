"""The package's arrays and figures equal `leafx explain --format json` for the same input:
a file path, a numpy array, forced text, and audio longer than one 30 s window."""
import json

import numpy as np
import pytest

from conftest import JFK, MODELS_DIR, SOURCE_DIR, dev_audio, read_wav, write_wav

SECONDS = 0.0005  # the JSON writes times in milliseconds


def assert_matches(explanation, document):
    """Every token and word of the Python explanation equals the CLI's JSON object: ids,
    texts, probabilities, times and flags; each dense attribution row holds exactly the
    JSON's values at its offset (the JSON writes float32 in shortest round-trip form, so the
    comparison is exact) and zeros elsewhere."""
    assert explanation.text == document["text"]
    assert explanation.language == document["language"]
    assert explanation.frame_seconds == document["frame_seconds"]
    tokens, words = document["tokens"], document["words"]
    assert [t.id for t in explanation.tokens] == [t["id"] for t in tokens]
    assert [t.text for t in explanation.tokens] == [t["text"] for t in tokens]
    assert explanation.attributions.shape == (len(tokens), explanation.n_frames)
    assert explanation.word_attributions.shape == (len(words), explanation.n_frames)
    assert explanation.attributions.dtype == np.float32

    def compare(row, item, entry, kind):
        values = np.array(entry["attribution"]["values"], dtype=np.float32)
        offset = entry["attribution"]["offset"]
        expected = np.zeros(explanation.n_frames, dtype=np.float32)
        expected[offset:offset + values.size] = values
        mismatch = np.flatnonzero(row != expected)
        assert mismatch.size == 0, (
            f"{kind} {entry.get('text', entry.get('word'))!r}: {mismatch.size} frames differ, first at "
            f"{mismatch[:1]}: {row[mismatch[:3]]} vs {expected[mismatch[:3]]}")
        assert item.frames == range(offset, offset + values.size)
        assert np.float32(item.probability) == np.float32(entry["probability"])
        assert np.float32(item.entropy) == np.float32(entry["entropy"])
        for name in ("peak", "start", "end"):
            assert abs(getattr(item, name) - entry[name]) <= SECONDS, (kind, name, getattr(item, name), entry[name])
        assert list(item.flags) == entry["flags"]

    for token, row, entry in zip(explanation.tokens, explanation.attributions, tokens):
        compare(row, token, entry, "token")
        assert np.float32(token.padding_mass) == np.float32(entry["padding_mass"])
    for word, row, entry in zip(explanation.words, explanation.word_attributions, words):
        compare(row, word, entry, "word")
        assert word.text == entry["word"]
        assert list(word.tokens) == entry["tokens"]


def test_default_method_on_a_path(tiny, cli):
    document = json.loads(cli("explain", JFK, "-m", "tiny.en", "--format", "json"))
    explanation = tiny.explain(JFK)
    assert explanation.method == document["method"] == "leafx"
    assert len(explanation.tokens) >= 20 and "fellow Americans" in explanation.text
    assert_matches(explanation, document)
    # Each row is a distribution over the audio's frames (the window is the whole file).
    assert explanation.n_frames == int(np.ceil(len(read_wav(JFK)) / 320))
    np.testing.assert_allclose(explanation.attributions.sum(axis=1), 1, atol=1e-4)
    assert (explanation.attributions >= 0).all()


def test_forced_text_on_an_array(tiny, cli):
    """A numpy array read without leafx equals the CLI reading the file; forced mode."""
    path = dev_audio("1688-142285-0002")
    text = "and the tortoise was so slow"
    document = json.loads(cli("explain", path, "-m", "tiny.en", "--method", "raa", "--text", text,
                              "--format", "json"))
    explanation = tiny.explain(read_wav(path), method="raa", text=text)
    assert explanation.text.strip() == text
    assert_matches(explanation, document)


def test_verify_checks_every_word_as_the_cli(tiny, cli):
    """verify=True: each word's silence check equals the CLI's `--verify` JSON, and the
    unconfirmed flag is set exactly where the drop is under ln 2."""
    text = "ask not what your country can do for you"
    document = json.loads(cli("explain", JFK, "-m", "tiny.en", "--text", text, "--verify", "--format", "json"))
    assert document["params"]["verify"] is True
    explanation = tiny.explain(JFK, text=text, verify=True)
    assert_matches(explanation, document)
    for word, entry in zip(explanation.words, document["words"]):
        check, expected = word.silence_check, entry["silence_check"]
        assert check is not None, word.text
        assert np.float32(check.drop) == np.float32(expected["drop"])
        assert np.float32(check.log_probability) == np.float32(expected["log_probability"])
        assert np.float32(check.silenced_log_probability) == np.float32(expected["silenced_log_probability"])
        assert abs(check.start - expected["start"]) <= SECONDS and abs(check.end - expected["end"]) <= SECONDS
        assert ("unconfirmed" in word.flags) == (check.drop < np.log(2)), (word.text, check.drop)
    assert all(w.silence_check is None for w in tiny.explain(JFK, text=text).words)


def test_several_windows(tiny, cli, tmp_path):
    """Audio of about 39 s is decoded in two 30 s windows: the second window's tokens have
    their attributions at its frames, zero over the first window."""
    samples = np.concatenate([read_wav(dev_audio(u)) for u in ("1688-142285-0000", "1688-142285-0001",
                                                               "367-130732-0002")])
    path = tmp_path / "long.wav"
    write_wav(path, samples)
    document = json.loads(cli("explain", str(path), "-m", "tiny.en", "--method", "raa", "--format", "json"))
    explanation = tiny.explain(samples, method="raa")
    assert_matches(explanation, document)
    offsets = sorted({t.frames.start for t in explanation.tokens})
    assert len(offsets) >= 2 and offsets[0] == 0, offsets
    late = [t for t in explanation.tokens if t.frames.start > 0][0]
    assert explanation.attributions[late.index, :late.frames.start].sum() == 0


def test_to_json_is_the_cli_schema(tiny, cli):
    """to_json() (leafx_result_to_json) writes the same tokens and values as the CLI."""
    text = "ask not what your country can do for you"
    document = json.loads(cli("explain", JFK, "-m", "tiny.en", "--text", text, "--format", "json"))
    with tiny.explain(JFK, text=text) as explanation:
        raw = explanation.to_json()
        ours = json.loads(raw)
    assert [t["attribution"] for t in ours["tokens"]] == [t["attribution"] for t in document["tokens"]]
    # No absolute path of the machine, as the CLI without --full-paths: the model by its name.
    assert ours["model"]["path"] == document["model"]["path"] == "tiny.en"
    assert MODELS_DIR not in raw and SOURCE_DIR not in raw
    assert ours["method"] == document["method"] and ours["text"] == document["text"]
    with pytest.raises(ValueError, match="closed"):
        explanation.to_json()


@pytest.mark.parametrize("options, flags", [
    ({}, ()),
    ({"beam_size": 1, "temperature": 0}, ("--beam", "1", "--temperature", "0")),
    ({"beam_size": 1, "without_timestamps": True}, ("--beam", "1", "--without-timestamps")),
], ids=["defaults", "greedy-no-fallback", "greedy-without-timestamps"])
def test_explain_decodes_as_transcribe(tiny, cli, options, flags):
    """explain() takes transcribe()'s decoding keywords with its defaults, so it explains the
    transcript transcribe() writes (this utterance is written differently by greedy decoding,
    the old default of explain()), and equals `leafx explain` given the same options."""
    path = dev_audio("367-130732-0006")
    explanation = tiny.explain(path, method="raa", **options)
    assert [t.id for t in explanation.tokens] == [t.id for t in tiny.transcribe(path, **options).tokens]
    document = json.loads(cli("explain", path, "-m", "tiny.en", "--method", "raa", *flags, "--format", "json"))
    assert_matches(explanation, document)


def test_explain_refuses_what_transcribe_refuses(tiny):
    path = dev_audio("367-130732-0006")
    with pytest.raises(ValueError, match="temperature"):  # through the nested decoding params
        tiny.explain(path, method="raa", temperature=-1)
    with pytest.raises(TypeError, match="decoding keywords .*beam_size"):
        tiny.explain(path, method="raa", beam_width=3)


def test_beam_decoding(tiny, cli):
    """beam_size reaches the nested decoding params as `leafx explain --beam` does."""
    path = dev_audio("1688-142285-0002")
    document = json.loads(cli("explain", path, "-m", "tiny.en", "--method", "raa", "--beam", "3", "--format", "json"))
    assert_matches(tiny.explain(path, method="raa", beam_size=3), document)
    with pytest.raises(ValueError, match="beam_size"):  # the nested params reach the library
        tiny.explain(path, method="raa", beam_size=0)
