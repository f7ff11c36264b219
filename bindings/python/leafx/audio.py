"""Audio in: files decoded by libleafx (libsndfile + soxr), or float PCM already in memory."""
import ctypes
import os

import numpy as np

from . import _abi
from ._library import check, library
from .errors import InvalidArgumentError

SAMPLE_RATE_HZ = 16000


def _audio_params(sample_rate_hz, channel):
    params = _abi.AudioParams()
    check(library().leafx_audio_params_init(ctypes.byref(params), ctypes.sizeof(params)))
    params.sample_rate_hz = sample_rate_hz
    params.channel = channel
    return params


def _samples_of(handle):
    """A copy of an audio handle's samples, then frees the handle."""
    lib = library()
    try:
        data = ctypes.POINTER(ctypes.c_float)()
        count = ctypes.c_size_t()
        check(lib.leafx_audio_samples(handle, ctypes.byref(data), ctypes.byref(count)))
        if count.value == 0:
            return np.zeros(0, dtype=np.float32)
        return np.ctypeslib.as_array(data, shape=(count.value,)).copy()
    finally:
        lib.leafx_audio_free(handle)


def load_audio(source, sample_rate=None, *, output_rate=SAMPLE_RATE_HZ, channel=-1):
    """Mono float32 samples at `output_rate` Hz (default 16 kHz, what Whisper expects).

    source: a file path (any format libsndfile reads: WAV, FLAC, OGG, MP3, ...), or a numpy
    array of float PCM, shape [n] (mono) or [n, channels] (interleaved frames), recorded at
    `sample_rate` Hz (required for arrays). Channels are averaged (channel=-1) or one is
    kept (0-based); the rate is converted with soxr.
    Raises leafx.FileError, leafx.FormatError or leafx.InvalidArgumentError with leafx's
    message.
    """
    lib = library()
    params = _audio_params(output_rate, channel)
    handle = ctypes.c_void_p()
    if isinstance(source, (str, bytes, os.PathLike)):
        if sample_rate is not None:
            raise InvalidArgumentError("load_audio: sample_rate is only for arrays; a file's rate is read from the file")
        check(lib.leafx_audio_load(os.fsencode(source), ctypes.byref(params), ctypes.byref(handle)))
        return _samples_of(handle)
    if sample_rate is None:
        raise InvalidArgumentError("load_audio: an array needs its sample_rate (Hz)")
    pcm = _float_array(source, "load_audio", allow_channels=True)
    frames, channels = (pcm.shape[0], 1) if pcm.ndim == 1 else pcm.shape
    check(lib.leafx_audio_from_pcm(pcm.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), frames,
                                   channels, int(sample_rate), ctypes.byref(params), ctypes.byref(handle)))
    return _samples_of(handle)


def _float_array(array, caller, allow_channels=False):
    """A C-contiguous float32 view or copy of `array`, refusing integer PCM (whose scale
    leafx cannot guess) and wrong shapes with a message."""
    array = np.asarray(array)
    if not np.issubdtype(array.dtype, np.floating):
        raise InvalidArgumentError(
            f"{caller}: audio array has dtype {array.dtype}; pass float samples in [-1, 1] "
            "(e.g. int16 PCM divided by 32768)")
    if array.ndim != 1 and not (allow_channels and array.ndim == 2):
        shape = "[n] or [n, channels]" if allow_channels else "[n] (mono, 16 kHz)"
        raise InvalidArgumentError(f"{caller}: audio array has shape {array.shape}; expected {shape}")
    return np.ascontiguousarray(array, dtype=np.float32)


def pcm_16k(audio, caller):
    """16 kHz mono float32 samples of `audio`: a path (decoded by leafx) or a 1-D float array
    taken to be 16 kHz mono already."""
    if isinstance(audio, (str, bytes, os.PathLike)):
        return load_audio(audio)
    return _float_array(audio, caller)
