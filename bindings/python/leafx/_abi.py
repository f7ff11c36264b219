"""ctypes mirrors of the structs and prototypes of include/leafx.h (leafx 0.2).

Each Structure lists the C fields in the header's order with the header's types, so that
ctypes computes the same offsets and size as a C compiler (a test compiles the header and
compares every offset). The params structs are size-versioned: fill one with the library's
`leafx_<thing>_params_init(byref(p), sizeof(p))`, which writes defaults into at most
`sizeof(p)` bytes; the library later reads at most `p.struct_size` bytes back.
"""
from ctypes import (
    CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_float, c_int, c_int32, c_size_t,
    c_uint32, c_uint64, c_void_p,
)

# leafx_status values (the set may grow: anything non-zero is a failure).
OK = 0
ERR_INVALID_ARGUMENT = 1
ERR_MISUSE = 2
ERR_IO = 3
ERR_FORMAT = 4
ERR_UNSUPPORTED = 5
ERR_NO_MEMORY = 6
ERR_INTERNAL = 7
CANCELLED = 8

ABI_VERSION = 0
# The oldest library whose structs are these (leafx_version_number): a 0.1 library would
# silently ignore the explain fields 0.2 appended (ig_steps ... verify).
MINIMUM_VERSION_NUMBER = 300

# leafx_depth
DEPTHS = {"full": 0, "last-half": 1, "middle-half": 2, "1": 3, "default": 4, "last-third": 5}
# leafx_task
TASKS = {"transcribe": 0, "translate": 1}
# leafx_token.flags / leafx_word.flags
FLAG_DIFFUSE = 1
FLAG_WEAK_SUPPORT = 2
FLAG_UNCONFIRMED = 4  # leafx_word.flags with verify only
FLAG_NAMES = ((FLAG_DIFFUSE, "diffuse"), (FLAG_WEAK_SUPPORT, "weak-support"), (FLAG_UNCONFIRMED, "unconfirmed"))

ProgressCallback = CFUNCTYPE(None, c_float, c_char_p, c_void_p)
AbortCallback = CFUNCTYPE(c_int, c_void_p)


class AudioParams(Structure):
    _c_name_ = "leafx_audio_params"
    _fields_ = [
        ("struct_size", c_size_t),
        ("sample_rate_hz", c_int32),
        ("channel", c_int32),
    ]


class MelParams(Structure):
    _c_name_ = "leafx_mel_params"
    _fields_ = [
        ("struct_size", c_size_t),
        ("n_mels", c_int32),
        ("padding_samples", c_int32),
    ]


class ModelParams(Structure):
    _c_name_ = "leafx_model_params"
    _fields_ = [
        ("struct_size", c_size_t),
        ("n_threads", c_int32),
        ("format", c_int32),
    ]


class ModelDescription(Structure):
    _c_name_ = "leafx_model_description"
    _fields_ = [
        ("struct_size", c_size_t),
        ("name", c_char_p),
        ("format", c_char_p),
        ("n_mels", c_int32),
        ("n_vocab", c_int32),
        ("n_audio_ctx", c_int32),
        ("n_audio_state", c_int32),
        ("n_audio_head", c_int32),
        ("n_audio_layer", c_int32),
        ("n_text_ctx", c_int32),
        ("n_text_state", c_int32),
        ("n_text_head", c_int32),
        ("n_text_layer", c_int32),
        ("is_multilingual", c_int32),
    ]


class TranscribeParams(Structure):
    _c_name_ = "leafx_transcribe_params"
    _fields_ = [
        ("struct_size", c_size_t),
        ("language", c_char_p),
        ("task", c_int32),
        ("beam_size", c_int32),
        ("patience", c_float),
        ("best_of", c_int32),
        ("length_penalty", c_float),
        ("temperatures", POINTER(c_float)),
        ("n_temperatures", c_size_t),
        ("compression_ratio_threshold", c_float),
        ("log_prob_threshold", c_float),
        ("no_speech_threshold", c_float),
        ("condition_on_previous_text", c_int32),
        ("without_timestamps", c_int32),
        ("max_initial_timestamp_s", c_float),
        ("suppress_blank", c_int32),
        ("initial_prompt", c_char_p),
        ("seed", c_uint64),
        ("progress", ProgressCallback),
        ("progress_user_data", c_void_p),
        ("abort", AbortCallback),
        ("abort_user_data", c_void_p),
        ("word_timestamps", c_int32),
    ]


