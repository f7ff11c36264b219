"""Results of Model.transcribe and Model.explain, and leafx.load: plain Python data (frozen
dataclasses and numpy arrays) copied out of a leafx_result at once. Results pickle (a
multiprocessing worker can return them), save() the JSON of the command line, and load() it
back; the leafx_result itself stays open only for to_json() and to_html() until close()."""
import ctypes
import dataclasses
import json
import math
import os
import weakref
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from . import _abi
from ._library import check, library
from .audio import SAMPLE_RATE_HZ
from .errors import FormatError

# Segment times lie on the decoder's 10 ms grid: a window starts at a mel frame (10 ms) and
# its timestamps count 20 ms steps from there.
SEGMENT_GRID_SECONDS = 0.01
# Word timestamps lie on the attribution frames' grid.
WORD_GRID_SECONDS = 0.02
# The English-only vocabularies' end-of-text id; multilingual ones have 50257. Ids from it up
# are special (timestamps, language tags, ...): a result's tokens leave them out.
_EOT_ENGLISH, _EOT_MULTILINGUAL = 50256, 50257


def _text(raw):
    # A token may hold part of a UTF-8 character: undecodable bytes become U+FFFD.
    return raw.decode("utf-8", "replace") if raw else ""


def _flags(bits):
    return tuple(name for bit, name in _abi.FLAG_NAMES if bits & bit)


def _on_grid(seconds, grid):
    """`seconds` at the nearest multiple of `grid`, rounded to 1e-9 s, so that a time of 35
    frames of 0.02 s is 0.7 (not 0.7000000000000001). None and NaN give None."""
    if seconds is None or math.isnan(seconds):
        return None
    return round(round(seconds / grid) * grid, 9)


def _float32(value):
    """A JSON number the library wrote from a float32 (its shortest decimal form) as the
    float32 value the library holds; null (NaN, infinities) as NaN."""
    return math.nan if value is None else float(np.float32(value))


def _file_name(path):
    """The audio's file name, as the command line names it in its JSON by default."""
    if path is None:
        return None
    full = os.path.abspath(os.fsdecode(path))
    return os.path.basename(full) or full


def _with_audio_name(text, name):
    """The library's JSON (which does not know the audio's path) with the file name the
    command line would write."""
    if name is None:
        return text
    return text.replace('"audio": {"path": null', '"audio": {"path": ' + json.dumps(name, ensure_ascii=False), 1)


def _with_words(segments, timed):
    """`segments` with the timed words (pairs of segment index and word) of each; every segment
    gets a tuple, empty when no word starts in it."""
    words = [[] for _ in segments]
    for i_segment, word in timed:
        if 0 <= i_segment < len(words):
            words[i_segment].append(word)
    return [dataclasses.replace(segment, words=tuple(w)) for segment, w in zip(segments, words)]


@dataclass(frozen=True)
class TimedWord:
    """A word with its time (seconds), as faster-whisper's Word: from transcribe(...,
    word_timestamps=True). Where the word starts and ends in the audio, segmented from the
    attributions of the default leafx method: contiguous, in order, not overlapping.
    Punctuation is joined to the word it closes or opens (" Americans,")."""
    start: float
    end: float
    word: str              # with its leading space, as faster-whisper's
    probability: float     # mean of its tokens' probabilities
    tokens: Optional[range] = None  # indices into Result.tokens (None when read by leafx.load)


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
    words: Optional[Tuple[TimedWord, ...]] = None  # with word_timestamps=True only


@dataclass(frozen=True)
class Token:
    """A written (non-special) token. The explanation figures (peak, start, end: seconds;
    entropy, padding_mass, flags) are None / () for a plain transcription. segment is None in
    an Explanation read by leafx.load (the explanation JSON has no segments)."""
    index: int
    id: int
    text: str
    probability: float
    segment: Optional[int]
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
    # Where the word starts and ends in the audio (not its attribution's half-mass span):
    # contiguous, in order, not overlapping its neighbours; equal for punctuation.
    boundary_start: Optional[float] = None
    boundary_end: Optional[float] = None


