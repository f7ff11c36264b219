"""The inputs of the bad-input suite (test_bad_inputs.py): corrupt models in all three formats,
hostile audio files and explain requests, written into a directory with a manifest that
Tests/c/test_bad_inputs.c runs through the C ABI.

Each case is (kind, name, args, expect) where expect is
  "ok"            the call succeeds (and a model that loads also transcribes and explains)
  "error:STATUS"  it fails with that leafx_status text and a message naming the input
  "any"           success or a clean error (corruption a reader cannot always notice, such as a
                  flipped byte inside weight data)

The models are an engine-capable synthetic Whisper (width 8, 2 heads, 1+1 layers, 80 mels,
1500 audio positions, 64 text positions, tiny.en's vocabulary): about 1 MB per format, so 20
truncations of each stay fast, and a corrupt model that still loads is run end to end.
"""
import importlib.util
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import wave

import numpy as np

SOURCE_DIR = os.environ.get(
    "LEAFX_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

# 64 decoder positions (Whisper has 448) keep each decode of a corrupt model to 32 tokens.
ENGINE_DIMS = dict(width=8, heads=2, mels=80, audio_ctx=1500, text_ctx=64, vocab=51864)


def _seeds_module():
    spec = importlib.util.spec_from_file_location("make_seeds", os.path.join(SOURCE_DIR, "Fuzz", "make_seeds.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The converters (ct2_to_ggml.py, ct2_to_safetensors.py and their ct2_reader.py).
CONVERTERS_DIR = os.path.join(SOURCE_DIR, "Tests", "reference")


def cut_points(size, count=20):
    """`count` distinct truncation lengths in [0, size): the first header bytes, then evenly
    spread (as FormatsTestSupport.cutPoints)."""
    points = {0, 1, 3, 4, 7, 8, 12}
    step = max(1, size // (count - len(points) + 1))
    k = 1
    while len(points) < count and k * step < size:
        points.add(k * step)
        k += 1
    points.add(size - 1)
    return sorted(p for p in points if p < size)[:count]


def link_side_files(source, target, skip):
    """A model directory `target` that shares `source`'s side files (symlinks) except `skip`."""
    os.makedirs(target, exist_ok=True)
    for name in os.listdir(source):
        if name != skip and not os.path.exists(os.path.join(target, name)):
            os.symlink(os.path.join(source, name), os.path.join(target, name))


class ModelCases:
    """Corrupt variants of one model file. `write(name, bytes)` returns the path to load."""

    def __init__(self, root, fmt, directory, main_file):
        self.root, self.fmt, self.directory, self.main_file = root, fmt, directory, main_file
        self.cases = []

    def write(self, name, data, expect):
        case = f"{self.fmt}/{name}"
        if self.fmt == "ggml":
            path = os.path.join(self.root, "ggml", f"{name}.bin")
        else:
            directory = os.path.join(self.root, self.fmt, name)
            link_side_files(self.directory, directory, skip=self.main_file)
            path = os.path.join(directory, self.main_file)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        load = path if self.fmt == "ggml" else os.path.dirname(path)
        self.cases.append(("model", case, [load], expect))

    def common(self, data):
        """Valid, 20 truncations, 20 flipped-byte variants."""
        self.write("valid", data, "ok")
        for cut in cut_points(len(data)):
            self.write(f"truncated-{cut}", data[:cut], "error:invalid file format")
        rng = np.random.default_rng(20)
        for k in range(20):
            flipped = bytearray(data)
            # Half the flips land in the first 4 KB, where the structure is.
            for _ in range(4):
                flipped[int(rng.integers(0, min(4096, len(data))))] ^= int(rng.integers(1, 256))
            for _ in range(4):
                flipped[int(rng.integers(0, len(data)))] ^= int(rng.integers(1, 256))
            self.write(f"flipped-{k}", bytes(flipped), "any")


def ct2_cases(root, base, seeds):
    """CTranslate2: records rebuilt with lying fields."""
    cases = ModelCases(root, "ct2", base, "model.bin")
    with open(os.path.join(base, "model.bin"), "rb") as f:
        cases.common(f.read())
    fmt_error = "error:invalid file format"

    def records():
        return seeds.ct2_records(np.random.default_rng(5), ENGINE_DIMS)

    def index(rs, name):
        return next(i for i, r in enumerate(rs) if r[0] == name)

    rs = records()
    rs[index(rs, "encoder/conv1/weight")][1][0] += 1
    cases.write("shape-lies", seeds.ct2_bytes(rs), fmt_error)
    rs = records()
    rs[index(rs, "decoder/layer_norm/gamma")][1] = [4, 2]  # same element count, wrong rank
    cases.write("shape-wrong-rank", seeds.ct2_bytes(rs), fmt_error)
    rs = records()
    rs[index(rs, "decoder/embeddings/weight")][1] = [51865, 8]
    rs[index(rs, "decoder/embeddings/weight")][3] += bytes(16)  # consistent, but not the vocabulary's size
    cases.write("vocab-size-lies", seeds.ct2_bytes(rs), "any")
    cases.write("size-lies", seeds.ct2_bytes(records(), {"encoder/conv2/bias": 1 << 20}), fmt_error)
    cases.write("size-huge", seeds.ct2_bytes(records(), {"decoder/layer_0/ffn/linear_0/weight": 0xFFFFFFFF}), fmt_error)
    rs = records()
    rs[index(rs, "encoder/conv1/bias")][2] = 9
    cases.write("dtype-unknown", seeds.ct2_bytes(rs), fmt_error)
    rs = records()
    rs[index(rs, "encoder/conv1/bias")][2] = 3  # int32 with an f16 payload: sizes disagree
    cases.write("dtype-wrong", seeds.ct2_bytes(rs), fmt_error)
    rs = records()
    r = rs[index(rs, "encoder/conv1/bias")]
    r[2], r[3] = 3, bytes(4 * len(r[3]) // 2)  # int32 weights of the right size
    cases.write("dtype-int-weights", seeds.ct2_bytes(rs), "any")
    for label, bits in (("nan", 0x7E00), ("inf", 0x7C00), ("neg-inf", 0xFC00)):
        rs = records()
        r = rs[index(rs, "encoder/layer_0/ffn/linear_0/weight")]
        r[3] = r[3][:6] + struct.pack("<H", bits) + r[3][8:]
        cases.write(f"{label}-weight", seeds.ct2_bytes(rs), fmt_error)
    # Consistent files with unusual hyper-parameters, which load: the engine must stop at the
    # model's own decoder context (a 32-position context used to trap in the decoder), and
    # refuse what it cannot run with a message.
    for name, change, expect in (("text-ctx-32", {"text_ctx": 32}, "ok"), ("text-ctx-4", {"text_ctx": 4}, "any"),
                                 ("text-ctx-1", {"text_ctx": 1}, "any"), ("audio-ctx-100", {"audio_ctx": 100}, "any"),
                                 ("mels-2", {"mels": 2}, "any")):
        rs = seeds.ct2_records(np.random.default_rng(5), dict(ENGINE_DIMS, **change))
        cases.write(name, seeds.ct2_bytes(rs), expect)
    data = bytearray(seeds.ct2_bytes(records()))
    data[0:4] = struct.pack("<I", 99)
    cases.write("version-unknown", bytes(data), fmt_error)
    return cases.cases


def safetensors_cases(root, base):
    """Hugging Face: header JSON edited."""
    cases = ModelCases(root, "safetensors", base, "model.safetensors")
    with open(os.path.join(base, "model.safetensors"), "rb") as f:
        data = f.read()
    cases.common(data)
    fmt_error = "error:invalid file format"
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]

    def build(h, payload=body, length=None):
        text = json.dumps(h).encode()
        text += b" " * (-len(text) % 8)
        return struct.pack("<Q", len(text) if length is None else length) + text + payload

    def edited(fn):
        h = json.loads(json.dumps(header))
        fn(h)
        return h

    name = "model.encoder.conv1.weight"
    cases.write("shape-lies", build(edited(lambda h: h[name]["shape"].__setitem__(0, 9))), fmt_error)
    cases.write("offset-past-end", build(edited(lambda h: h[name]["data_offsets"].__setitem__(1, len(body) + 64))), fmt_error)
    cases.write("offset-reversed", build(edited(lambda h: h[name].__setitem__("data_offsets", h[name]["data_offsets"][::-1]))), fmt_error)
    other = "model.encoder.conv1.bias"
    cases.write("offset-overlap", build(edited(lambda h: h[other].__setitem__(
        "data_offsets", [h[name]["data_offsets"][0], h[name]["data_offsets"][0] + 4 * 8]))), "any")
    cases.write("header-length-huge", build(header, length=1 << 62), fmt_error)
    cases.write("header-length-zero", build(header, length=0), fmt_error)
    cases.write("header-not-json", struct.pack("<Q", 16) + b"{not json at all" + body, fmt_error)
    cases.write("dtype-f64", build(edited(lambda h: h[name].__setitem__("dtype", "F64"))), "any")
    cases.write("dtype-unknown", build(edited(lambda h: h[name].__setitem__("dtype", "Q7"))), "any")
    cases.write("dtype-i32", build(edited(lambda h: h[name].__setitem__("dtype", "I32"))), "any")
    for label, value in (("nan", math.nan), ("inf", math.inf), ("neg-inf", -math.inf)):
        begin = header[name]["data_offsets"][0]
        poisoned = body[:begin + 8] + struct.pack("<f", value) + body[begin + 12:]
        cases.write(f"{label}-weight", build(header, poisoned), fmt_error)
    return cases.cases


def ggml_cases(root, path):
    """whisper.cpp ggml: header, mel filters, token table and tensor records patched in place."""
    cases = ModelCases(root, "ggml", None, None)
    with open(path, "rb") as f:
        data = f.read()
    cases.common(data)
    fmt_error = "error:invalid file format"

    def patched(offset, fmt, value):
        out = bytearray(data)
        struct.pack_into(fmt, out, offset, value)
        return bytes(out)

    # Header: magic, 11 hyper-parameters; then mel filters, tokens, tensor records.
    n_mel, n_fft = struct.unpack_from("<ii", data, 48)
    tokens_at = 56 + 4 * n_mel * n_fft
    (n_tokens,) = struct.unpack_from("<i", data, tokens_at)
    offset = tokens_at + 4
    first_token = offset
    for _ in range(n_tokens):
        (length,) = struct.unpack_from("<i", data, offset)
        offset += 4 + length
    records = []
    while offset < len(data):
        n_dims, name_len, ttype = struct.unpack_from("<iii", data, offset)
        ne = struct.unpack_from(f"<{n_dims}i", data, offset + 12)
        name = data[offset + 12 + 4 * n_dims:offset + 12 + 4 * n_dims + name_len].decode()
        data_at = offset + 12 + 4 * n_dims + name_len
        size = int(np.prod(ne)) * (4 if ttype == 0 else 2)
        records.append((offset, n_dims, ttype, name, data_at))
        offset = data_at + size
    rec, f32 = records[0], next(r for r in records if r[2] == 0 and r[1] >= 1)
    cases.write("vocab-negative", patched(4, "<i", -5), fmt_error)
    cases.write("state-zero", patched(12, "<i", 0), fmt_error)
    cases.write("heads-not-dividing", patched(16, "<i", 3), fmt_error)
    cases.write("mel-fft-huge", patched(52, "<i", 1 << 30), fmt_error)
    cases.write("token-length-huge", patched(first_token, "<i", 1 << 30), fmt_error)
    cases.write("token-length-negative", patched(first_token, "<i", -1), fmt_error)
    cases.write("shape-lies", patched(rec[0] + 12, "<i", 1 << 20), fmt_error)
    cases.write("shape-negative", patched(rec[0] + 12, "<i", -8), fmt_error)
    cases.write("dims-too-many", patched(rec[0], "<i", 9), fmt_error)
    cases.write("name-length-huge", patched(rec[0] + 4, "<i", 1 << 30), fmt_error)
    cases.write("dtype-unknown", patched(rec[0] + 8, "<i", 99), fmt_error)
    cases.write("dtype-wrong", patched(rec[0] + 8, "<i", 0 if rec[2] != 0 else 1), fmt_error)
    for label, value in (("nan", math.nan), ("inf", math.inf), ("neg-inf", -math.inf)):
        cases.write(f"{label}-weight", patched(f32[4] + 4, "<f", value), fmt_error)
    return cases.cases


def write_synthetic_model(directory):
    """The synthetic CTranslate2 model (ENGINE_DIMS: tiny.en's shapes at width 8) with tiny.en's
    vocabulary, in `directory`; returns it. Its transcripts are noise, but it runs every line
    of the engine at a fraction of tiny.en's cost (for the sanitizer and valgrind runs)."""
    seeds = _seeds_module()
    vocabulary_source = os.path.join(os.environ.get("LEAFX_MODELS", os.path.expanduser("~/.cache/leafx/models")), "tiny.en")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "model.bin"), "wb") as f:
        f.write(seeds.ct2_bytes(seeds.ct2_records(np.random.default_rng(5), ENGINE_DIMS)))
    for name in ("config.json", "vocabulary.txt", "tokenizer.json"):
        shutil.copy(os.path.join(vocabulary_source, name), os.path.join(directory, name))
    return directory


def build_models(root):
    """The synthetic model in all three formats, and every corrupt variant. Returns (cases,
    path of the valid CTranslate2 directory)."""
    seeds = _seeds_module()
    base = write_synthetic_model(os.path.join(root, "base-ct2"))
    ggml = os.path.join(root, "base.ggml.bin")
    subprocess.run([sys.executable, os.path.join(CONVERTERS_DIR, "ct2_to_ggml.py"), base, ggml], check=True,
                   stdout=subprocess.DEVNULL)
    hf = os.path.join(root, "base-hf")
    subprocess.run([sys.executable, os.path.join(CONVERTERS_DIR, "ct2_to_safetensors.py"),
                    base, hf, "--f16"], check=True, stdout=subprocess.DEVNULL)
    # The readers must not depend on the side file the CTranslate2 reader would prefer.
    os.remove(os.path.join(base, "tokenizer.json"))
    cases = ct2_cases(root, base, seeds) + safetensors_cases(root, hf) + ggml_cases(root, ggml)
    return cases, base


# ---------------------------------------------------------------- audio


def resample(x, rate):
    """Band-limited resampling of 16 kHz `x` to `rate` by zero-padding or cropping its spectrum."""
    n = int(round(len(x) * rate / 16000))
    spectrum = np.fft.rfft(x)
    out = np.zeros(n // 2 + 1, dtype=complex)
    k = min(len(out), len(spectrum))
    out[:k] = spectrum[:k]
    return np.fft.irfft(out, n) * (n / len(x))


def write_pcm16(path, x, rate, channels=1):
    frames = np.clip(np.round(np.asarray(x) * 32767), -32768, 32767).astype("<i2")
    if channels > 1:
        frames = np.repeat(frames[:, None], channels, axis=1)
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames.tobytes())


def write_float_wav(path, x, rate):
    payload = np.asarray(x, dtype="<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(payload)) + payload
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def audio_cases(root, speech):
    """Hostile audio files; `speech` is a 16 kHz float clip of clear speech (the JFK excerpt).
    Resampled and multi-channel copies must transcribe like the 16 kHz original."""
    d = os.path.join(root, "audio")
    os.makedirs(d, exist_ok=True)
    cases = []

    def add(name, expect, writer=None):
        path = os.path.join(d, name)
        if writer:
            writer(path)
        cases.append(("audio", f"audio/{name}", [path], expect))

    fmt_error = "error:invalid file format"
    add("missing.wav", "error:input/output error")
    os.makedirs(os.path.join(d, "directory.wav"), exist_ok=True)
    add("directory.wav", "error:input/output error")
    add("empty.wav", fmt_error, lambda p: open(p, "wb").close())
    add("zero-samples.wav", fmt_error, lambda p: write_pcm16(p, [], 16000))
    add("text.wav", fmt_error, lambda p: open(p, "w").write("RIFF? no: this is a text file named .wav\n" * 20))
    add("header-only.wav", "any", lambda p: open(p, "wb").write(_wav_bytes(speech[:100])[:30]))
    add("speech-16k.wav", "ok", lambda p: write_pcm16(p, speech, 16000))
    for rate in (8000, 44100, 48000):
        add(f"speech-{rate}.wav", "ok", lambda p, r=rate: write_pcm16(p, resample(speech, r), r))
    add("speech-6ch.wav", "ok", lambda p: write_pcm16(p, speech, 16000, channels=6))
    add("nan.wav", fmt_error, lambda p: write_float_wav(p, np.concatenate([speech[:8000], [math.nan], speech[8000:16000]]), 16000))
    add("inf.wav", fmt_error, lambda p: write_float_wav(p, np.concatenate([speech[:8000], [math.inf], speech[8000:16000]]), 16000))
    add("silence.wav", "ok", lambda p: write_pcm16(p, np.zeros(3 * 16000), 16000))
    add("clipped.wav", "ok", lambda p: write_pcm16(p, np.clip(speech * 8, -1, 1), 16000))
    add("float-over-range.wav", "ok", lambda p: write_float_wav(p, speech * 4, 16000))
    for spec in ("nan", "inf", "-inf"):
        cases.append(("pcm", f"pcm/{spec}", [spec], "error:invalid argument"))
    # Finite but absurd, and nothing at all: a transcript (possibly empty) with valid
    # attributions, or a clean refusal.
    for spec in ("huge", "empty"):
        cases.append(("pcm", f"pcm/{spec}", [spec], "any"))
    return cases


def _wav_bytes(x):
    import io
    buffer = io.BytesIO()
    frames = np.clip(np.round(np.asarray(x) * 32767), -32768, 32767).astype("<i2")
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(frames.tobytes())
    return buffer.getvalue()


def explain_cases():
    """Explain requests: (name, method, tau, text, expect). TEXT "-" is NULL, "@N" N tokens,
    '' the empty string (an empty TSV field would vanish)."""
    bad = "error:invalid argument"
    rows = [
        ("explain/forced-control", "leafx", "1", " yes", "ok"),
        ("explain/decoded-control", "leafx", "1", "-", "ok"),
        ("explain/empty-transcript", "leafx", "1", "''", bad),
        ("explain/1000-tokens", "leafx", "1", "@1000", bad),
        ("explain/20-tokens", "leafx", "1", "@20", "ok"),
        ("explain/unknown-method", "no-such-method", "1", " yes", bad),
        ("explain/empty-method", "''", "1", " yes", bad),
        ("explain/tau-0", "leafx", "0", " yes", bad),
        ("explain/tau-negative", "leafx", "-1", " yes", bad),
        ("explain/tau-nan", "leafx", "nan", " yes", bad),
        ("explain/tau-tiny", "leafx", "1e-30", " yes", "ok"),
        ("explain/tau-huge", "leafx", "1e30", " yes", "ok"),
        ("explain/tau-tiny-paper", "leafx-paper", "1e-30", " yes", "ok"),
    ]
    return [("explain", name, [method, tau, text], expect) for name, method, tau, text, expect in rows]


def write_manifest(path, model, cases):
    """The driver's manifest: `use MODEL`, then one line per case."""
    with open(path, "w") as f:
        f.write(f"use\tmodel\t{model}\n")
        for kind, name, args, _ in cases:
            f.write("\t".join([kind, name, *args]) + "\n")
