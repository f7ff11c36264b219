"""Results of Model.transcribe and Model.explain: plain Python objects and numpy arrays
copied out of a leafx_result, which stays open only for to_json() until close()."""
import ctypes
import math
import weakref
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from . import _abi
from ._library import check, library


def _text(raw):
    # A token may hold part of a UTF-8 character: undecodable bytes become U+FFFD.
    return raw.decode("utf-8", "replace") if raw else ""


def _flags(bits):
    return tuple(name for bit, name in _abi.FLAG_NAMES if bits & bit)


def _seconds(value):
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class Segment:
    """A stretch of the transcript between two timestamps (seconds)."""
    start: float
    end: float
    text: str
    tokens: range          # indices into Result.tokens
    avg_logprob: float
    no_speech_prob: float
    temperature: float
    compression_ratio: float


@dataclass(frozen=True)
class Token:
    """A written (non-special) token. The explanation figures (peak, start, end: seconds;
    entropy, padding_mass, flags) are None / () for a plain transcription."""
    index: int
    id: int
    text: str
    probability: float
    segment: int
    peak: Optional[float] = None
    start: Optional[float] = None    # smallest contiguous span holding half the attribution
    end: Optional[float] = None
    entropy: Optional[float] = None  # normalised: 0 (one frame) .. 1 (uniform)
    padding_mass: Optional[float] = None
    flags: Tuple[str, ...] = ()      # audit warnings: "diffuse", "weak-support"
    frames: Optional[range] = None   # the frames of the window it was explained over


@dataclass(frozen=True)
class SilenceCheck:
    """explain(verify=True): the word scored again with the span its attribution points at
    (start, end: seconds) silenced; log-probabilities summed over its tokens, drop in nats."""
    start: float
    end: float
    log_probability: float
    silenced_log_probability: float
    drop: float


@dataclass(frozen=True)
class Word:
    """A word (tokens grouped as Whisper groups them) of an explanation; times in seconds."""
    index: int
    text: str
    tokens: range          # indices into Explanation.tokens
    probability: float
    peak: float
    start: float           # half-mass span of the word's attribution
    end: float
    entropy: float
    flags: Tuple[str, ...]  # "diffuse", "weak-support", and with verify "unconfirmed"
    frames: range
    silence_check: Optional[SilenceCheck] = None  # explain(verify=True) only