class Result:
    """A transcription: text, language, segments and tokens, as plain data. It pickles, and
    save() writes the JSON of `leafx transcribe --format json`, which leafx.load() reads
    back. The leafx_result it was copied from stays open for to_json() until close() (or
    garbage collection); a pickled or loaded result carries its JSON text instead.

    Times are seconds on the decoder's grid (segments: 10 ms; an explanation's token and
    word spans: its 20 ms frames, peaks at frame centres), rounded to 1e-9 s.
    """

    # Tied to this process's library and to the audio given: never pickled.
    _TRANSIENT = ("_lib", "_handle", "_finalizer", "_pcm", "_audio_path")
    _lib = _handle = _finalizer = _pcm = _audio_path = None
    _json = None        # the JSON text of a result without a leafx_result (loaded, unpickled)
    _audio_name = None  # the audio's file name for the JSON, when the audio was a path

    def __init__(self, handle, n_samples, audio_path=None):
        self._lib = library()
        self._handle = handle
        self._finalizer = weakref.finalize(self, self._lib.leafx_result_free, handle)
        self._audio_name = _file_name(audio_path)
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
        timed = [self._timed_word(i) for i in range(self._count("leafx_result_n_timed_words"))]
        if timed:
            self.segments = _with_words(self.segments, timed)

    def _timed_word(self, i):
        w = _abi.TimedWord(struct_size=ctypes.sizeof(_abi.TimedWord))
        check(self._lib.leafx_result_timed_word(self._handle, i, ctypes.byref(w)))
        word = TimedWord(_on_grid(w.start_s, WORD_GRID_SECONDS), _on_grid(w.end_s, WORD_GRID_SECONDS), _text(w.text),
                         w.probability, range(w.i_first_token, w.i_first_token + w.n_tokens))
        return w.i_segment, word

    def _count(self, function):
        n = ctypes.c_size_t()
        check(getattr(self._lib, function)(self._handle, ctypes.byref(n)))
        return n.value

    def _segment(self, i):
        s = _abi.Segment(struct_size=ctypes.sizeof(_abi.Segment))
        check(self._lib.leafx_result_segment(self._handle, i, ctypes.byref(s)))
        return Segment(_on_grid(s.start_s, SEGMENT_GRID_SECONDS), _on_grid(s.end_s, SEGMENT_GRID_SECONDS), _text(s.text),
                       range(s.i_first_token, s.i_first_token + s.n_tokens), s.avg_logprob, s.no_speech_prob,
                       s.temperature, s.compression_ratio)

    def _token(self, i):
        t = _abi.Token(struct_size=ctypes.sizeof(_abi.Token))
        check(self._lib.leafx_result_token(self._handle, i, ctypes.byref(t)))
        return Token(i, t.id, _text(t.text), t.probability, t.i_segment)

    # ---- without the library: JSON and pickles

    @classmethod
    def _from_document(cls, text, document):
        """A result read from its JSON text (parsed as `document`)."""
        result = cls.__new__(cls)
        result._json = text
        result._audio_name = (document.get("audio") or {}).get("path")
        result._read(document)
        return result

    def _read_common(self, document):
        duration = (document.get("audio") or {}).get("duration")
        # The JSON gives the duration in milliseconds: the sample count to within 8 samples.
        self.n_samples = 0 if duration is None else round(duration * SAMPLE_RATE_HZ)
        self.text = document["text"]
        self.language = document["language"]

    def _read(self, document):
        """The fields of `leafx transcribe --format json`; its segments list every token,
        the special ones (timestamps) included, which a result leaves out."""
        self._read_common(document)
        self.language_probability = _float32(document.get("language_probability"))
        model = document.get("model")
        eot = None if not isinstance(model, dict) else _EOT_MULTILINGUAL if model.get("multilingual") else _EOT_ENGLISH

        def special(token):
            if eot is not None:
                return token["id"] >= eot
            return token["text"].startswith("<|") and token["text"].endswith("|>")

        self.segments, self.tokens = [], []
        for s in document["segments"]:
            first = len(self.tokens)
            for t in s["tokens"]:
                if not special(t):
                    self.tokens.append(Token(len(self.tokens), t["id"], t["text"], _float32(t["probability"]),
                                             len(self.segments)))
            self.segments.append(Segment(
                _on_grid(s["start"], SEGMENT_GRID_SECONDS), _on_grid(s["end"], SEGMENT_GRID_SECONDS), s["text"],
                range(first, len(self.tokens)), _float32(s["avg_logprob"]), _float32(s["no_speech_prob"]),
                _float32(s["temperature"]), _float32(s["compression_ratio"])))
            if "words" in s:
                words = tuple(TimedWord(_on_grid(w["start"], WORD_GRID_SECONDS), _on_grid(w["end"], WORD_GRID_SECONDS),
                                        w["word"], _float32(w["probability"])) for w in s["words"])
                self.segments[-1] = dataclasses.replace(self.segments[-1], words=words)

    def __getstate__(self):
        state = {name: value for name, value in self.__dict__.items() if name not in self._TRANSIENT}
        state["_json"] = self._document_text()  # None once closed
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _is_open(self):
        return self._finalizer is not None and self._finalizer.alive

    def _document_text(self):
        if self._json is not None:
            return self._json
        if not self._is_open():
            return None
        pointer = ctypes.c_void_p()
        check(self._lib.leafx_result_to_json(self._handle, ctypes.byref(pointer)))
        try:
            text = ctypes.string_at(pointer.value).decode("utf-8")
        finally:
            self._lib.leafx_string_free(pointer)
        return _with_audio_name(text, self._audio_name)

    def to_json(self):
        """The JSON of `leafx transcribe|explain --format json` (leafx_result_to_json), naming
        the audio by its file name when it was given as a path (else "path" is null).
        Raises ValueError once close()d; a pickled or loaded result keeps its JSON."""
        text = self._document_text()
        if text is None:
            raise ValueError("to_json() on a closed result: call to_json() or save() before close() "
                             "(a pickled or loaded result keeps its JSON)")
        return text

    def save(self, path):
        """Writes to_json() to `path`, as `leafx transcribe|explain --format json --output path`
        does; leafx.load(path) reads it back."""
        text = self.to_json()
        with open(path, "w", encoding="utf-8") as file:
            file.write(text + "\n")

    def close(self):
        """Frees the leafx_result (the copied text, tokens and arrays stay usable)."""
        if self._finalizer is not None:
            self._finalizer()
        self._pcm = None

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

    to_html() and save_html() write the report of `leafx explain --format html`, which needs
    the leafx_result and the audio: the Explanation keeps both until close(). In a notebook it
    shows a compact view (_repr_html_). One read by leafx.load has no segments (the JSON has
    none; its tokens' segment is None) and language_probability None.
    """

    def __init__(self, handle, n_samples, method, pcm=None, audio_path=None):
        self.method = method
        self._token_views, word_views = [], []
        super().__init__(handle, n_samples, audio_path)
        self._pcm = pcm
        self._audio_path = None if audio_path is None else os.fsencode(audio_path)
        self.words = [self._word(i, word_views) for i in range(self._count("leafx_result_n_words"))]
        self._set_arrays(self._token_views, word_views)
        del self._token_views

    @property
    def n_frames(self):
        return self.attributions.shape[1]

    @property
    def frame_times(self):
        """Start time of each frame, seconds: float64 [n_frames]."""
        return np.arange(self.n_frames) * self.frame_seconds

    def _set_arrays(self, token_views, word_views, frame_seconds=None):
        """frame_seconds, attributions and word_attributions from (values, first frame,
        frame_s) views: as many frames as the audio, or as the attributions reach."""
        views = token_views + word_views
        self.frame_seconds = frame_seconds or (views[0][2] if views else 0.02)
        samples_per_frame = round(self.frame_seconds * SAMPLE_RATE_HZ)
        n_frames = max([-(-self.n_samples // samples_per_frame)] + [first + len(values) for values, first, _ in views])
        self.attributions = self._dense(token_views, n_frames)
        self.word_attributions = self._dense(word_views, n_frames)

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
                     _on_grid(t.peak_s, frame_s / 2), _on_grid(t.start_s, frame_s), _on_grid(t.end_s, frame_s),
                     t.entropy, t.padding_mass, _flags(t.flags), range(first, first + len(values)))

    def _word(self, i, views):
        # An older library writes only the fields it knows: the check's stay NaN (no check).
        nan = float("nan")
        w = _abi.Word(struct_size=ctypes.sizeof(_abi.Word), silenced_start_s=nan, silenced_end_s=nan,
                      log_probability=nan, silenced_log_probability=nan, silence_drop=nan)
        check(self._lib.leafx_result_word(self._handle, i, ctypes.byref(w)))
        values, first, frame_s = self._attribution("leafx_result_word_attribution", i)
        views.append((values, first, frame_s))
        silence = None if math.isnan(w.silence_drop) else SilenceCheck(
            _on_grid(w.silenced_start_s, frame_s), _on_grid(w.silenced_end_s, frame_s), w.log_probability,
            w.silenced_log_probability, w.silence_drop)
        return Word(i, _text(w.text), range(w.i_first_token, w.i_first_token + w.n_tokens), w.probability,
                    _on_grid(w.peak_s, frame_s / 2), _on_grid(w.start_s, frame_s), _on_grid(w.end_s, frame_s),
                    w.entropy, _flags(w.flags), range(first, first + len(values)), silence,
                    _on_grid(w.boundary_start_s, frame_s), _on_grid(w.boundary_end_s, frame_s))

    def _read(self, document):
        """The fields of `leafx explain --format json`."""
        self._read_common(document)
        self.method = document["method"]
        frame_s = float(document["frame_seconds"])
        self.language_probability = None
        self.segments = []

        def attribution(entry):
            a = entry["attribution"]
            values = np.array(a["values"], dtype=np.float32)
            return values, int(a["offset"]), frame_s

        def times(entry):
            return (_on_grid(entry["peak"], frame_s / 2), _on_grid(entry["start"], frame_s),
                    _on_grid(entry["end"], frame_s))

        token_views, word_views = [], []
        self.tokens = []
        for i, t in enumerate(document["tokens"]):
            view = attribution(t)
            token_views.append(view)
            self.tokens.append(Token(i, t["id"], t["text"], _float32(t["probability"]), None, *times(t),
                                     _float32(t["entropy"]), _float32(t["padding_mass"]), tuple(t["flags"]),
                                     range(view[1], view[1] + len(view[0]))))
        self.words = []
        for i, w in enumerate(document["words"]):
            view = attribution(w)
            word_views.append(view)
            c = w.get("silence_check")
            silence = None if c is None else SilenceCheck(
                _on_grid(c["start"], frame_s), _on_grid(c["end"], frame_s), _float32(c["log_probability"]),
                _float32(c["silenced_log_probability"]), _float32(c["drop"]))
            first = w["tokens"][0] if w["tokens"] else 0
            boundary = [_on_grid(w[k], frame_s) if k in w else None for k in ("boundary_start", "boundary_end")]
            self.words.append(Word(i, w["word"], range(first, first + len(w["tokens"])), _float32(w["probability"]),
                                   *times(w), _float32(w["entropy"]), tuple(w["flags"]),
                                   range(view[1], view[1] + len(view[0])), silence, *boundary))
        self._set_arrays(token_views, word_views, frame_s)

    def to_html(self):
        """The report of `leafx explain --format html` (leafx_result_to_html): one
        self-contained page with the spectrogram, the words shaded by how well grounded they
        are, the tokens x time heatmap, the audit flags, and the audio to play (about 45 kB
        per second of audio). Needs the leafx_result and the audio, which the Explanation
        keeps until close(): raises ValueError after close() and on an Explanation that was
        pickled or read by leafx.load (call to_html() or save_html() where Model.explain ran)."""
        if not self._is_open() or self._pcm is None:
            why = ("it was closed" if self._finalizer is not None
                   else "a pickled or loaded Explanation has neither; call to_html() or save_html() in the "
                        "process that ran Model.explain")
            raise ValueError(f"to_html() needs the leafx_result and the audio this Explanation was made from: {why}")
        pointer = ctypes.c_void_p()
        pcm = self._pcm
        check(self._lib.leafx_result_to_html(self._handle, pcm.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                             pcm.size, self._audio_path, ctypes.byref(pointer)))
        try:
            return ctypes.string_at(pointer.value).decode("utf-8")
        finally:
            self._lib.leafx_string_free(pointer)

    def save_html(self, path):
        """Writes to_html() to `path`, as `leafx explain --format html --output path` does."""
        page = self.to_html()
        with open(path, "w", encoding="utf-8") as file:
            file.write(page)

    def _repr_html_(self):
        """The notebook view: the words shaded by how well grounded they are (as in the
        report) with their spans, and a small words x time heatmap; a few kB, no audio."""
        from ._html import notebook_view
        return notebook_view(self)


def load(source):
    """A Result or Explanation from the JSON of `leafx transcribe --format json`, `leafx
    explain --format json` or Result.save(): `source` is a path or an open file. Raises
    leafx.FormatError naming the source when it is neither."""
    if hasattr(source, "read"):
        text = source.read()
        name = getattr(source, "name", "the file")
    else:
        name = os.fsdecode(source)
        with open(source, "rb") as file:
            text = file.read()
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    text = text.rstrip()
    try:
        document = json.loads(text)
    except ValueError as error:
        raise FormatError(f"leafx.load: {name}: not JSON ({error})") from None
    if isinstance(document, dict) and "method" in document and "words" in document:
        cls = Explanation
    elif isinstance(document, dict) and "segments" in document:
        cls = Result
    else:
        raise FormatError(f"leafx.load: {name}: not the JSON of `leafx transcribe` or `leafx explain` "
                          "(no \"segments\", or no \"method\" and \"words\")")
    try:
        return cls._from_document(text, document)
    except (KeyError, TypeError, IndexError, ValueError) as error:
        raise FormatError(f"leafx.load: {name}: malformed {cls.__name__} JSON "
                          f"({type(error).__name__}: {error})") from None
