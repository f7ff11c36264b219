#!/usr/bin/env python3
"""leafx against faster-whisper: transcription time as a ratio, measured in one process.

docs/design.md, "Performance": "at least as fast as faster-whisper (CTranslate2, fp32, same threads,
same model, same audio). The physical limit: encoder FLOPs at the machine's measured sgemm peak."

What is compared
----------------
* leafx: ``libLeafX.so`` of the release build (``make``), or ``$LEAFX_LIBRARY``, loaded with
  ctypes; ``leafx_model_load`` with ``n_threads`` = ``--threads`` (leafx's compute threads;
  OpenBLAS runs single-threaded inside them), then ``leafx_transcribe`` on float32 16 kHz PCM.
* faster-whisper: ``WhisperModel(dir, device="cpu", compute_type="float32",
  cpu_threads=--threads)`` on the *same* CTranslate2 model directory
  (``$LEAFX_MODELS/<name>``, default ``~/.cache/leafx/models``), then ``transcribe`` on the
  same NumPy array, with the segment generator consumed.
* Audio: data/jfk.wav and the first ``--utterances`` dev utterances of
  Tests/data/dev/manifest.jsonl, each decoded once (faster_whisper.decode_audio) and given
  as the same float32 array to both. One timing is the sum over all clips.
* Settings: language "en" for both (so the multilingual base model spends no time on language
  detection in either engine), temperature 0 only (no fallback), timestamps on (both
  defaults), beam 1 (greedy) or beam 5; every other option is the shared default of
  faster-whisper's ``transcribe()`` that leafx mirrors. Model loading is outside the timed
  region. Each configuration runs both engines back to back ``--repeat`` times (interleaved,
  after one untimed warm-up call) and the minimum is kept: the machine is shared, the minimum
  is the least disturbed run.

Encoder throughput
------------------
The C ABI has no encoder-only entry point (and the header is not changed for a benchmark), so
leafx's encoder throughput is bounded from below honestly: 30 s of speech (dev utterances
concatenated, no silence inserted, cut to exactly 480 000 samples = one window) is transcribed
greedily *without timestamps* (a single window, a short decode), and

    achieved ≥ encoder FLOPs / time(leafx_transcribe of that window)

because the timed region also holds the log-mel and the decoding of the window's tokens (their
number is printed). The encoder FLOP count of one window (multiply-add = 2 FLOPs,
n = n_audio_ctx = 1500 positions, d = n_audio_state, L = n_audio_layer, M = n_mels):

    conv1: 2·d·M·3·(2n)          conv2 (stride 2): 2·d·d·3·n
    per block: q, k, v, out projections 4·2·n·d²  +  QKᵀ and PV 2·2·n²·d  +  MLP 2·2·n·d·4d
             = 24·n·d² + 4·n²·d
    total = conv1 + conv2 + L·(24·n·d² + 4·n²·d)

(layer norms, GELU, softmax and the positional add are O(n·d) or O(n²·H) and left out). For
comparison the same count is divided by CTranslate2's own encoder time
(``WhisperModel.encode`` on the same features, encoder only). The peak is measured in this
process with the thread count of the run: ``cblas_sgemm`` of 2048×2048 float32 matrices
through the OpenBLAS that libLeafX.so links (found with ``ldd``; numpy's matmul when that
fails), best of several calls.

Load: the load average is printed before and after. Run it on a quiet machine: on oversubscribed
cores CTranslate2's OpenMP threads (busy-waiting at barriers) slow down far more than leafx's
single-threaded decoder steps, which flatters the ratio.

Usage: ``make bench-transcribe`` or ``bench/bench_transcribe.py [--models tiny.en base]
[--threads 2] [--repeat 3] [--utterances 4] [--no-word-timestamps]``. Prints ratios; asserts
nothing about time. Word timestamps: each engine is also timed with them (leafx's
``word_timestamps`` params field, faster-whisper's ``word_timestamps=True``) and the ratio to its
own plain time is printed.
"""
import argparse
import ctypes
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_RATE = 16000


# --- leafx through ctypes (the subset of include/leafx.h used here) -------------------------

class ModelParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("n_threads", ctypes.c_int32), ("format", ctypes.c_int32)]


class TranscribeParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("language", ctypes.c_char_p),
        ("task", ctypes.c_int32),
        ("beam_size", ctypes.c_int32),
        ("patience", ctypes.c_float),
        ("best_of", ctypes.c_int32),
        ("length_penalty", ctypes.c_float),
        ("temperatures", ctypes.POINTER(ctypes.c_float)),
        ("n_temperatures", ctypes.c_size_t),
        ("compression_ratio_threshold", ctypes.c_float),
        ("log_prob_threshold", ctypes.c_float),
        ("no_speech_threshold", ctypes.c_float),
        ("condition_on_previous_text", ctypes.c_int32),
        ("without_timestamps", ctypes.c_int32),
        ("max_initial_timestamp_s", ctypes.c_float),
        ("suppress_blank", ctypes.c_int32),
        ("initial_prompt", ctypes.c_char_p),
        ("seed", ctypes.c_uint64),
        ("progress", ctypes.c_void_p),
        ("progress_user_data", ctypes.c_void_p),
        ("abort", ctypes.c_void_p),
        ("abort_user_data", ctypes.c_void_p),
        ("word_timestamps", ctypes.c_int32),
    ]


class ModelDescription(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("name", ctypes.c_char_p), ("format", ctypes.c_char_p)] + [
        (f, ctypes.c_int32) for f in ("n_mels", "n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head",
                                      "n_audio_layer", "n_text_ctx", "n_text_state", "n_text_head",
                                      "n_text_layer", "is_multilingual")]


class Leafx:
    def __init__(self, path):
        self.lib = lib = ctypes.CDLL(path)
        lib.leafx_last_error.restype = ctypes.c_char_p
        lib.leafx_model_params_init.argtypes = [ctypes.POINTER(ModelParams), ctypes.c_size_t]
        lib.leafx_model_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(ModelParams), ctypes.POINTER(ctypes.c_void_p)]
        lib.leafx_model_free.argtypes = [ctypes.c_void_p]
        lib.leafx_model_info.argtypes = [ctypes.c_void_p, ctypes.POINTER(ModelDescription)]
        lib.leafx_transcribe_params_init.argtypes = [ctypes.POINTER(TranscribeParams), ctypes.c_size_t]
        lib.leafx_transcribe.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_size_t,
                                         ctypes.POINTER(TranscribeParams), ctypes.POINTER(ctypes.c_void_p)]
        lib.leafx_result_text.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p)]
        lib.leafx_result_n_tokens.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)]
        lib.leafx_result_free.argtypes = [ctypes.c_void_p]

    def check(self, status):
        if status != 0:
            raise RuntimeError(f"leafx status {status}: {self.lib.leafx_last_error().decode()}")

    def load(self, path, threads):
        params = ModelParams()
        self.check(self.lib.leafx_model_params_init(ctypes.byref(params), ctypes.sizeof(params)))
        params.n_threads = threads
        handle = ctypes.c_void_p()
        self.check(self.lib.leafx_model_load(path.encode(), ctypes.byref(params), ctypes.byref(handle)))
        return handle

    def info(self, model):
        """The model's hyper-parameters as a dict (leafx_model_info)."""
        info = ModelDescription()
        info.struct_size = ctypes.sizeof(info)
        self.check(self.lib.leafx_model_info(model, ctypes.byref(info)))
        return {name: getattr(info, name) for name, kind in info._fields_ if kind is ctypes.c_int32}

    def transcribe(self, model, pcm, beam_size, without_timestamps=False, word_timestamps=False):
        """Transcribes `pcm` (float32, 16 kHz) at temperature 0 in English; returns (text, tokens)."""
        params = TranscribeParams()
        self.check(self.lib.leafx_transcribe_params_init(ctypes.byref(params), ctypes.sizeof(params)))
        temperatures = (ctypes.c_float * 1)(0.0)
        params.language = b"en"
        params.beam_size = beam_size
        params.temperatures = temperatures
        params.n_temperatures = 1
        params.without_timestamps = int(without_timestamps)
        params.word_timestamps = int(word_timestamps)
        result = ctypes.c_void_p()
        self.check(self.lib.leafx_transcribe(model, pcm.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                             pcm.size, ctypes.byref(params), ctypes.byref(result)))
        try:
            text = ctypes.c_char_p()
            n_tokens = ctypes.c_size_t()
            self.check(self.lib.leafx_result_text(result, ctypes.byref(text)))
            self.check(self.lib.leafx_result_n_tokens(result, ctypes.byref(n_tokens)))
            return text.value.decode(), n_tokens.value
        finally:
            self.lib.leafx_result_free(result)


# --- faster-whisper ------------------------------------------------------------------------

def fw_transcribe(model, pcm, beam_size, without_timestamps=False, word_timestamps=False):
    segments, _ = model.transcribe(pcm, language="en", beam_size=beam_size, temperature=0.0,
                                   without_timestamps=without_timestamps, word_timestamps=word_timestamps)
    segments = list(segments)
    return "".join(s.text for s in segments), sum(len(s.tokens) for s in segments)


# --- the machine's sgemm peak --------------------------------------------------------------