class Result:
    """A transcription: text, language, segments and tokens. Holds the leafx_result until
    close() (or garbage collection) for to_json()."""

    def __init__(self, handle, n_samples):
        self._lib = library()
        self._handle = handle
        self._finalizer = weakref.finalize(self, self._lib.leafx_result_free, handle)
        self.n_samples = n_samples
        text = ctypes.c_char_p()
        check(self._lib.leafx_result_text(handle, ctypes.byref(text)))
        self.text = _text(text.value)
        code, probability = ctypes.c_char_p(), ctypes.c_float()
        check(self._lib.leafx_result_language(handle, ctypes.byref(code), ctypes.byref(probability)))
        self.language = _text(code.value)
        self.language_probability = probability.value
        self.segments = [self._segment(i) for i in range(self._count("leafx_result_n_segments"))]
        self.tokens = [self._token(i) for i in range(self._count("leafx_result_n_tokens"))]

    def _count(self, function):
        n = ctypes.c_size_t()
        check(getattr(self._lib, function)(self._handle, ctypes.byref(n)))
        return n.value

    def _segment(self, i):
        s = _abi.Segment(struct_size=ctypes.sizeof(_abi.Segment))
        check(self._lib.leafx_result_segment(self._handle, i, ctypes.byref(s)))
        return Segment(s.start_s, s.end_s, _text(s.text), range(s.i_first_token, s.i_first_token + s.n_tokens),
                       s.avg_logprob, s.no_speech_prob, s.temperature, s.compression_ratio)

    def _token(self, i):
        t = _abi.Token(struct_size=ctypes.sizeof(_abi.Token))
        check(self._lib.leafx_result_token(self._handle, i, ctypes.byref(t)))
        return Token(i, t.id, _text(t.text), t.probability, t.i_segment)

    def to_json(self):
        """leafx_result_to_json: the JSON of `leafx transcribe|explain --format json`
        (without the audio path, which the library does not know)."""
        if not self._finalizer.alive:
            raise ValueError("to_json() on a closed result")
        pointer = ctypes.c_void_p()
        check(self._lib.leafx_result_to_json(self._handle, ctypes.byref(pointer)))
        try:
            return ctypes.string_at(pointer.value).decode("utf-8")
        finally:
            self._lib.leafx_string_free(pointer)

    def close(self):
        """Frees the leafx_result (the copied text, tokens and arrays stay usable)."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<leafx.{type(self).__name__} {len(self.tokens)} tokens: {self.text.strip()[:60]!r}>"


class Explanation(Result):
    """An explained transcription: per token and per word, an attribution over the 20 ms
    frames of the whole recording.

    attributions       float32 [n_tokens, n_frames]: row t is token t's attribution; it
                       sums to 1 over the frames of the 30 s window the token was decoded
                       in (Token.frames) and is 0 elsewhere.
    word_attributions  float32 [n_words, n_frames], the same per word.
    frame_seconds      duration of one frame (0.02): frame k covers
                       [k * frame_seconds, (k + 1) * frame_seconds).
    """

    def __init__(self, handle, n_samples, method):
        self.method = method
        self._token_views, word_views = [], []
        super().__init__(handle, n_samples)
        self.words = [self._word(i, word_views) for i in range(self._count("leafx_result_n_words"))]
        views = self._token_views + word_views
        self.frame_seconds = views[0][2] if views else 0.02
        samples_per_frame = round(self.frame_seconds * 16000)
        n_frames = max([-(-n_samples // samples_per_frame)] + [first + len(values) for values, first, _ in views])
        self.attributions = self._dense(self._token_views, n_frames)
        self.word_attributions = self._dense(word_views, n_frames)
        del self._token_views

    @property
    def n_frames(self):
        return self.attributions.shape[1]

    @property
    def frame_times(self):
        """Start time of each frame, seconds: float64 [n_frames]."""
        return np.arange(self.n_frames) * self.frame_seconds

    def _attribution(self, function, i):
        values = ctypes.POINTER(ctypes.c_float)()
        n, first, frame_s = ctypes.c_size_t(), ctypes.c_size_t(), ctypes.c_double()
        check(getattr(self._lib, function)(self._handle, i, ctypes.byref(values), ctypes.byref(n),
                                           ctypes.byref(first), ctypes.byref(frame_s)))
        array = np.ctypeslib.as_array(values, shape=(n.value,)).copy() if n.value else np.zeros(0, np.float32)
        return array, first.value, frame_s.value

    @staticmethod
    def _dense(views, n_frames):
        dense = np.zeros((len(views), n_frames), dtype=np.float32)
        for row, (values, first, _) in zip(dense, views):
            row[first:first + len(values)] = values
        return dense

    def _token(self, i):
        t = _abi.Token(struct_size=ctypes.sizeof(_abi.Token))
        check(self._lib.leafx_result_token(self._handle, i, ctypes.byref(t)))
        values, first, frame_s = self._attribution("leafx_result_token_attribution", i)
        self._token_views.append((values, first, frame_s))
        return Token(i, t.id, _text(t.text), t.probability, t.i_segment,
                     _seconds(t.peak_s), _seconds(t.start_s), _seconds(t.end_s), t.entropy, t.padding_mass,
                     _flags(t.flags), range(first, first + len(values)))

    def _word(self, i, views):
        # An older library writes only the fields it knows: the check's stay NaN (no check).
        nan = float("nan")
        w = _abi.Word(struct_size=ctypes.sizeof(_abi.Word), silenced_start_s=nan, silenced_end_s=nan,
                      log_probability=nan, silenced_log_probability=nan, silence_drop=nan)
        check(self._lib.leafx_result_word(self._handle, i, ctypes.byref(w)))
        values, first, frame_s = self._attribution("leafx_result_word_attribution", i)
        views.append((values, first, frame_s))
        silence = None if math.isnan(w.silence_drop) else SilenceCheck(
            w.silenced_start_s, w.silenced_end_s, w.log_probability, w.silenced_log_probability, w.silence_drop)
        return Word(i, _text(w.text), range(w.i_first_token, w.i_first_token + w.n_tokens), w.probability,
                    w.peak_s, w.start_s, w.end_s, w.entropy, _flags(w.flags), range(first, first + len(values)),
                    silence)
