#!/usr/bin/env python3
"""Convert a CTranslate2 Whisper model directory into a Hugging Face Whisper directory.

Usage:
  python3 ct2_to_safetensors.py CT2_MODEL_DIR OUT_DIR [--f16]

Writes OUT_DIR/model.safetensors (float32, or float16 with --f16), OUT_DIR/config.json
(the WhisperConfig fields leafx reads, plus suppress_tokens / begin_suppress_tokens /
alignment_heads copied from the CTranslate2 config.json), OUT_DIR/generation_config.json
(the same generation fields and lang_to_id) and a copy of tokenizer.json.

Needs numpy only: the safetensors file is written here with json + struct
(huggingface/safetensors "Format": u64 little-endian header length N, N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, padded with
spaces to a multiple of 8, then the raw little-endian row-major data). The CTranslate2
model.bin is parsed with ct2_reader.py, which sits beside this script.

Names follow transformers' convert_openai_to_hf.py / modeling_whisper.py. CTranslate2 fuses
self-attention q|k|v into linear_0 ([3d, d]) and cross-attention k|v into linear_1 ([2d, d]);
these are split by rows, and the all-zero key bias the CT2 converter inserts is dropped (HF's
k_proj has no bias). The output projection is tied to the token embedding, so proj_out.weight
is not written.
"""
import argparse
import json
import os
import re
import shutil
import struct
import sys

import numpy as np


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ct2_reader import CT2Model  # noqa: E402


def hf_tensors(m):
    """Return ([(hf_name, ndarray)], n_encoder_layers, n_decoder_layers) for a CT2 WhisperSpec."""
    g = m.get
    enc = sorted({int(k.split("/")[1][6:]) for k in m.variables if re.match(r"encoder/layer_\d+/", k)})
    dec = sorted({int(k.split("/")[1][6:]) for k in m.variables if re.match(r"decoder/layer_\d+/", k)})
    assert enc == list(range(len(enc))) and dec == list(range(len(dec))), "layer indices must be 0..n-1"
    out = []

    def linear(hf, ct2, bias=True):
        out.append((hf + ".weight", g(ct2 + "/weight")))
        if bias:
            out.append((hf + ".bias", g(ct2 + "/bias")))

    def norm(hf, ct2):
        out.append((hf + ".weight", g(ct2 + "/gamma")))
        out.append((hf + ".bias", g(ct2 + "/beta")))

    def split_rows(ct2, parts):
        w = g(ct2 + "/weight")
        b = g(ct2 + "/bias")
        d = w.shape[0] // parts
        assert w.shape[0] == parts * d and b.shape == (parts * d,), (ct2, w.shape, b.shape)
        return [w[i * d:(i + 1) * d] for i in range(parts)], [b[i * d:(i + 1) * d] for i in range(parts)]

    def self_attn(hf, ct2):
        (wq, wk, wv), (bq, bk, bv) = split_rows(ct2 + "/linear_0", 3)
        if np.any(bk):
            print(f"note: {ct2}/linear_0 key bias is not zero; dropped (softmax is shift-invariant)",
                  file=sys.stderr)
        out.extend([(hf + ".q_proj.weight", wq), (hf + ".q_proj.bias", bq), (hf + ".k_proj.weight", wk),
                    (hf + ".v_proj.weight", wv), (hf + ".v_proj.bias", bv)])
        linear(hf + ".out_proj", ct2 + "/linear_1")

    def cross_attn(hf, ct2):
        linear(hf + ".q_proj", ct2 + "/linear_0")
        (wk, wv), (bk, bv) = split_rows(ct2 + "/linear_1", 2)
        if np.any(bk):
            print(f"note: {ct2}/linear_1 key bias is not zero; dropped", file=sys.stderr)
        out.extend([(hf + ".k_proj.weight", wk), (hf + ".v_proj.weight", wv), (hf + ".v_proj.bias", bv)])
        linear(hf + ".out_proj", ct2 + "/linear_2")

    def ffn(hf, ct2):
        linear(hf + ".fc1", ct2 + "/linear_0")
        linear(hf + ".fc2", ct2 + "/linear_1")
        norm(hf + ".final_layer_norm", ct2 + "/layer_norm")

    linear("model.encoder.conv1", "encoder/conv1")
    linear("model.encoder.conv2", "encoder/conv2")
    out.append(("model.encoder.embed_positions.weight", g("encoder/position_encodings/encodings")))
    for i in enc:
        hf, ct2 = f"model.encoder.layers.{i}", f"encoder/layer_{i}"
        self_attn(hf + ".self_attn", ct2 + "/self_attention")
        norm(hf + ".self_attn_layer_norm", ct2 + "/self_attention/layer_norm")
        ffn(hf, ct2 + "/ffn")
    norm("model.encoder.layer_norm", "encoder/layer_norm")

    out.append(("model.decoder.embed_tokens.weight", g("decoder/embeddings/weight")))
    out.append(("model.decoder.embed_positions.weight", g("decoder/position_encodings/encodings")))
    for i in dec:
        hf, ct2 = f"model.decoder.layers.{i}", f"decoder/layer_{i}"
        self_attn(hf + ".self_attn", ct2 + "/self_attention")
        norm(hf + ".self_attn_layer_norm", ct2 + "/self_attention/layer_norm")
        cross_attn(hf + ".encoder_attn", ct2 + "/attention")
        norm(hf + ".encoder_attn_layer_norm", ct2 + "/attention/layer_norm")
        ffn(hf, ct2 + "/ffn")
    norm("model.decoder.layer_norm", "decoder/layer_norm")
    return out, len(enc), len(dec)


