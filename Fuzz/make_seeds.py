#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus: one tiny, valid input per format, so that libFuzzer starts
from files that get through every header check and mutates from there.

Usage:
  python3 Fuzz/make_seeds.py OUT_DIR

OUT_DIR/ctranslate2/model.bin      CTranslate2 binary version 6 of a width-8 Whisper (1+1 layers)
OUT_DIR/ggml/model.bin       the same weights as whisper.cpp ggml (f16 and f32 files)
OUT_DIR/safetensors/*        the same weights as model.safetensors (f32, f16)
OUT_DIR/tokenizer/*.json     small tokenizer.json files (merges, added tokens)
OUT_DIR/audio/*              WAV (16-bit, 8-bit, float, 44.1 kHz stereo, 6 channels), AIFF
The committed corpus in Fuzz/corpus is this script's output; rerun it after a format change.
The ggml and safetensors files come from the repository's converters (numpy only).
"""
import argparse
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# The converters of the tests (ct2_to_ggml.py, ct2_to_safetensors.py).
CONVERTERS_DIR = os.path.join(ROOT, "Tests", "reference")

# Width 8, 2 heads, 1 encoder and 1 decoder layer, 2 mel bins, vocab 12: a few KB per file.
SEED_DIMS = dict(width=8, heads=2, mels=2, audio_ctx=3, text_ctx=4, vocab=12)


def ct2_string(s):
    b = s.encode() + b"\0"
    return struct.pack("<H", len(b)) + b


def ct2_variables(rng, width, mels, audio_ctx, text_ctx, vocab, **_):
    """CTranslate2 variable name -> float32 array, the layout of CTranslate2's WhisperSpec
    (one encoder and one decoder layer)."""
    v = {}
    d = width

    def rand(*shape):
        return (rng.integers(-255, 256, size=shape) / 256).astype(np.float32)

    def linear(scope, rows, cols):
        v[scope + "/weight"] = rand(rows, cols)
        v[scope + "/bias"] = rand(rows)

    def norm(scope):
        v[scope + "/gamma"] = rand(d)
        v[scope + "/beta"] = rand(d)

    def self_attention(scope):
        linear(scope + "/linear_0", 3 * d, d)
        v[scope + "/linear_0/bias"][d:2 * d] = 0  # CTranslate2 inserts a zero key bias
        linear(scope + "/linear_1", d, d)
        norm(scope + "/layer_norm")

    def ffn(scope):
        linear(scope + "/linear_0", 4 * d, d)
        linear(scope + "/linear_1", d, 4 * d)
        norm(scope + "/layer_norm")

    v["encoder/conv1/weight"] = rand(d, mels, 3)
    v["encoder/conv1/bias"] = rand(d)
    v["encoder/conv2/weight"] = rand(d, d, 3)
    v["encoder/conv2/bias"] = rand(d)
    v["encoder/position_encodings/encodings"] = rand(audio_ctx, d)
    self_attention("encoder/layer_0/self_attention")
    ffn("encoder/layer_0/ffn")
    norm("encoder/layer_norm")
    v["decoder/embeddings/weight"] = rand(vocab, d)
    v["decoder/position_encodings/encodings"] = rand(text_ctx, d)
    self_attention("decoder/layer_0/self_attention")
    linear("decoder/layer_0/attention/linear_0", d, d)
    linear("decoder/layer_0/attention/linear_1", 2 * d, d)
    v["decoder/layer_0/attention/linear_1/bias"][:d] = 0
    linear("decoder/layer_0/attention/linear_2", d, d)
    norm("decoder/layer_0/attention/layer_norm")
    ffn("decoder/layer_0/ffn")
    norm("decoder/layer_norm")
    return v


def ct2_records(rng, dims):
    """The model.bin records, sorted by name: [name, shape, dtype id, payload bytes] (lists, so
    that tests can make them lie before serialising)."""
    records = [[name, list(a.shape), 4, a.astype(np.float16).tobytes()]
               for name, a in ct2_variables(rng, **dims).items()]
    for name in ("encoder/num_heads", "decoder/num_heads"):
        records.append([name, [], 2, struct.pack("<h", dims["heads"])])
    records.append(["decoder/activation", [], 1, b"\x03"])
    records.sort()
    return records


def ct2_bytes(records, declared_bytes=None):
    """Serialises records as CTranslate2 binary version 6; declared_bytes {name: n} overrides
    a record's num_bytes field (a lying size)."""
    declared_bytes = declared_bytes or {}
    out = struct.pack("<I", 6) + ct2_string("WhisperSpec") + struct.pack("<II", 3, len(records))
    for name, shape, dtype, payload in records:
        out += ct2_string(name) + struct.pack("<B", len(shape))
        out += b"".join(struct.pack("<I", d) for d in shape)
        out += struct.pack("<BI", dtype, declared_bytes.get(name, len(payload))) + payload
    return out + struct.pack("<I", 1) + ct2_string("decoder/projection/weight") + ct2_string("decoder/embeddings/weight")


def write_ct2(directory, rng, dims=SEED_DIMS):
    """A CTranslate2 directory of the seed model: model.bin, config.json, vocabulary.txt."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "model.bin"), "wb") as f:
        f.write(ct2_bytes(ct2_records(rng, dims)))
    config = {"alignment_heads": [[0, 1]], "lang_ids": [11], "suppress_ids": [1, 2],
              "suppress_ids_begin": [3, 10]}
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f)
    with open(os.path.join(directory, "vocabulary.txt"), "w") as f:
        f.write("\n".join([chr(97 + i) for i in range(10)] + ["<|endoftext|>", "<|de|>"]) + "\n")


def byte_tokens():
    """GPT-2's bytes_to_unicode: the 256 single-byte tokens as tokenizer.json spells them."""
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    extra = iter(range(256, 512))
    return [chr(b) if b in printable else chr(next(extra)) for b in range(256)]


SPECIALS = ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|translate|>", "<|transcribe|>",
            "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]


def tokenizer_json(with_specials=True):
    """The 256 byte tokens, "ab" and "abc" merged, and Whisper's specials as added tokens."""
    vocab = {t: i for i, t in enumerate(byte_tokens())}
    vocab.update({"ab": 256, "abc": 257})
    added = [{"id": 258 + i, "content": c, "special": True} for i, c in enumerate(SPECIALS)] if with_specials else []
    return json.dumps({"added_tokens": added,
                       "model": {"type": "BPE", "vocab": vocab, "merges": ["a b", "ab c"]}})


def write_wav(path, rate, channels, frames, width=2, amplitude=0.5):
    data = bytearray()
    for i in range(frames):
        for c in range(channels):
            x = amplitude * math.sin(2 * math.pi * 440 * i / rate + c)
            if width == 1:
                data += struct.pack("<B", int(128 + 127 * x))
            else:
                data += struct.pack("<h", int(32767 * x))
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(bytes(data))


def write_float_wav(path, rate, samples):
    """WAVE_FORMAT_IEEE_FLOAT (tag 3), mono; the `wave` module writes PCM only."""
    payload = struct.pack(f"<{len(samples)}f", *samples)
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(payload)) + payload
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def write_aiff(path, rate, samples):
    """Big-endian 16-bit AIFF, mono (rate as an 80-bit extended float)."""
    exponent = int(math.floor(math.log2(rate)))
    mantissa = int(rate * 2 ** (63 - exponent))
    rate80 = struct.pack(">HQ", 16383 + exponent, mantissa)
    comm = struct.pack(">hIh", 1, len(samples), 16) + rate80
    ssnd = struct.pack(">II", 0, 0) + b"".join(struct.pack(">h", int(32767 * s)) for s in samples)
    body = b"AIFF" + b"COMM" + struct.pack(">I", len(comm)) + comm + b"SSND" + struct.pack(">I", len(ssnd)) + ssnd
    with open(path, "wb") as f:
        f.write(b"FORM" + struct.pack(">I", len(body)) + body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    args = parser.parse_args()
    rng = np.random.default_rng(8)
    out = args.out
    for sub in ("ctranslate2", "ggml", "safetensors", "tokenizer", "audio"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        ct2 = os.path.join(tmp, "ct2")
        write_ct2(ct2, rng)
        shutil.copy(os.path.join(ct2, "model.bin"), os.path.join(out, "ctranslate2", "model.bin"))
        to_ggml = os.path.join(CONVERTERS_DIR, "ct2_to_ggml.py")
        for flag, name in (([], "f16.bin"), (["--f32"], "f32.bin")):
            subprocess.run([sys.executable, to_ggml, ct2, os.path.join(out, "ggml", name), *flag], check=True,
                           stdout=subprocess.DEVNULL)
        to_hf = os.path.join(CONVERTERS_DIR, "ct2_to_safetensors.py")
        with open(os.path.join(ct2, "tokenizer.json"), "w") as f:
            f.write(tokenizer_json())
        for flag, name in (([], "f32.safetensors"), (["--f16"], "f16.safetensors")):
            hf = os.path.join(tmp, "hf" + name)
            subprocess.run([sys.executable, to_hf, ct2, hf, *flag], check=True,
                           stdout=subprocess.DEVNULL)
            shutil.copy(os.path.join(hf, "model.safetensors"), os.path.join(out, "safetensors", name))

    with open(os.path.join(out, "tokenizer", "whisper_toy.json"), "w") as f:
        f.write(tokenizer_json())
    with open(os.path.join(out, "tokenizer", "no_specials.json"), "w") as f:
        f.write(tokenizer_json(with_specials=False))

    audio = os.path.join(out, "audio")
    write_wav(os.path.join(audio, "mono16k.wav"), 16000, 1, 64)
    write_wav(os.path.join(audio, "stereo44k.wav"), 44100, 2, 64)
    write_wav(os.path.join(audio, "six48k.wav"), 48000, 6, 16)
    write_wav(os.path.join(audio, "u8_8k.wav"), 8000, 1, 32, width=1)
    write_float_wav(os.path.join(audio, "float16k.wav"), 16000, [0.0, 0.5, -0.5, 1.0, -1.0, 0.25] * 8)
    write_aiff(os.path.join(audio, "mono22k.aiff"), 22050, [0.1 * (i % 7) for i in range(48)])


if __name__ == "__main__":
    main()
