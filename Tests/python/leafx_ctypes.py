"""Minimal ctypes declarations of leafx.h used by the integration tests (the full Python
package lives in bindings/python)."""
import ctypes

import numpy as np


class AudioParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("sample_rate_hz", ctypes.c_int32),
                ("channel", ctypes.c_int32)]


class MelParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("n_mels", ctypes.c_int32),
                ("padding_samples", ctypes.c_int32)]


def check(lib, status):
    if status != 0:
        raise RuntimeError(f"leafx status {status}: {lib.leafx_last_error().decode()}")


def audio_load(lib, path):
    """Decodes a file with leafx_audio_load; returns float32 samples."""
    handle = ctypes.c_void_p()
    check(lib, lib.leafx_audio_load(path.encode(), None, ctypes.byref(handle)))
    try:
        data = ctypes.POINTER(ctypes.c_float)()
        n = ctypes.c_size_t()
        check(lib, lib.leafx_audio_samples(handle, ctypes.byref(data), ctypes.byref(n)))
        return np.ctypeslib.as_array(data, shape=(n.value,)).copy() if n.value else np.zeros(0, np.float32)
    finally:
        lib.leafx_audio_free(handle)


def log_mel(lib, pcm, n_mels=80, padding=160):
    """leafx_log_mel of float32 PCM; returns [n_mels, n_frames]."""
    pcm = np.ascontiguousarray(pcm, dtype=np.float32)
    params = MelParams()
    check(lib, lib.leafx_mel_params_init(ctypes.byref(params), ctypes.sizeof(params)))
    params.n_mels = n_mels
    params.padding_samples = padding
    handle = ctypes.c_void_p()
    check(lib, lib.leafx_log_mel(pcm.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                 ctypes.c_size_t(pcm.size), ctypes.byref(params), ctypes.byref(handle)))
    try:
        data = ctypes.POINTER(ctypes.c_float)()
        rows, cols = ctypes.c_size_t(), ctypes.c_size_t()
        check(lib, lib.leafx_mel_data(handle, ctypes.byref(data), ctypes.byref(rows), ctypes.byref(cols)))
        return np.ctypeslib.as_array(data, shape=(rows.value, cols.value)).copy()
    finally:
        lib.leafx_mel_free(handle)
