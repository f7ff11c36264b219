"""leafx.Model: a loaded Whisper model that transcribes and explains."""
import ctypes
import math
import os
import weakref

import numpy as np

from . import _abi
from ._library import check, library
from .audio import pcm_16k
from .errors import InvalidArgumentError, UnsupportedOptionError
from .result import Explanation, Result

_FORMATS = {"auto": 0, "ctranslate2": 1, "ggml": 2, "safetensors": 3}

# transcribe() keywords written straight into leafx_transcribe_params (same names, same
# meaning as faster-whisper's WhisperModel.transcribe).
_NUMBER_OPTIONS = ("beam_size", "patience", "best_of", "length_penalty", "max_initial_timestamp_s", "seed")
_BOOL_OPTIONS = ("condition_on_previous_text", "without_timestamps", "suppress_blank")
# transcribe() only: explain() has the words' boundaries anyway (Word.boundary_start/_end).
_TRANSCRIBE_ONLY_BOOLS = ("word_timestamps",)
# None disables the check (NAN in C), as in faster-whisper.
_THRESHOLDS = ("compression_ratio_threshold", "log_prob_threshold", "no_speech_threshold")
# explain()'s decoding keywords: every transcribe() keyword but seed, which in explain() seeds
# the method (as `leafx explain --seed`); the decoding samples with seed 0, as on the command line.
_DECODING_KEYWORDS = frozenset(("language", "task", "initial_prompt", "temperature", *_THRESHOLDS, *_BOOL_OPTIONS,
                                *_NUMBER_OPTIONS)) - {"seed"}
# faster-whisper keywords leafx does not have yet, and what to use instead. Their "off" values
# (False, None) are accepted: leafx behaves so already.
_NOT_SUPPORTED_YET = {
    "vad_filter": "leafx skips windows Whisper finds silent (no_speech_threshold, as faster-whisper without "
                  "VAD); to drop long silences first, cut the audio with a voice activity detector and "
                  "transcribe the pieces",
}
_NOT_SUPPORTED_YET["vad_parameters"] = _NOT_SUPPORTED_YET["vad_filter"]


def _refuse_unsupported(options, caller):
    """Raises UnsupportedOptionError for a faster-whisper keyword leafx does not support yet
    set to anything but off (False, None); removes the "off" ones from `options`."""
    for name, instead in _NOT_SUPPORTED_YET.items():
        if name in options:
            if options[name] not in (False, None):
                raise UnsupportedOptionError(f"{caller}: {name} is not supported yet: {instead}")
            del options[name]


def _utf8(value, name):
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a str, not {type(value).__name__}")
    return value.encode("utf-8")


# Fields of leafx_explain_params settable through explain(**method_params): the plain
# numbers, not the pointers and callbacks the keywords above manage.
_METHOD_PARAMS = {name for name, ctype in _abi.ExplainParams._fields_
                  if name not in ("struct_size", "tau", "epsilon", "depth", "seed", "verify")
                  and getattr(ctype, "_type_", None) in tuple("bBhHiIlLqQfd?")}


def depth_value(depth):
    """The leafx_depth of "default", "full", "last-half", "last-third", "middle-half" or "1" (also the int 1)."""
    if str(depth) not in _abi.DEPTHS:
        raise InvalidArgumentError(f"depth {depth!r}: one of {', '.join(_abi.DEPTHS)}")
    return _abi.DEPTHS[str(depth)]


class _Callbacks:
    """The progress and abort callbacks of one call. A Python exception raised in the
    caller's progress function (or a KeyboardInterrupt delivered while leafx calls back)
    cancels the call through the abort callback and is re-raised once leafx returns."""

    def __init__(self, progress):
        self.user_progress = progress
        self.error = None
        self.progress = _abi.ProgressCallback(self._on_progress) if progress else _abi.ProgressCallback()
        self.abort = _abi.AbortCallback(self._on_abort)

    def _on_progress(self, fraction, stage, _user_data):
        if self.error is None:
            try:
                self.user_progress(fraction, stage.decode() if stage else "")
            except BaseException as error:  # re-raised once leafx returns
                self.error = error

    def _on_abort(self, _user_data):
        try:
            return 1 if self.error is not None else 0
        except BaseException as error:  # a KeyboardInterrupt delivered here
            self.error = error
            return 1

    def install(self, params):
        params.progress = self.progress
        params.abort = self.abort

    def check(self, status, out):
        """Raises the callback's exception, or leafx's error; frees a result the call made
        anyway (it finished before it polled the abort callback)."""
        if self.error is not None:
            if status == _abi.OK:
                library().leafx_result_free(out)
            raise self.error
        check(status)