def write_safetensors(path, tensors, f16):
    """Write [(name, ndarray)] as a safetensors file (F16 when f16, else F32)."""
    dtype, tag = (np.dtype("<f2"), "F16") if f16 else (np.dtype("<f4"), "F32")
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name, array in tensors:
        data = np.ascontiguousarray(np.asarray(array).astype(dtype)).tobytes()
        header[name] = {"dtype": tag, "shape": list(np.asarray(array).shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def token_ids(model_dir):
    """Token text -> id from tokenizer.json (vocab + added tokens) or vocabulary.txt."""
    p = os.path.join(model_dir, "tokenizer.json")
    if os.path.exists(p):
        tj = json.load(open(p, encoding="utf-8"))
        ids = dict(tj["model"]["vocab"])
        for t in tj.get("added_tokens", []):
            ids[t["content"]] = t["id"]
        return ids
    p = os.path.join(model_dir, "vocabulary.txt")
    with open(p, encoding="utf-8") as f:
        lines = f.read().split("\n")
    return {t: i for i, t in enumerate(lines) if t}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--f16", action="store_true", help="store float16 (default float32)")
    args = ap.parse_args()

    m = CT2Model(os.path.join(args.model_dir, "model.bin"))
    assert m.spec in ("", "WhisperSpec"), m.spec
    tensors, n_enc, n_dec = hf_tensors(m)
    emb = m.get("decoder/embeddings/weight")
    conv1 = m.get("encoder/conv1/weight")
    d = int(conv1.shape[0])

    ct2_config = {}
    p = os.path.join(args.model_dir, "config.json")
    if os.path.exists(p):
        ct2_config = json.load(open(p, encoding="utf-8"))
    tokenizer = os.path.join(args.model_dir, "tokenizer.json")
    if not os.path.exists(tokenizer):
        sys.exit(f"{args.model_dir}: tokenizer.json is needed for a Hugging Face directory")
    ids = token_ids(args.model_dir)
    names = {i: t for t, i in ids.items()}

    config = {
        "architectures": ["WhisperForConditionalGeneration"],
        "model_type": "whisper",
        "activation_function": "gelu",
        "d_model": d,
        "encoder_layers": n_enc,
        "encoder_attention_heads": int(m.get("encoder/num_heads")),
        "encoder_ffn_dim": 4 * d,
        "decoder_layers": n_dec,
        "decoder_attention_heads": int(m.get("decoder/num_heads")),
        "decoder_ffn_dim": 4 * d,
        "num_mel_bins": int(conv1.shape[1]),
        "max_source_positions": int(m.get("encoder/position_encodings/encodings").shape[0]),
        "max_target_positions": int(m.get("decoder/position_encodings/encodings").shape[0]),
        "vocab_size": int(emb.shape[0]),
        "scale_embedding": False,
        "tie_word_embeddings": True,
        "torch_dtype": "float16" if args.f16 else "float32",
    }
    for special, key in (("<|endoftext|>", "eos_token_id"), ("<|endoftext|>", "bos_token_id"),
                         ("<|endoftext|>", "pad_token_id"), ("<|startoftranscript|>", "decoder_start_token_id")):
        if special in ids:
            config[key] = ids[special]
    generation = {}
    for ct2_key, hf_key in (("suppress_ids", "suppress_tokens"), ("suppress_ids_begin", "begin_suppress_tokens"),
                            ("alignment_heads", "alignment_heads")):
        if ct2_key in ct2_config:
            config[hf_key] = ct2_config[ct2_key]
            generation[hf_key] = ct2_config[ct2_key]
    langs = {names[i]: i for i in ct2_config.get("lang_ids", []) if i in names}
    if langs:
        generation["lang_to_id"] = langs

    os.makedirs(args.out_dir, exist_ok=True)
    write_safetensors(os.path.join(args.out_dir, "model.safetensors"), tensors, args.f16)
    with open(os.path.join(args.out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(args.out_dir, "generation_config.json"), "w", encoding="utf-8") as f:
        json.dump(generation, f, indent=2)
    shutil.copyfile(tokenizer, os.path.join(args.out_dir, "tokenizer.json"))
    print(f"wrote {args.out_dir}: {len(tensors)} tensors ({'F16' if args.f16 else 'F32'}), "
          f"{n_enc}+{n_dec} layers, d={d}")


if __name__ == "__main__":
    main()