class Segment(Structure):
    _c_name_ = "leafx_segment"
    _fields_ = [
        ("struct_size", c_size_t),
        ("start_s", c_double),
        ("end_s", c_double),
        ("text", c_char_p),
        ("i_first_token", c_size_t),
        ("n_tokens", c_size_t),
        ("avg_logprob", c_float),
        ("no_speech_prob", c_float),
        ("temperature", c_float),
        ("compression_ratio", c_float),
    ]


class Token(Structure):
    _c_name_ = "leafx_token"
    _fields_ = [
        ("struct_size", c_size_t),
        ("id", c_int32),
        ("text", c_char_p),
        ("probability", c_float),
        ("i_segment", c_size_t),
        ("peak_s", c_double),
        ("start_s", c_double),
        ("end_s", c_double),
        ("entropy", c_float),
        ("padding_mass", c_float),
        ("flags", c_uint32),
    ]


class ExplainParams(Structure):
    """leafx_explain_params: the 0.1 fields up to abort_user_data, then the method
    parameters appended since (ig_steps, window_frames, stride_frames, n_samples,
    segment_frames, verify). Fields appended later are left to the library's defaults (the
    size-versioned protocol)."""
    _c_name_ = "leafx_explain_params"
    _fields_ = [
        ("struct_size", c_size_t),
        ("method", c_char_p),
        ("text", c_char_p),
        ("tau", c_float),
        ("epsilon", c_float),
        ("depth", c_int32),
        ("seed", c_uint64),
        ("transcribe", POINTER(TranscribeParams)),
        ("progress", ProgressCallback),
        ("progress_user_data", c_void_p),
        ("abort", AbortCallback),
        ("abort_user_data", c_void_p),
        ("ig_steps", c_int32),
        ("window_frames", c_int32),
        ("stride_frames", c_int32),
        ("n_samples", c_int32),
        ("segment_frames", c_int32),
        ("verify", c_int32),
    ]


class Word(Structure):
    _c_name_ = "leafx_word"
    _fields_ = [
        ("struct_size", c_size_t),
        ("text", c_char_p),
        ("i_first_token", c_size_t),
        ("n_tokens", c_size_t),
        ("probability", c_float),
        ("peak_s", c_double),
        ("start_s", c_double),
        ("end_s", c_double),
        ("entropy", c_float),
        ("flags", c_uint32),
        ("silenced_start_s", c_double),
        ("silenced_end_s", c_double),
        ("log_probability", c_float),
        ("silenced_log_probability", c_float),
        ("silence_drop", c_float),
        ("boundary_start_s", c_double),
        ("boundary_end_s", c_double),
    ]


class TimedWord(Structure):
    _c_name_ = "leafx_timed_word"
    _fields_ = [
        ("struct_size", c_size_t),
        ("text", c_char_p),
        ("start_s", c_double),
        ("end_s", c_double),
        ("probability", c_float),
        ("i_segment", c_size_t),
        ("i_first_token", c_size_t),
        ("n_tokens", c_size_t),
    ]


class AttentionInput(Structure):
    _c_name_ = "leafx_attention_input"
    _fields_ = [
        ("struct_size", c_size_t),
        ("n_layers", c_int32),
        ("n_heads", c_int32),
        ("n_queries", c_size_t),
        ("n_keys", c_size_t),
        ("cross_attention", POINTER(c_float)),
        ("self_attention", POINTER(c_float)),
        ("audio_begin", c_size_t),
        ("audio_end", c_size_t),
        ("rows", POINTER(c_size_t)),
        ("n_rows", c_size_t),
        ("token_ids", POINTER(c_int32)),
        ("cross_gradients", POINTER(c_float)),
        ("self_gradients", POINTER(c_float)),
        ("ablation_deltas", POINTER(c_float)),
        ("frame_s", c_double),
        ("first_frame", c_size_t),
    ]


STRUCTS = (AudioParams, MelParams, ModelParams, ModelDescription, TranscribeParams, Segment,
           Token, ExplainParams, Word, TimedWord, AttentionInput)

_status = c_int  # leafx_status is a C enum: int-sized
_handle = c_void_p
_out_handle = POINTER(c_void_p)
_floats = POINTER(c_float)
_out_floats = POINTER(POINTER(c_float))
_size = c_size_t
_out_size = POINTER(c_size_t)

