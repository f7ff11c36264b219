"""leafx for Python: Whisper transcription and token-to-time attributions through libleafx's
C ABI (ctypes; no compiled extension).

    import leafx
    model = leafx.Model("tiny.en")
    explanation = model.explain("jfk.wav", method="leafx")
    explanation.attributions        # float32 [n_tokens, n_frames] over 20 ms frames
    for word in explanation.words:
        print(word.text, word.start, word.end)
    explanation.save("jfk.json")    # the JSON of `leafx explain --format json`
    explanation.save_html("jfk.html")   # the report of `leafx explain --format html`
    leafx.load("jfk.json")          # an Explanation again (results also pickle)

libleafx is found through $LEAFX_LIBRARY, pkg-config, or the standard library path.
"""
from ._library import library_path
from .attention import AttentionExplanation, explain_attention
from .audio import SAMPLE_RATE_HZ, load_audio
from .errors import (
    CancelledError, FileError, FormatError, InternalError, InvalidArgumentError, LeafxError,
    LibraryNotFoundError, MisuseError, OutOfMemoryError, UnsupportedError, UnsupportedOptionError,
)
from .model import Model
from .result import Explanation, Result, Segment, SilenceCheck, TimedWord, Token, Word, load

__version__ = "0.3.0"


def version():
    """The loaded libleafx's version ("0.3.0")."""
    from ._library import library
    return library().leafx_version().decode()


__all__ = [
    "Model", "Result", "Explanation", "Segment", "Token", "Word", "TimedWord", "SilenceCheck", "load", "load_audio", "SAMPLE_RATE_HZ",
    "explain_attention", "AttentionExplanation",
    "version", "library_path", "LeafxError", "InvalidArgumentError", "MisuseError", "FileError",
    "FormatError", "UnsupportedError", "OutOfMemoryError", "InternalError", "CancelledError",
    "LibraryNotFoundError", "UnsupportedOptionError",
]