def openblas_of(library):
    """The OpenBLAS libLeafX.so links, loaded (the same handle the library uses), or None."""
    try:
        out = subprocess.run(["ldd", library], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for line in out.splitlines():
        if "openblas" in line and "=>" in line:
            path = line.split("=>")[1].split("(")[0].strip()
            try:
                return ctypes.CDLL(path)
            except OSError:
                return None
    return None


def sgemm_peak(openblas, threads, n=2048, calls=5):
    """Best GFLOP/s of C = A·B (n×n float32) over `calls` calls; (GFLOP/s, what measured it)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.zeros((n, n), dtype=np.float32)
    flops = 2.0 * n ** 3
    best = float("inf")
    if openblas is not None:
        openblas.openblas_set_num_threads(threads)
        fp = ctypes.POINTER(ctypes.c_float)
        sgemm = openblas.cblas_sgemm
        sgemm.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                          ctypes.c_float, fp, ctypes.c_int, fp, ctypes.c_int, ctypes.c_float, fp, ctypes.c_int]
        pa, pb, pc = (m.ctypes.data_as(fp) for m in (a, b, c))
        for _ in range(calls + 1):
            start = time.perf_counter()
            sgemm(101, 111, 111, n, n, n, 1.0, pa, n, pb, n, 0.0, pc, n)  # row-major, no transposes
            best = min(best, time.perf_counter() - start)
        return flops / best / 1e9, f"OpenBLAS cblas_sgemm {n}x{n}, {threads} threads"
    for _ in range(calls + 1):
        start = time.perf_counter()
        np.matmul(a, b, out=c)
        best = min(best, time.perf_counter() - start)
    return flops / best / 1e9, f"numpy matmul {n}x{n} (numpy's own BLAS threads)"


def encoder_flops(config):
    """FLOPs of one 30 s window through the encoder (formula in the module docstring)."""
    n, d, layers, mels = config["n_audio_ctx"], config["n_audio_state"], config["n_audio_layer"], config["n_mels"]
    conv = 2 * d * mels * 3 * (2 * n) + 2 * d * d * 3 * n
    return conv + layers * (24 * n * d * d + 4 * n * n * d)


# --- main ----------------------------------------------------------------------------------

def best_time(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--utterances", type=int, default=4, help="dev utterances besides JFK")
    parser.add_argument("--beams", nargs="+", type=int, default=[1, 5])
    parser.add_argument("--no-word-timestamps", dest="word_timestamps", action="store_false",
                        help="skip the word-timestamp overhead rows")
    args = parser.parse_args()

    library = os.environ.get("LEAFX_LIBRARY") or os.path.join(ROOT, ".build", "release", "libLeafX.so")
    models_dir = os.environ.get("LEAFX_MODELS") or os.path.join(
        os.environ.get("LEAFX_CACHE") or os.path.expanduser("~/.cache/leafx"), "models")
    if not os.path.exists(library):
        sys.exit(f"bench: {library} is missing (run `make`, or set LEAFX_LIBRARY)")

    leafx = Leafx(library)  # first, so that its OpenBLAS is the one the peak is measured with
    openblas = openblas_of(library)
    from faster_whisper import WhisperModel, decode_audio

    dev_root = os.path.join(ROOT, "Tests", "data", "dev")
    paths = [os.path.join(ROOT, "data", "jfk.wav")]
    with open(os.path.join(dev_root, "manifest.jsonl")) as f:
        for line in f.readlines()[: args.utterances]:
            paths.append(os.path.join(dev_root, json.loads(line)["audio"]))
    clips = [np.ascontiguousarray(decode_audio(p, sampling_rate=SAMPLE_RATE), dtype=np.float32) for p in paths]
    total_s = sum(c.size for c in clips) / SAMPLE_RATE

    # 30 s of speech for the encoder bound: dev utterances back to back, cut to one window.
    speech, lines = [], open(os.path.join(dev_root, "manifest.jsonl")).readlines()
    for line in lines:
        if sum(s.size for s in speech) >= 30 * SAMPLE_RATE:
            break
        speech.append(decode_audio(os.path.join(dev_root, json.loads(line)["audio"]), sampling_rate=SAMPLE_RATE))
    window = np.ascontiguousarray(np.concatenate(speech)[: 30 * SAMPLE_RATE], dtype=np.float32)

    peak, peak_how = sgemm_peak(openblas, args.threads)
    print(f"audio: {len(clips)} clips, {total_s:.1f} s (jfk.wav + {len(clips) - 1} dev utterances); "
          f"threads {args.threads}; min of {args.repeat}")
    print(f"library: {library}")
    print(f"sgemm peak: {peak:.1f} GFLOP/s ({peak_how})")
    print("load average at start: %.1f %.1f %.1f (on %d CPUs)\n" % (*os.getloadavg(), os.cpu_count()))

    rows, encoder_rows, word_rows = [], [], []
    for name in args.models:
        path = os.path.join(models_dir, name)
        model = leafx.load(path, args.threads)
        fw = WhisperModel(path, device="cpu", compute_type="float32", cpu_threads=args.threads)
        try:
            for beam in args.beams:
                label = f"{name} {'greedy' if beam == 1 else f'beam {beam}'}"
                same = True
                for clip in clips:  # warm-up, and the texts side by side
                    a, _ = fw_transcribe(fw, clip, beam)
                    b, _ = leafx.transcribe(model, clip, beam)
                    same &= a.strip() == b.strip()
                t_fw, t_lx = float("inf"), float("inf")
                for _ in range(args.repeat):
                    t_fw = min(t_fw, best_time(lambda: [fw_transcribe(fw, c, beam) for c in clips], 1))
                    t_lx = min(t_lx, best_time(lambda: [leafx.transcribe(model, c, beam) for c in clips], 1))
                rows.append((label, t_fw, t_lx, same))
                print(f"  {label:<16} faster-whisper {t_fw:7.3f} s   leafx {t_lx:7.3f} s   ratio {t_lx / t_fw:5.2f}"
                      f"{'' if same else '   (texts differ)'}", flush=True)
                if args.word_timestamps:
                    # Word timestamps: each engine against itself without them, interleaved.
                    w_fw, w_lx = float("inf"), float("inf")
                    for _ in range(args.repeat):
                        w_fw = min(w_fw, best_time(lambda: [fw_transcribe(fw, c, beam, word_timestamps=True)
                                                            for c in clips], 1))
                        w_lx = min(w_lx, best_time(lambda: [leafx.transcribe(model, c, beam, word_timestamps=True)
                                                            for c in clips], 1))
                    word_rows.append((label, t_fw, w_fw, t_lx, w_lx))
                    print(f"  {label:<16} with word timestamps: faster-whisper {w_fw / t_fw:5.2f}x, "
                          f"leafx {w_lx / t_lx:5.2f}x its plain time", flush=True)

            # Encoder bound on one window of speech.
            flops = encoder_flops(leafx.info(model))
            _, n_tokens = leafx.transcribe(model, window, 1, without_timestamps=True)
            t_window = best_time(lambda: leafx.transcribe(model, window, 1, without_timestamps=True), args.repeat)
            features = fw.feature_extractor(window)[:, :3000]
            fw.encode(features)
            t_ct2 = best_time(lambda: fw.encode(features), args.repeat)
            encoder_rows.append((name, flops, t_window, n_tokens, t_ct2))
        finally:
            del fw
            leafx.lib.leafx_model_free(model)

    print("\n| configuration | faster-whisper s | leafx s | leafx / faster-whisper |")
    print("|---|---:|---:|---:|")
    for label, t_fw, t_lx, same in rows:
        print(f"| {label}{'' if same else ' (texts differ)'} | {t_fw:.3f} | {t_lx:.3f} | {t_lx / t_fw:.2f} |")

    if word_rows:
        print("\nword timestamps (leafx: --word-timestamps, its target is <= 1.15x plain transcribe; "
              "faster-whisper: word_timestamps=True):")
        print("| configuration | faster-whisper s | with words s | ratio | leafx s | with words s | ratio |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for label, t_fw, w_fw, t_lx, w_lx in word_rows:
            print(f"| {label} | {t_fw:.3f} | {w_fw:.3f} | {w_fw / t_fw:.2f} | {t_lx:.3f} | {w_lx:.3f} | "
                  f"{w_lx / t_lx:.2f} |")

    print(f"\nencoder, one 30 s window (sgemm peak {peak:.1f} GFLOP/s):")
    print("| model | GFLOP | time at peak s | leafx transcribe s (tokens) | leafx ≥ GFLOP/s (% peak) "
          "| CT2 encoder-only s | CT2 GFLOP/s (% peak) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, flops, t_window, n_tokens, t_ct2 in encoder_rows:
        g = flops / 1e9
        print(f"| {name} | {g:.1f} | {g / peak:.3f} | {t_window:.3f} ({n_tokens}) | {g / t_window:.1f} "
              f"({100 * g / t_window / peak:.0f} %) | {t_ct2:.3f} | {g / t_ct2:.1f} ({100 * g / t_ct2 / peak:.0f} %) |")
    print("load average at end: %.1f %.1f %.1f" % os.getloadavg())
    print("\nleafx's figure is a lower bound: its time also holds the log-mel and the decoding of the "
          "window's tokens (see the docstring).")


if __name__ == "__main__":
    main()
