"""Model formats through `leafx transcribe -m`: the real tiny.en (CTranslate2) converted into a
whisper.cpp ggml file (f16 and f32, Tests/reference/ct2_to_ggml.py) and a Hugging Face
safetensors directory (f32 and f16, Tests/reference/ct2_to_safetensors.py) decodes 3 dev
utterances greedily to the same token ids as the CTranslate2 directory itself (the tiny.en
weights are fp16, so every conversion holds the same numbers); and a random model shaped like
large-v3 (128 mels, 51866 tokens, 100 languages; Tests/reference/make_synthetic_v3.py) loads
and transcribes the JFK clip, detecting a language."""
import os
import sys

import pytest

from conftest import DEV_DIR, REFERENCE_SCRIPTS_DIR, SOURCE_DIR, model_dir, run, token_ids, transcribe

GREEDY = ("--beam", "1", "--temperature", "0")
# Timestamp tokens start after eot, sot, the languages, translate, transcribe, sot_lm,
# sot_prev, nospeech and notimestamps: 50257 + 1 + 100 + 6 for large-v3's 100 languages.
V3_TIMESTAMP_BEGIN = 50365
V3_VOCAB = 51866


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """{label: path} of tiny.en converted into each format."""
    source = model_dir("tiny.en")
    out = tmp_path_factory.mktemp("formats")
    models = {}
    for label, extra in (("ggml-f16", []), ("ggml-f32", ["--f32"])):
        path = out / f"tiny.en-{label}.bin"
        run([sys.executable, os.path.join(REFERENCE_SCRIPTS_DIR, "ct2_to_ggml.py"), source, str(path), *extra])
        models[label] = path
    for label, extra in (("safetensors-f32", []), ("safetensors-f16", ["--f16"])):
        path = out / f"tiny.en-{label}"
        run([sys.executable, os.path.join(REFERENCE_SCRIPTS_DIR, "ct2_to_safetensors.py"), source, str(path),
             *extra])
        models[label] = path
    return models


@pytest.mark.parametrize("label", ["ggml-f16", "ggml-f32", "safetensors-f32", "safetensors-f16"])
def test_converted_tiny_en_decodes_like_ctranslate2(label, converted, manifest):
    paths = [os.path.join(DEV_DIR, item["audio"]) for item in manifest[:3]]
    expected = transcribe(paths, model_dir("tiny.en"), *GREEDY)
    got = transcribe(paths, converted[label], *GREEDY)
    for item, ours, ct2 in zip(manifest, got, expected):
        assert token_ids(ours["segments"]) == token_ids(ct2["segments"]), f"{label}: {item['id']}"
        assert ours["text"] == ct2["text"]
    print(f"\ntiny.en as {label}: token ids identical to the CTranslate2 load on {len(paths)}/{len(paths)} utterances")


def test_synthetic_large_v3_shape_transcribes(tmp_path):
    model = tmp_path / "synthetic-v3.bin"
    run([sys.executable, os.path.join(REFERENCE_SCRIPTS_DIR, "make_synthetic_v3.py"),
         os.path.join(model_dir("base"), "tokenizer.json"), str(model)])
    jfk = os.path.join(SOURCE_DIR, "data", "jfk.wav")
    result = transcribe([jfk], model, *GREEDY)[0]
    # The model's description, where the JSON carries one.
    description = result.get("model")
    if description is not None:
        for key, value in (("n_mels", 128), ("n_vocab", V3_VOCAB), ("multilingual", True),
                           ("n_audio_state", 64), ("n_audio_layer", 2), ("n_text_layer", 2)):
            assert description.get(key) == value, (key, description)
    # Multilingual: the language is detected (random weights: any of the 100 codes).
    assert isinstance(result["language"], str) and result["language"], result.get("language")
    assert 0.0 < result["language_probability"] <= 1.0
    assert result["segments"], "no segment"
    ids = token_ids(result["segments"])
    assert ids and all(0 <= i < V3_VOCAB for i in ids), ids
    # The special-token layout of 100 languages: timestamp tokens from 50365, 0.02 s apart.
    for segment in result["segments"]:
        for token in segment["tokens"]:
            if token["id"] >= V3_TIMESTAMP_BEGIN:
                assert token["text"] == f"<|{(token['id'] - V3_TIMESTAMP_BEGIN) * 0.02:.2f}|>", token
    stamps = sum(i >= V3_TIMESTAMP_BEGIN for i in ids)
    print(f"\nsynthetic large-v3 shape: language {result['language']!r} "
          f"(p {result['language_probability']:.3f}), {len(ids)} tokens ({stamps} timestamps), "
          f"{len(result['segments'])} segments")
