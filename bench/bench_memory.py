#!/usr/bin/env python3
"""Peak memory of transcribing and explaining long recordings (docs/design.md, "Reliability": long
audio streams, memory stays bounded).

For each duration (default 10, 30 and 120 minutes) and each call (``leafx_transcribe`` and
``leafx_explain``) a fresh child process loads ``libLeafX.so`` (release build, or
``$LEAFX_LIBRARY``) and the model, builds the recording in memory by joining the dev
utterances (cycled, 0.3 s of silence between them; nothing is written to disk), resets the
kernel's peak-RSS counter (``/proc/self/clear_refs``), makes the call once and reports:

- ``baseline``: RSS after the model and the recording are in memory, before the call;
- ``peak``: the peak RSS during the call (``VmHWM``);
- ``pcm``: the recording's float samples (the ABI takes a copy of them for the call);
- ``result``: what the result has to hold (token and word attributions, 4 bytes per frame,
  and the library keeps a second, C-facing copy of them);
- ``working = peak − baseline − pcm − result``: what the call needs beyond its input and
  output. Streamed decoding keeps this constant however long the recording;
- ``RSS at 25/50/75/100 %``: the RSS when the progress callback reported those fractions of
  the recording done (minus the baseline): a flat profile is bounded memory, a slope is
  memory that grows with the recording (the result's share grows by design).

Greedy decoding (beam 1) for both calls, method ``leafx`` (``--method``). Asserts nothing.

Usage: ``make bench-memory`` or ``bench/bench_memory.py [--model tiny.en] [--minutes 10,30,120]
[--calls transcribe,explain] [--threads 2]``.
"""
import argparse
import ctypes
import json
import os
import subprocess
import sys
import time
import wave

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DEV_DIR = os.path.join(ROOT, "Tests", "data", "dev")
sys.path.insert(0, os.path.dirname(__file__))
from bench_explain import ExplainParams, TranscribeParams, open_model, read_wav  # noqa: E402


def rss_mb(field):
    """A field of /proc/self/status (VmRSS, VmHWM) in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} missing from /proc/self/status")


def recording(minutes):
    """The dev utterances joined (cycled) into `minutes` of 16 kHz float PCM."""
    with open(os.path.join(DEV_DIR, "manifest.jsonl")) as f:
        items = [json.loads(line) for line in f if line.strip()]
    gap = np.zeros(4800, dtype=np.float32)
    clips = [np.concatenate([read_wav(os.path.join(DEV_DIR, item["audio"])), gap]) for item in items]
    total = int(minutes * 60 * 16000)
    out = np.empty(total, dtype=np.float32)
    filled, k = 0, 0
    while filled < total:
        clip = clips[k % len(clips)][: total - filled]
        out[filled:filled + clip.size] = clip
        filled += clip.size
        k += 1
    return out


def child(args):
    lib, check, model = open_model(args.model, args.threads)
    pcm = recording(args.child_minutes)
    data = pcm.ctypes.data_as(ctypes.POINTER(ctypes.c_float))

    tp = TranscribeParams()
    check(lib.leafx_transcribe_params_init(ctypes.byref(tp), ctypes.sizeof(tp)))
    tp.beam_size = 1
    samples = []  # (fraction, RSS MB) at each progress report

    @ctypes.CFUNCTYPE(None, ctypes.c_float, ctypes.c_char_p, ctypes.c_void_p)
    def on_progress(fraction, stage, user_data):
        samples.append((fraction, rss_mb("VmRSS")))

    tp.progress = ctypes.cast(on_progress, ctypes.c_void_p)
    baseline = rss_mb("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS
    result = ctypes.c_void_p()
    started = time.perf_counter()
    if args.child_call == "transcribe":
        check(lib.leafx_transcribe(model, data, ctypes.c_size_t(pcm.size), ctypes.byref(tp), ctypes.byref(result)))
    else:
        ep = ExplainParams()
        check(lib.leafx_explain_params_init(ctypes.byref(ep), ctypes.sizeof(ep)))
        ep.method = args.method.encode()
        ep.transcribe = ctypes.pointer(tp)
        ep.progress = ctypes.cast(on_progress, ctypes.c_void_p)
        check(lib.leafx_explain(model, data, ctypes.c_size_t(pcm.size), ctypes.byref(ep), ctypes.byref(result)))
    seconds = time.perf_counter() - started
    peak = rss_mb("VmHWM")

    n_tokens, n_words = ctypes.c_size_t(), ctypes.c_size_t()
    lib.leafx_result_n_tokens(result, ctypes.byref(n_tokens))
    lib.leafx_result_n_words(result, ctypes.byref(n_words))
    frames = 0
    if args.child_call == "explain":
        values, count, first, frame_s = ctypes.POINTER(ctypes.c_float)(), ctypes.c_size_t(), ctypes.c_size_t(), ctypes.c_double()
        for i in range(n_tokens.value):
            check(lib.leafx_result_token_attribution(result, ctypes.c_size_t(i), ctypes.byref(values), ctypes.byref(count),
                                                     ctypes.byref(first), ctypes.byref(frame_s)))
            frames += count.value
        for i in range(n_words.value):
            check(lib.leafx_result_word_attribution(result, ctypes.c_size_t(i), ctypes.byref(values), ctypes.byref(count),
                                                    ctypes.byref(first), ctypes.byref(frame_s)))
            frames += count.value
    lib.leafx_result_free(result)
    lib.leafx_model_free(model)
    print(json.dumps({
        "minutes": args.child_minutes, "call": args.child_call, "seconds": seconds, "tokens": n_tokens.value,
        "baseline_mb": baseline, "peak_mb": peak, "pcm_mb": pcm.nbytes / 2**20,
        "result_mb": 2 * frames * 4 / 2**20,
        "rss_by_progress_mb": [max((r for f, r in samples if f <= q), default=baseline) - baseline
                               for q in (0.25, 0.5, 0.75, 1.0)],
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--minutes", default="10,30,120")
    parser.add_argument("--calls", default="transcribe,explain")
    parser.add_argument("--method", default="leafx")
    parser.add_argument("--child-minutes", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--child-call", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_call:
        return child(args)

    print(f"{args.model}, {args.threads} threads, greedy decoding, explain method {args.method}; MB = 2^20 bytes")
    print("| audio | call | seconds | tokens | baseline MB | peak MB | pcm MB | result MB | working MB | RSS − baseline at 25/50/75/100 % MB |")
    print("|---|---|---|---|---|---|---|---|---|---|", flush=True)
    for minutes in [float(m) for m in args.minutes.split(",")]:
        for call in args.calls.split(","):
            out = subprocess.run(
                [sys.executable, __file__, "--model", args.model, "--threads", str(args.threads), "--method", args.method,
                 "--child-minutes", str(minutes), "--child-call", call], capture_output=True, text=True)
            if out.returncode != 0:
                print(f"| {minutes:g} min | {call} | failed: {out.stderr.strip()[-300:]} |", flush=True)
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            working = r["peak_mb"] - r["baseline_mb"] - r["pcm_mb"] - r["result_mb"]
            print(f"| {minutes:g} min | {call} | {r['seconds']:.1f} | {r['tokens']} | {r['baseline_mb']:.0f} | "
                  f"{r['peak_mb']:.0f} | {r['pcm_mb']:.0f} | {r['result_mb']:.0f} | {working:.0f} | "
                  f"{' / '.join(f'{x:.0f}' for x in r['rss_by_progress_mb'])} |", flush=True)


if __name__ == "__main__":
    main()