# name: (restype, argtypes), exactly the header's prototypes.
PROTOTYPES = {
    "leafx_version": (c_char_p, []),
    "leafx_version_number": (c_int, []),
    "leafx_abi_version": (c_int, []),
    "leafx_status_string": (c_char_p, [_status]),
    "leafx_last_error": (c_char_p, []),
    "leafx_audio_params_init": (_status, [POINTER(AudioParams), _size]),
    "leafx_audio_params_validate": (_status, [POINTER(AudioParams)]),
    "leafx_audio_load": (_status, [c_char_p, POINTER(AudioParams), _out_handle]),
    "leafx_audio_from_pcm": (_status, [_floats, _size, c_int32, c_int32, POINTER(AudioParams), _out_handle]),
    "leafx_audio_samples": (_status, [_handle, _out_floats, _out_size]),
    "leafx_audio_sample_rate_hz": (_status, [_handle, POINTER(c_int32)]),
    "leafx_audio_source_format": (_status, [_handle, POINTER(c_int32), POINTER(c_int32)]),
    "leafx_audio_free": (_status, [_handle]),
    "leafx_mel_params_init": (_status, [POINTER(MelParams), _size]),
    "leafx_mel_params_validate": (_status, [POINTER(MelParams)]),
    "leafx_log_mel": (_status, [_floats, _size, POINTER(MelParams), _out_handle]),
    "leafx_mel_data": (_status, [_handle, _out_floats, _out_size, _out_size]),
    "leafx_mel_free": (_status, [_handle]),
    "leafx_model_params_init": (_status, [POINTER(ModelParams), _size]),
    "leafx_model_params_validate": (_status, [POINTER(ModelParams)]),
    "leafx_model_load": (_status, [c_char_p, POINTER(ModelParams), _out_handle]),
    "leafx_model_free": (_status, [_handle]),
    "leafx_model_info": (_status, [_handle, POINTER(ModelDescription)]),
    "leafx_transcribe_params_init": (_status, [POINTER(TranscribeParams), _size]),
    "leafx_transcribe_params_validate": (_status, [POINTER(TranscribeParams)]),
    "leafx_transcribe": (_status, [_handle, _floats, _size, POINTER(TranscribeParams), _out_handle]),
    "leafx_result_text": (_status, [_handle, POINTER(c_char_p)]),
    "leafx_result_language": (_status, [_handle, POINTER(c_char_p), POINTER(c_float)]),
    "leafx_result_n_segments": (_status, [_handle, _out_size]),
    "leafx_result_segment": (_status, [_handle, _size, POINTER(Segment)]),
    "leafx_result_n_tokens": (_status, [_handle, _out_size]),
    "leafx_result_token": (_status, [_handle, _size, POINTER(Token)]),
    # char** out: declared as void* so that ctypes hands back the pointer itself (a c_char_p
    # would copy the text and lose the address leafx_string_free needs).
    "leafx_result_to_json": (_status, [_handle, POINTER(c_void_p)]),
    "leafx_string_free": (_status, [c_void_p]),
    "leafx_result_free": (_status, [_handle]),
    "leafx_explain_params_init": (_status, [POINTER(ExplainParams), _size]),
    "leafx_explain_params_validate": (_status, [POINTER(ExplainParams)]),
    "leafx_explain": (_status, [_handle, _floats, _size, POINTER(ExplainParams), _out_handle]),
    "leafx_result_token_attribution": (_status, [_handle, _size, _out_floats, _out_size, _out_size, POINTER(c_double)]),
    "leafx_result_n_words": (_status, [_handle, _out_size]),
    "leafx_result_word": (_status, [_handle, _size, POINTER(Word)]),
    "leafx_result_n_timed_words": (_status, [_handle, _out_size]),
    "leafx_result_timed_word": (_status, [_handle, _size, POINTER(TimedWord)]),
    "leafx_result_word_attribution": (_status, [_handle, _size, _out_floats, _out_size, _out_size, POINTER(c_double)]),
    "leafx_explain_attention": (_status, [POINTER(AttentionInput), POINTER(ExplainParams), _out_handle]),
    # char** out as void*, as leafx_result_to_json.
    "leafx_result_to_html": (_status, [_handle, _floats, _size, c_char_p, POINTER(c_void_p)]),
}


def declare(library):
    """Sets restype and argtypes of every prototype on a ctypes.CDLL. Raises AttributeError
    naming the first symbol the library lacks."""
    for name, (restype, argtypes) in PROTOTYPES.items():
        function = getattr(library, name)
        function.restype = restype
        function.argtypes = argtypes
    return library
