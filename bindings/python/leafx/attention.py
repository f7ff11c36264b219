"""leafx.explain_attention: the bolt-on level of leafx.h, for attention captured in another
engine (whisper.cpp, ONNX, a decoder-only speech LLM) rather than computed by leafx."""
import ctypes
import weakref

import numpy as np

from . import _abi
from ._library import check, library
from .errors import InvalidArgumentError
from .model import depth_value


class AttentionExplanation:
    """Attributions of the explained rows over the audio keys.

    attributions   float32 [n_rows, n_audio_keys]: row i is the attribution of rows[i]'s
                   token over audio keys audio_begin..audio_end, summing to 1.
    first_frame    the caller's frame index of the first audio key.
    frame_seconds  the duration of one key frame.
    token_ids      the ids given (or -1).
    """

    def __init__(self, handle):
        lib = library()
        finalizer = weakref.finalize(self, lib.leafx_result_free, handle)
        try:
            n = ctypes.c_size_t()
            check(lib.leafx_result_n_tokens(handle, ctypes.byref(n)))
            rows, ids = [], []
            for i in range(n.value):
                values = ctypes.POINTER(ctypes.c_float)()
                count, first, frame_s = ctypes.c_size_t(), ctypes.c_size_t(), ctypes.c_double()
                check(lib.leafx_result_token_attribution(handle, i, ctypes.byref(values), ctypes.byref(count),
                                                         ctypes.byref(first), ctypes.byref(frame_s)))
                rows.append(np.ctypeslib.as_array(values, shape=(count.value,)).copy())
                token = _abi.Token(struct_size=ctypes.sizeof(_abi.Token))
                check(lib.leafx_result_token(handle, i, ctypes.byref(token)))
                ids.append(token.id)
            self.attributions = np.stack(rows) if rows else np.zeros((0, 0), np.float32)
            self.first_frame = first.value if rows else 0
            self.frame_seconds = frame_s.value if rows else 0.0
            self.token_ids = ids
        finally:
            # Everything is copied: the handle is not needed any longer.
            finalizer()


def _array(value, name, dtype, shape):
    """A C-contiguous copy of `value` with `shape` (None entries: any size), or an error
    naming the argument."""
    array = np.ascontiguousarray(value, dtype=dtype)
    if array.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, array.shape)):
        expected = "[" + ", ".join("?" if s is None else str(s) for s in shape) + "]"
        raise InvalidArgumentError(f"explain_attention: {name} has shape {list(array.shape)}; expected {expected}")
    return array


def explain_attention(cross_attention, rows, *, self_attention=None, audio_range=None, token_ids=None,
                      cross_gradients=None, self_gradients=None, ablation_deltas=None, frame_seconds=0.02,
                      first_frame=0, method="leafx", tau=1.0, epsilon=1e-8, depth="default", seed=0):
    """LEAF-X (or any method of Model.explain) on attention captured elsewhere.

    cross_attention: [L, H, T, K] attention probabilities of T decoder queries over K keys.
    rows: the query positions whose logits predicted each explained token.
    self_attention: optional [L, H, T, T] decoder self-attention (None: identity).
    audio_range: (begin, end) of the keys that are audio (default all K), e.g. the audio
    pseudo-tokens of a decoder-only speech LLM; the rest counts as padding.
    token_ids: optional ids of the explained tokens.
    cross_gradients [n_rows, L, H, T, K], self_gradients [n_rows, L, H, T, T]: gradients of
    each explained token's log-probability (the -grad and -causal methods, grad-rollout).
    ablation_deltas [L, n_rows]: NLL increase per token when layer l's cross-attention is
    knocked out (the -causal methods): zeroed output for leafx-paper-causal; for leafx-causal,
    each head's row t replaced by the mean of rows 0..t (leafx.h).
    Returns an AttentionExplanation.
    """
    lib = library()
    cross = _array(cross_attention, "cross_attention", np.float32, (None, None, None, None))
    n_layers, n_heads, n_queries, n_keys = cross.shape
    given_rows = np.asarray(rows)
    if given_rows.size and (not np.issubdtype(given_rows.dtype, np.integer) or given_rows.min() < 0):
        raise InvalidArgumentError("explain_attention: rows must be non-negative integers (query positions)")
    row_array = _array(given_rows, "rows", np.uintp, (None,))
    n_rows = row_array.size
    keep = [cross, row_array]

    def optional(value, name, dtype, shape):
        if value is None:
            return None
        array = _array(value, name, dtype, shape)
        keep.append(array)
        return array.ctypes.data_as(ctypes.POINTER(np.ctypeslib.as_ctypes_type(dtype)))

    begin, end = audio_range if audio_range is not None else (0, 0)
    data = _abi.AttentionInput(
        struct_size=ctypes.sizeof(_abi.AttentionInput), n_layers=n_layers, n_heads=n_heads, n_queries=n_queries,
        n_keys=n_keys, cross_attention=cross.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
        self_attention=optional(self_attention, "self_attention", np.float32, (n_layers, n_heads, n_queries, n_queries)),
        audio_begin=begin, audio_end=end,
        rows=row_array.ctypes.data_as(ctypes.POINTER(ctypes.c_size_t)), n_rows=n_rows,
        token_ids=optional(token_ids, "token_ids", np.int32, (n_rows,)),
        cross_gradients=optional(cross_gradients, "cross_gradients", np.float32,
                                 (n_rows, n_layers, n_heads, n_queries, n_keys)),
        self_gradients=optional(self_gradients, "self_gradients", np.float32,
                                (n_rows, n_layers, n_heads, n_queries, n_queries)),
        ablation_deltas=optional(ablation_deltas, "ablation_deltas", np.float32, (n_layers, n_rows)),
        frame_s=frame_seconds, first_frame=first_frame)
    params = _abi.ExplainParams()
    check(lib.leafx_explain_params_init(ctypes.byref(params), ctypes.sizeof(params)))
    params.method = method.encode()
    params.tau = tau
    params.epsilon = epsilon
    params.depth = depth_value(depth)
    params.seed = seed
    out = ctypes.c_void_p()
    check(lib.leafx_explain_attention(ctypes.byref(data), ctypes.byref(params), ctypes.byref(out)))
    return AttentionExplanation(out)