class Model:
    """A Whisper model loaded by libleafx.

    path_or_name: a CTranslate2 or Hugging Face model directory, a whisper.cpp ggml file,
    or a name ("tiny.en", "base") looked up in the model cache $LEAFX_MODELS (default
    ~/.cache/leafx/models), as the leafx command line does.
    threads: compute threads (0: OpenBLAS's configured count; process-wide, see leafx.h).
    format: "auto", "ctranslate2", "ggml" or "safetensors".

    One model may be used by many threads at once (calls release the GIL). close() frees it
    early; it is also freed when garbage-collected.
    """

    def __init__(self, path_or_name="tiny.en", *, threads=0, format="auto"):
        lib = library()
        if format not in _FORMATS:
            raise InvalidArgumentError(f"format {format!r}: one of {', '.join(_FORMATS)}")
        params = _abi.ModelParams()
        check(lib.leafx_model_params_init(ctypes.byref(params), ctypes.sizeof(params)))
        params.n_threads = threads
        params.format = _FORMATS[format]
        handle = ctypes.c_void_p()
        check(lib.leafx_model_load(os.fsencode(path_or_name), ctypes.byref(params), ctypes.byref(handle)))
        self._lib = lib
        self._handle = handle
        self._finalizer = weakref.finalize(self, lib.leafx_model_free, handle)
        self.path = os.fspath(path_or_name)
        info = _abi.ModelDescription(struct_size=ctypes.sizeof(_abi.ModelDescription))
        check(lib.leafx_model_info(handle, ctypes.byref(info)))
        self.info = {name: getattr(info, name) for name, _ in _abi.ModelDescription._fields_[1:]}
        self.info["name"] = info.name.decode("utf-8", "replace")
        self.info["format"] = info.format.decode()
        self.info["is_multilingual"] = bool(info.is_multilingual)
        self.name = self.info["name"]

    def _live_handle(self):
        if not self._finalizer.alive:
            raise ValueError("the model is closed")
        return self._handle

    def close(self):
        """Frees the model; results already returned stay usable."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<leafx.Model {self.name} ({self.info['format']}) from {self.path!r}>"

    def _transcribe_params(self, options):
        params = _abi.TranscribeParams()
        check(self._lib.leafx_transcribe_params_init(ctypes.byref(params), ctypes.sizeof(params)))
        options = dict(options)
        _refuse_unsupported(options, "transcribe()")
        if "language" in options:
            params.language = _utf8(options.pop("language"), "language")
        if "task" in options:
            task = options.pop("task")
            if task not in _abi.TASKS:
                raise InvalidArgumentError(f"task {task!r}: one of {', '.join(_abi.TASKS)}")
            params.task = _abi.TASKS[task]
        if "initial_prompt" in options:
            params.initial_prompt = _utf8(options.pop("initial_prompt"), "initial_prompt")
        if "temperature" in options:
            temperature = options.pop("temperature")
            values = [temperature] if isinstance(temperature, (int, float)) else list(temperature)
            array = (ctypes.c_float * len(values))(*values)
            params.temperatures = ctypes.cast(array, ctypes.POINTER(ctypes.c_float))
            params.n_temperatures = len(values)
            params._temperatures = array  # kept alive with the struct
        for name in _THRESHOLDS:
            if name in options:
                value = options.pop(name)
                setattr(params, name, math.nan if value is None else value)
        for name in _BOOL_OPTIONS + _TRANSCRIBE_ONLY_BOOLS:
            if name in options:
                setattr(params, name, 1 if options.pop(name) else 0)
        for name in _NUMBER_OPTIONS:
            if name in options:
                setattr(params, name, options.pop(name))
        if options:
            raise TypeError(f"unknown transcription option(s): {', '.join(sorted(options))}")
        return params

    def transcribe(self, audio, *, progress=None, **options):
        """Transcribes `audio` (a file path, or float32 samples at 16 kHz mono) with Whisper's
        long-form algorithm. Options, with faster-whisper's names and defaults: language
        (None: detect), task ("transcribe" | "translate"), beam_size (5), patience (1),
        best_of (5), length_penalty (1), temperature (0, 0.2, ..., 1.0: a float or a
        sequence), compression_ratio_threshold (2.4), log_prob_threshold (-1),
        no_speech_threshold (0.6; None disables each check), condition_on_previous_text
        (True), without_timestamps (False), max_initial_timestamp_s (1), suppress_blank
        (True), initial_prompt (None), seed (0), word_timestamps (False: with True each
        segment's `words` lists leafx.TimedWord(start, end, word, probability), segmented
        from the default leafx attributions at the cost of one teacher-forced pass per window).
        faster-whisper's vad_filter is not supported yet: set (to anything but False/None), it
        raises leafx.UnsupportedOptionError (a TypeError) saying what to use instead; other
        unknown keywords raise TypeError.
        progress: optional callable(fraction, stage); an exception it raises cancels the call
        and propagates. Returns a leafx.Result.
        """
        params = self._transcribe_params(options)
        pcm = pcm_16k(audio, "transcribe")
        callbacks = _Callbacks(progress)
        callbacks.install(params)
        out = ctypes.c_void_p()
        status = self._lib.leafx_transcribe(self._live_handle(), pcm.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                            pcm.size, ctypes.byref(params), ctypes.byref(out))
        callbacks.check(status, out)
        return Result(out, pcm.size, audio_path=_path_of(audio))

    def explain(self, audio, method="leafx", text=None, *, tau=1.0, epsilon=1e-8, depth="default", seed=0,
                verify=False, progress=None, **options):
        """Transcribes `audio` (a file path, or float32 samples at 16 kHz mono) as
        transcribe() does, or takes `text` (forced mode, audio <= 30 s), and attributes
        every token and word to the audio's 20 ms frames with `method` ("leafx",
        "leafx-grad", "leafx-causal", "leafx-paper", "leafx-paper-grad",
        "leafx-paper-causal", "raa", "raa-mean", "rollout", "grad-rollout", "random", ...).
        tau: entropy temperature (> 0). depth: "default" (the method's own), "full", "last-half",
        "last-third", "middle-half" or "1".
        seed: of the "random" method and of lime's and kernelshap's masks. verify: check each
        word by silencing the span its attribution points at (Word.silence_check, flag
        "unconfirmed"; one masked pass per word, as `leafx explain --verify`).
        Decoding: the keywords of transcribe(), with the same names, defaults (faster-whisper's:
        beam_size 5, temperature fallback, timestamps) and meaning, so that the transcript
        explained is the one transcribe() writes: language, task, beam_size, patience, best_of,
        length_penalty, temperature (0 alone: no fallback), compression_ratio_threshold,
        log_prob_threshold, no_speech_threshold, condition_on_previous_text,
        without_timestamps, max_initial_timestamp_s, suppress_blank, initial_prompt; all but
        seed, which seeds the method here (the decoding samples with seed 0). beam_size=1,
        without_timestamps=True decodes greedily, as `leafx bench` and leafx_explain's own
        default do. Forced mode uses only language and task. The defaults are those of
        `leafx explain`.
        Other keywords: numeric fields of leafx_explain_params by their C name (the
        parameters of methods added after 0.1.0, once leafx/_abi.py mirrors them).
        Returns a leafx.Explanation with `attributions` [n_tokens, n_frames] and
        `word_attributions` [n_words, n_frames].
        """
        method_params = dict(options)
        _refuse_unsupported(method_params, "explain()")
        if method_params.pop("word_timestamps", None) not in (False, None):
            raise UnsupportedOptionError(
                "explain(): word_timestamps is transcribe()'s option: an explanation's words always carry their "
                "boundaries (Word.boundary_start, Word.boundary_end)")
        decoding = {name: method_params.pop(name) for name in list(method_params) if name in _DECODING_KEYWORDS}
        if "beam_size" in decoding and decoding["beam_size"] is None:  # None, the old keyword's default: the default
            del decoding["beam_size"]
        pcm = pcm_16k(audio, "explain")
        params = _abi.ExplainParams()
        check(self._lib.leafx_explain_params_init(ctypes.byref(params), ctypes.sizeof(params)))
        params.method = _utf8(method, "method")
        params.text = _utf8(text, "text")
        params.tau = tau
        params.epsilon = epsilon
        params.depth = depth_value(depth)
        params.seed = seed
        params.verify = 1 if verify else 0
        for name, value in method_params.items():
            if name not in _METHOD_PARAMS:
                raise TypeError(f"explain() got an unknown parameter {name!r}; decoding keywords (as transcribe()'s): "
                                + ", ".join(sorted(_DECODING_KEYWORDS)) + "; leafx_explain_params fields: "
                                + ", ".join(sorted(_METHOD_PARAMS)))
            setattr(params, name, value)
        # Always explicit, as `leafx explain`: without it leafx_explain decodes greedily without
        # timestamps (its own default, which the C ABI keeps).
        params.transcribe = ctypes.pointer(self._transcribe_params(decoding))
        callbacks = _Callbacks(progress)
        callbacks.install(params)
        out = ctypes.c_void_p()
        status = self._lib.leafx_explain(self._live_handle(), pcm.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                         pcm.size, ctypes.byref(params), ctypes.byref(out))
        callbacks.check(status, out)
        # The Explanation keeps the audio for to_html(): a copy when it is the caller's array.
        if isinstance(audio, np.ndarray) and np.may_share_memory(pcm, audio):
            pcm = pcm.copy()
        return Explanation(out, pcm.size, method, pcm=pcm, audio_path=_path_of(audio))


def _path_of(audio):
    """The path `audio` names, or None for samples."""
    return audio if isinstance(audio, (str, bytes, os.PathLike)) else None

