#!/usr/bin/env python3
"""Cost of explaining relative to transcribing (docs/design.md, "Performance"), measured in one
process.

leafx's ``libLeafX.so`` (release build, or ``$LEAFX_LIBRARY``) is loaded with ctypes and the
model loaded once. For each clip (data/jfk.wav and the first ``--utterances`` dev utterances)
the script times ``leafx_transcribe`` with the decoding ``leafx_explain`` uses by default
(greedy, temperature 0, no timestamps) and then ``leafx_explain`` with each method, which
decodes the same way and explains; the ratio explain / transcribe is printed per method (sum
over the clips, minimum of ``--repeat`` runs). Targets from the LEAF-X issues: ``leafx`` (and
``leafx-paper``) ≤ 1.10×, ``leafx-causal`` (and ``leafx-paper-causal``) ≤ 3×. Asserts nothing.

Usage: ``make bench-explain`` or ``bench/bench_explain.py [--model tiny.en] [--threads 2]
[--repeat 3] [--utterances 3] [--methods ...]``.
"""
import argparse
import ctypes
import json
import os
import time
import wave

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DEV_DIR = os.path.join(ROOT, "Tests", "data", "dev")


class TranscribeParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t), ("language", ctypes.c_char_p), ("task", ctypes.c_int32),
        ("beam_size", ctypes.c_int32), ("patience", ctypes.c_float), ("best_of", ctypes.c_int32),
        ("length_penalty", ctypes.c_float), ("temperatures", ctypes.POINTER(ctypes.c_float)),
        ("n_temperatures", ctypes.c_size_t), ("compression_ratio_threshold", ctypes.c_float),
        ("log_prob_threshold", ctypes.c_float), ("no_speech_threshold", ctypes.c_float),
        ("condition_on_previous_text", ctypes.c_int32), ("without_timestamps", ctypes.c_int32),
        ("max_initial_timestamp_s", ctypes.c_float), ("suppress_blank", ctypes.c_int32),
        ("initial_prompt", ctypes.c_char_p), ("seed", ctypes.c_uint64), ("progress", ctypes.c_void_p),
        ("progress_user_data", ctypes.c_void_p), ("abort", ctypes.c_void_p), ("abort_user_data", ctypes.c_void_p),
    ]


class ExplainParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t), ("method", ctypes.c_char_p), ("text", ctypes.c_char_p),
        ("tau", ctypes.c_float), ("epsilon", ctypes.c_float), ("depth", ctypes.c_int32), ("seed", ctypes.c_uint64),
        ("transcribe", ctypes.POINTER(TranscribeParams)), ("progress", ctypes.c_void_p),
        ("progress_user_data", ctypes.c_void_p), ("abort", ctypes.c_void_p), ("abort_user_data", ctypes.c_void_p),
    ]


class ModelParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("n_threads", ctypes.c_int32), ("format", ctypes.c_int32)]


def read_wav(path):
    with wave.open(path) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


def open_model(name, threads):
    """libLeafX.so (``$LEAFX_LIBRARY`` or the release build), a status checker that exits with
    leafx's message, and the model ``name`` loaded with ``threads`` threads."""
    lib = ctypes.CDLL(os.environ.get("LEAFX_LIBRARY", os.path.join(ROOT, ".build", "release", "libLeafX.so")))
    lib.leafx_last_error.restype = ctypes.c_char_p

    def check(status):
        if status != 0:
            raise SystemExit(f"leafx: {lib.leafx_last_error().decode()}")

    mp = ModelParams()
    check(lib.leafx_model_params_init(ctypes.byref(mp), ctypes.sizeof(mp)))
    mp.n_threads = threads
    model = ctypes.c_void_p()
    check(lib.leafx_model_load(name.encode(), ctypes.byref(mp), ctypes.byref(model)))
    return lib, check, model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--utterances", type=int, default=3)
    parser.add_argument("--methods", default="raa,grad-rollout,leafx-paper,leafx-paper-causal,leafx,leafx-grad,leafx-causal")
    args = parser.parse_args()

    lib, check, model = open_model(args.model, args.threads)

    with open(os.path.join(DEV_DIR, "manifest.jsonl")) as f:
        items = [json.loads(line) for line in f if line.strip()][: args.utterances]
    clips = [read_wav(os.path.join(ROOT, "data", "jfk.wav"))]
    clips += [read_wav(os.path.join(DEV_DIR, item["audio"])) for item in items]

    tp = TranscribeParams()
    check(lib.leafx_transcribe_params_init(ctypes.byref(tp), ctypes.sizeof(tp)))
    zero = (ctypes.c_float * 1)(0.0)
    tp.beam_size, tp.temperatures, tp.n_temperatures, tp.without_timestamps = 1, zero, 1, 1

    def run(call):
        total = 0.0
        for pcm in clips:
            result = ctypes.c_void_p()
            data = pcm.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
            started = time.perf_counter()
            check(call(data, ctypes.c_size_t(pcm.size), ctypes.byref(result)))
            total += time.perf_counter() - started
            lib.leafx_result_free(result)
        return total

    def transcribe():
        return run(lambda d, n, out: lib.leafx_transcribe(model, d, n, ctypes.byref(tp), out))

    def explain(method):
        ep = ExplainParams()
        check(lib.leafx_explain_params_init(ctypes.byref(ep), ctypes.sizeof(ep)))
        ep.method = method.encode()
        ep.transcribe = ctypes.pointer(tp)
        return run(lambda d, n, out: lib.leafx_explain(model, d, n, ctypes.byref(ep), out))

    transcribe()  # warm-up
    methods = args.methods.split(",")
    best = {"transcribe": float("inf"), **{m: float("inf") for m in methods}}
    for _ in range(args.repeat):
        best["transcribe"] = min(best["transcribe"], transcribe())
        for m in methods:
            best[m] = min(best[m], explain(m))
    seconds = sum(c.size for c in clips) / 16000
    print(f"{args.model}, {len(clips)} clips ({seconds:.1f} s of audio), {args.threads} threads, min of {args.repeat}")
    print(f"| step | seconds | ratio to transcribe |\n|---|---|---|")
    print(f"| transcribe (greedy, no timestamps) | {best['transcribe']:.3f} | 1.00 |")
    for m in methods:
        print(f"| explain {m} | {best[m]:.3f} | {best[m] / best['transcribe']:.2f} |")
    lib.leafx_model_free(model)


if __name__ == "__main__":
    main()
