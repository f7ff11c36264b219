#!/usr/bin/env python3
"""Write a tiny random Whisper model shaped like large-v3 as a whisper.cpp ggml file.

    make_synthetic_v3.py TOKENIZER_JSON OUT.bin [--seed N]

large-v3's shape where it matters to a loader and a decoder: n_vocab 51866 (100 languages,
`yue` the 100th), n_mels 128, n_audio_ctx 1500, n_text_ctx 448; everything else is small:
n_audio_state = n_text_state = 64, 2 heads, 2 encoder and 2 decoder layers. Weights are
random (numpy seed, normal with scale 0.02; layer norms weight 1 bias 0; sinusoidal encoder
positions as in Whisper), stored as ggml "mostly f16" (ftype 1), with the type rules of
whisper.cpp (docs/model-formats.md, "whisper.cpp ggml"): 2-D weights f16, biases / layer norms /
positional embeddings f32. It transcribes nonsense, but every code path of a real large-v3
runs: 128-bin mel front end with the file's filters, language detection over 100 languages,
the multilingual special-token layout shifted by the extra language.

The vocabulary holds the regular tokens as raw bytes: ids 0..50256 of the multilingual
tokenizer.json (n_vocab_in_file = 50257, id 50256 being the empty string); whisper.cpp and
leafx synthesise the special tokens. The 128-bin Slaney mel bank comes from
ct2_to_ggml.py beside this script.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ct2_to_ggml import GGML_MAGIC, bytes_to_unicode, slaney_mel_filters  # noqa: E402

N_VOCAB = 51866
N_VOCAB_IN_FILE = 50257
N_MELS = 128
N_AUDIO_CTX = 1500
N_TEXT_CTX = 448
N_STATE = 64
N_HEAD = 2
N_LAYER = 2


def sinusoids(length, channels, max_timescale=10000):
    """openai/whisper model.sinusoids: [sin | cos] halves."""
    increment = np.log(max_timescale) / (channels // 2 - 1)
    inv = np.exp(-increment * np.arange(channels // 2))
    scaled = np.arange(length)[:, None] * inv[None, :]
    return np.concatenate([np.sin(scaled), np.cos(scaled)], axis=1).astype(np.float32)


def regular_tokens(tokenizer_json):
    """Ids 0..N_VOCAB_IN_FILE-1 as raw bytes (GPT-2 byte-to-unicode form decoded)."""
    with open(tokenizer_json, encoding="utf-8") as f:
        vocab = json.load(f)["model"]["vocab"]
    by_id = {i: t for t, i in vocab.items()}
    decode = {c: b for b, c in bytes_to_unicode().items()}
    out = []
    for i in range(N_VOCAB_IN_FILE):
        token = by_id[i]
        out.append(bytes(decode[c] for c in token))
    return out


def tensors(rng):
    """(name, array) in openai state_dict order; conv biases as [n_state, 1] as in ggml files."""
    d, ff = N_STATE, 4 * N_STATE

    def w(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    def attention(prefix):
        return [(prefix + ".query.weight", w(d, d)), (prefix + ".query.bias", w(d)),
                (prefix + ".key.weight", w(d, d)),
                (prefix + ".value.weight", w(d, d)), (prefix + ".value.bias", w(d)),
                (prefix + ".out.weight", w(d, d)), (prefix + ".out.bias", w(d))]

    def norm(prefix):
        return [(prefix + ".weight", np.ones(d, np.float32)), (prefix + ".bias", np.zeros(d, np.float32))]

    def mlp(prefix):
        return [(prefix + ".mlp.0.weight", w(ff, d)), (prefix + ".mlp.0.bias", w(ff)),
                (prefix + ".mlp.2.weight", w(d, ff)), (prefix + ".mlp.2.bias", w(d))] + norm(prefix + ".mlp_ln")

    out = [("encoder.positional_embedding", sinusoids(N_AUDIO_CTX, d)),
           ("encoder.conv1.weight", w(d, N_MELS, 3)), ("encoder.conv1.bias", w(d, 1)),
           ("encoder.conv2.weight", w(d, d, 3)), ("encoder.conv2.bias", w(d, 1))]
    for i in range(N_LAYER):
        p = f"encoder.blocks.{i}"
        out += attention(p + ".attn") + norm(p + ".attn_ln") + mlp(p)
    out += norm("encoder.ln_post")
    out += [("decoder.positional_embedding", w(N_TEXT_CTX, d)),
            ("decoder.token_embedding.weight", w(N_VOCAB, d))]
    for i in range(N_LAYER):
        p = f"decoder.blocks.{i}"
        out += attention(p + ".attn") + norm(p + ".attn_ln")
        out += attention(p + ".cross_attn") + norm(p + ".cross_attn_ln") + mlp(p)
    out += norm("decoder.ln")
    return out


F32_NAMES = {"encoder.conv1.bias", "encoder.conv2.bias", "encoder.positional_embedding",
             "decoder.positional_embedding"}


def write(path, tokenizer_json, seed=0):
    rng = np.random.default_rng(seed)
    header = [N_VOCAB, N_AUDIO_CTX, N_STATE, N_HEAD, N_LAYER, N_TEXT_CTX, N_STATE, N_HEAD, N_LAYER,
              N_MELS, 1]
    filters = slaney_mel_filters(n_mels=N_MELS)
    vocab = regular_tokens(tokenizer_json)
    with open(path, "wb") as f:
        f.write(struct.pack("<i", GGML_MAGIC))
        f.write(struct.pack(f"<{len(header)}i", *header))
        f.write(struct.pack("<ii", *filters.shape))
        f.write(filters.astype("<f4").tobytes())
        f.write(struct.pack("<i", len(vocab)))
        for token in vocab:
            f.write(struct.pack("<I", len(token)))
            f.write(token)
        for name, data in tensors(rng):
            if data.ndim < 2 or name in F32_NAMES:
                data, ttype = data.astype("<f4"), 0
            else:
                data, ttype = data.astype("<f2"), 1
            encoded = name.encode()
            f.write(struct.pack("<iii", data.ndim, len(encoded), ttype))
            f.write(struct.pack(f"<{data.ndim}i", *reversed(data.shape)))
            f.write(encoded)
            f.write(np.ascontiguousarray(data).tobytes())
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tokenizer_json", help="tokenizer.json of a multilingual model (base)")
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    write(args.out, args.tokenizer_json, args.seed)
    print(f"wrote {args.out}: {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
