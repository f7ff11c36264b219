/*
 * leafx.h: the C interface of libleafx, token-to-time attributions for Whisper.
 *
 * leafx tells, for every token a Whisper model writes, which 20 ms frames of the
 * recording made it write that token. This header is the contract: every exported
 * symbol of libleafx.so.0 is declared here, and nothing else is exported.
 *
 * Build:   cc app.c $(pkg-config --cflags --libs leafx)
 *
 * Usage (audio front end):
 *
 *     #include <leafx.h>
 *     #include <stdio.h>
 *
 *     int main(int argc, char **argv) {
 *         leafx_audio *audio = NULL;
 *         leafx_mel *mel = NULL;
 *         const float *pcm, *features;
 *         size_t n_samples, n_mels, n_frames;
 *
 *         if (leafx_audio_load(argv[1], NULL, &audio) != LEAFX_OK) {
 *             fprintf(stderr, "leafx: %s\n", leafx_last_error());
 *             return 1;
 *         }
 *         leafx_audio_samples(audio, &pcm, &n_samples);   // 16 kHz mono
 *         if (leafx_log_mel(pcm, n_samples, NULL, &mel) == LEAFX_OK) {
 *             leafx_mel_data(mel, &features, &n_mels, &n_frames);
 *             printf("%zu samples -> %zu x %zu log-mel\n", n_samples, n_mels, n_frames);
 *         }
 *         leafx_mel_free(mel);
 *         leafx_audio_free(audio);
 *         return 0;
 *     }
 *
 * Errors. Every fallible call returns a leafx_status; LEAFX_OK (0) is success. On
 * failure, out-parameters are set to NULL or 0 and leafx_last_error() gives a message
 * naming the file, argument or offset at fault. No call aborts the process on bad input.
 *
 * Ownership. Inputs are borrowed for the duration of the call. Pointers returned by
 * accessors belong to the handle and live until the handle is freed. Anything the caller
 * owns comes from a function named _load, _from_ or _to_ (or leafx_log_mel) and has a
 * matching _free that accepts NULL.
 *
 * Handles. Handles are opaque and registered by the library: passing NULL, a freed
 * handle or a pointer that is not a leafx handle of the right kind to any call yields
 * LEAFX_ERR_MISUSE, never a crash. Freeing a handle twice is reported the same way.
 *
 * Threads. All functions may be called from any thread. A handle may be read by many
 * threads at once (the accessors do not mutate it); freeing it while another thread uses
 * it is the caller's race. leafx_last_error() is per thread.
 *
 * Parameter structs. Each params struct begins with `size_t struct_size`. Fill one with
 * leafx_<thing>_params_init(&p, sizeof p) (or the LEAFX_<THING>_PARAMS_INIT(&p) macro):
 * the library writes defaults into at most struct_size bytes and later reads at most
 * struct_size bytes back, so fields appended in later versions do not break callers
 * compiled against this one. Passing NULL params means "all defaults". A struct_size larger
 * than the library's own (a caller compiled against a newer header) is accepted while the
 * fields the library does not know hold the zeros _init wrote; once one is set, the call
 * fails with LEAFX_ERR_UNSUPPORTED rather than silently ignoring it.
 *
 * Versioning. Symbols are only ever added within an ABI version; status codes are only
 * ever appended. Check at run time that the library matches the header:
 *
 *     assert(leafx_abi_version() == LEAFX_ABI_VERSION);
 *
 * Fields, flags and symbols marked "Since 0.2" are unknown to a 0.1 library, which ignores
 * such fields without an error (the refusal above came with 0.2): a caller that may meet
 * an older library checks leafx_version_number() >= 200 before relying on them. 0.2 added
 * leafx_explain_params' ig_steps, window_frames, stride_frames, n_samples, segment_frames
 * and verify, leafx_word's silence-check fields, LEAFX_FLAG_UNCONFIRMED and
 * leafx_result_to_html.
 */
#ifndef LEAFX_H
#define LEAFX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------- */
/* Versions                                                                   */
/* ------------------------------------------------------------------------- */

#define LEAFX_VERSION_MAJOR 0
#define LEAFX_VERSION_MINOR 3
#define LEAFX_VERSION_PATCH 0
/** MAJOR*10000 + MINOR*100 + PATCH. */
#define LEAFX_VERSION_NUMBER \
    (LEAFX_VERSION_MAJOR * 10000 + LEAFX_VERSION_MINOR * 100 + LEAFX_VERSION_PATCH)
#define LEAFX_VERSION_STRING "0.3.0"
/** The ABI version; equals the number in the SONAME (libleafx.so.0). */
#define LEAFX_ABI_VERSION 0

/**
 * The library's version as "MAJOR.MINOR.PATCH".
 * Returns: static text, never NULL. Since 0.1.
 */
const char *leafx_version(void);

/**
 * The library's version as MAJOR*10000 + MINOR*100 + PATCH (compare LEAFX_VERSION_NUMBER).
 * Since 0.1.
 */
int leafx_version_number(void);

/**
 * The library's ABI version (compare LEAFX_ABI_VERSION; a mismatch means the program was
 * built against an incompatible header). Since 0.1.
 */
int leafx_abi_version(void);

/* ------------------------------------------------------------------------- */
/* Status codes and errors                                                    */
/* ------------------------------------------------------------------------- */

/**
 * Result of every fallible call. The set is closed but may grow: values are only ever
 * appended, and callers must treat any value other than LEAFX_OK as failure.
 */
typedef enum leafx_status {
    LEAFX_OK = 0,                    /**< success */
    LEAFX_ERR_INVALID_ARGUMENT = 1,  /**< an argument is out of range, NULL or malformed */
    LEAFX_ERR_MISUSE = 2,            /**< NULL, freed or foreign handle; call out of order */
    LEAFX_ERR_IO = 3,                /**< a file could not be opened or read */
    LEAFX_ERR_FORMAT = 4,            /**< a file was read but its contents are not valid */
    LEAFX_ERR_UNSUPPORTED = 5,       /**< valid input that this build cannot handle */
    LEAFX_ERR_NO_MEMORY = 6,         /**< an allocation failed or a size would overflow */
    LEAFX_ERR_INTERNAL = 7,          /**< a bug in leafx: please report the message */
    LEAFX_CANCELLED = 8              /**< the caller's abort callback asked to stop */
} leafx_status;

/**
 * A short static description of a status ("invalid argument", ...).
 * Returns: static text, never NULL; "unknown status" for values this version does not
 * know. Since 0.1.
 */
const char *leafx_status_string(leafx_status status);

/**
 * The detail message of the most recent failure on the calling thread, naming the file,
 * argument or byte offset at fault, e.g.
 * "leafx_audio_load: /tmp/x.wav: not an audio file libsndfile can read (...)".
 * Returns: text owned by the library, valid until the next leafx_ call on this thread;
 * "" if no call on this thread has failed. Successful calls do not clear it.
 * Thread-safety: per thread. Since 0.1.
 */
const char *leafx_last_error(void);

/* ------------------------------------------------------------------------- */
/* Audio                                                                      */
/* ------------------------------------------------------------------------- */

/** Decoded audio: mono float samples at a fixed rate (16 kHz by default). Opaque. */
typedef struct leafx_audio leafx_audio;

/** How audio is decoded and resampled. Fill with leafx_audio_params_init. */
typedef struct leafx_audio_params {
    /** sizeof(leafx_audio_params) as the caller compiled it; set by _init. */
    size_t struct_size;
    /** Output sample rate in Hz. Default 16000 (what Whisper expects); range 1000..384000. */
    int32_t sample_rate_hz;
    /**
     * Channel to keep, 0-based, or -1 to downmix all channels by averaging (default -1,
     * as ffmpeg's `-ac 1`, which faster-whisper uses).
     */
    int32_t channel;
} leafx_audio_params;

/**
 * Fill `params` with defaults.
 * params: the struct to fill; struct_size: sizeof *params as compiled by the caller,
 * at least sizeof(leafx_audio_params) of leafx 0.1.
 * Returns LEAFX_OK; LEAFX_ERR_INVALID_ARGUMENT if params is NULL or struct_size too small.
 * Since 0.1.
 */
leafx_status leafx_audio_params_init(leafx_audio_params *params, size_t struct_size);
#define LEAFX_AUDIO_PARAMS_INIT(p) leafx_audio_params_init((p), sizeof *(p))

/**
 * Check a filled params struct without doing any work.
 * Returns LEAFX_OK or LEAFX_ERR_INVALID_ARGUMENT naming the field at fault. Since 0.1.
 */
leafx_status leafx_audio_params_validate(const leafx_audio_params *params);

/**
 * Constructor: decode an audio file into mono float samples at params->sample_rate_hz.
 * Reads every format libsndfile reads (WAV, FLAC, OGG/Vorbis, Opus, MP3, AIFF, ...);
 * integer formats are scaled to [-1, 1); channels are downmixed by averaging (or one is
 * picked, see params); the rate is converted with soxr at high quality.
 * path: file name (UTF-8). params: NULL for defaults. out: receives the new handle.
 * Errors: LEAFX_ERR_IO (missing or unreadable file), LEAFX_ERR_FORMAT (not audio,
 * empty, or NaN/Inf samples; the message gives the sample index),
 * LEAFX_ERR_INVALID_ARGUMENT (NULL path or out, bad params).
 * Ownership: free *out with leafx_audio_free. Since 0.1.
 */
leafx_status leafx_audio_load(const char *path, const leafx_audio_params *params,
                              leafx_audio **out);

/**
 * Constructor: build audio from interleaved float PCM already in memory, converting it to
 * mono at params->sample_rate_hz exactly as leafx_audio_load does.
 * samples: n_frames * n_channels interleaved values (borrowed; copied). n_frames: frames
 * (samples per channel), may be 0. n_channels: 1..64. sample_rate_hz: the input rate,
 * 1000..384000. params: NULL for defaults.
 * Errors: LEAFX_ERR_INVALID_ARGUMENT (NULL samples with n_frames > 0, bad counts or
 * rates, NaN/Inf samples naming the index).
 * Ownership: free *out with leafx_audio_free. Since 0.1.
 */
leafx_status leafx_audio_from_pcm(const float *samples, size_t n_frames, int32_t n_channels,
                                  int32_t sample_rate_hz, const leafx_audio_params *params,
                                  leafx_audio **out);

/**
 * Accessor: the decoded samples.
 * samples: receives a pointer to n_samples floats owned by `audio` (valid until
 * leafx_audio_free). n_samples: receives the count.
 * Errors: LEAFX_ERR_MISUSE (bad handle), LEAFX_ERR_INVALID_ARGUMENT (NULL out-pointers).
 * Since 0.1.
 */
leafx_status leafx_audio_samples(const leafx_audio *audio, const float **samples,
                                 size_t *n_samples);

/**
 * Accessor: the sample rate of the decoded samples, in Hz (params->sample_rate_hz).
 * Errors: LEAFX_ERR_MISUSE, LEAFX_ERR_INVALID_ARGUMENT. Since 0.1.
 */
leafx_status leafx_audio_sample_rate_hz(const leafx_audio *audio, int32_t *sample_rate_hz);

/**
 * Accessor: the source's sample rate in Hz and channel count, before conversion.
 * Errors: LEAFX_ERR_MISUSE, LEAFX_ERR_INVALID_ARGUMENT. Since 0.1.
 */
leafx_status leafx_audio_source_format(const leafx_audio *audio, int32_t *sample_rate_hz,
                                       int32_t *n_channels);

/**
 * Destructor. Accepts NULL (no-op, LEAFX_OK). A freed or foreign pointer gives
 * LEAFX_ERR_MISUSE and is not touched. Since 0.1.
 */
leafx_status leafx_audio_free(leafx_audio *audio);

/* ------------------------------------------------------------------------- */
/* Log-mel features (Whisper's front end)                                     */
/* ------------------------------------------------------------------------- */

/** A log-mel spectrogram, [n_mels][n_frames] row-major floats. Opaque. */
typedef struct leafx_mel leafx_mel;

/** How the log-mel spectrogram is computed. Fill with leafx_mel_params_init. */
typedef struct leafx_mel_params {
    /** sizeof(leafx_mel_params) as the caller compiled it; set by _init. */
    size_t struct_size;
    /** Mel bins: 80 (default; Whisper up to large-v2) or 128 (large-v3, turbo). */
    int32_t n_mels;
    /**
     * Zero samples appended to the PCM before the STFT. Default 160 (one hop), as
     * faster-whisper's FeatureExtractor; openai-whisper appends 480000 (30 s). The output
     * has (n_samples + padding_samples) / 160 frames (integer division).
     * Range 0..480000.
     */
    int32_t padding_samples;
} leafx_mel_params;

/**
 * Fill `params` with defaults (n_mels 80, padding_samples 160).
 * Returns LEAFX_OK; LEAFX_ERR_INVALID_ARGUMENT if params is NULL or struct_size too small.
 * Since 0.1.
 */
leafx_status leafx_mel_params_init(leafx_mel_params *params, size_t struct_size);
#define LEAFX_MEL_PARAMS_INIT(p) leafx_mel_params_init((p), sizeof *(p))

/**
 * Check a filled params struct. Returns LEAFX_OK or LEAFX_ERR_INVALID_ARGUMENT naming the
 * field. Since 0.1.
 */
leafx_status leafx_mel_params_validate(const leafx_mel_params *params);

/**
 * Constructor: Whisper's log-mel spectrogram of 16 kHz mono PCM.
 * STFT with n_fft 400 (25 ms), hop 160 (10 ms), periodic Hann window, centred with
 * reflect padding; power spectrum; Slaney mel filterbank (0..8 kHz); log10 of max(x,1e-10);
 * floored at (global max - 8); (x + 4) / 4; last STFT frame dropped. 100 frames per
 * second: a 30 s Whisper window is 3000 frames (pad shorter windows with zeros, as
 * faster-whisper does).
 * pcm: n_samples floats at 16 kHz (borrowed). n_samples: may be 0. params: NULL for
 * defaults.
 * Errors: LEAFX_ERR_INVALID_ARGUMENT (NULL pcm with n_samples > 0, NaN/Inf sample naming
 * its index, bad params, more than 2^31 samples).
 * Ownership: free *out with leafx_mel_free. Since 0.1.
 */
leafx_status leafx_log_mel(const float *pcm, size_t n_samples, const leafx_mel_params *params,
                           leafx_mel **out);

/**
 * Accessor: the features.
 * data: receives n_mels * n_frames floats, row-major [n_mels][n_frames] (frame f of mel
 * bin m at data[m * n_frames + f]), owned by `mel`. n_mels, n_frames: receive the shape.
 * Frame f is centred at f * 10 ms.
 * Errors: LEAFX_ERR_MISUSE, LEAFX_ERR_INVALID_ARGUMENT (NULL out-pointers). Since 0.1.
 */
leafx_status leafx_mel_data(const leafx_mel *mel, const float **data, size_t *n_mels,
                            size_t *n_frames);

/**
 * Destructor. Accepts NULL. A freed or foreign pointer gives LEAFX_ERR_MISUSE. Since 0.1.
 */
leafx_status leafx_mel_free(leafx_mel *mel);


/* ------------------------------------------------------------------------- */
/* Models                                                                     */
/* ------------------------------------------------------------------------- */

/** A loaded Whisper model. Immutable after load: one model may be used by many threads at
    once (each call allocates its own working memory). Opaque. */
typedef struct leafx_model leafx_model;

/** Weight file formats (leafx_model_params.format). */
typedef enum leafx_model_format {
    LEAFX_FORMAT_AUTO = 0,        /**< detect from the path (default) */
    LEAFX_FORMAT_CTRANSLATE2 = 1, /**< directory with model.bin, config.json, tokenizer.json or vocabulary.txt */
    LEAFX_FORMAT_GGML = 2,        /**< whisper.cpp ggml .bin (f32, f16, q8_0, q5_0, q5_1, q4_0, q4_1) */
    LEAFX_FORMAT_SAFETENSORS = 3  /**< Hugging Face directory with model.safetensors, config.json, tokenizer.json */
} leafx_model_format;

/** How a model is loaded. Fill with leafx_model_params_init. */
typedef struct leafx_model_params {
    /** sizeof(leafx_model_params) as the caller compiled it; set by _init. */
    size_t struct_size;
    /**
     * Threads leafx computes with (matrix products, attention, element-wise passes), 1..256,
     * or 0 (default): OpenBLAS's configured count (OPENBLAS_NUM_THREADS, or all cores). The
     * count is process-wide: the last model loaded with a non-zero value sets it. leafx splits
     * the work over its own pool and sets OpenBLAS to one thread (each block's sgemm runs on
     * the thread that computes the block), which other OpenBLAS users in the process share.
     * The blocks follow the shapes, not the count, so results are the same bits on any
     * number of threads.
     */
    int32_t n_threads;
    /** A leafx_model_format; default LEAFX_FORMAT_AUTO. */
    int32_t format;
} leafx_model_params;

/**
 * Fill `params` with defaults (n_threads 0, format LEAFX_FORMAT_AUTO).
 * Returns LEAFX_OK; LEAFX_ERR_INVALID_ARGUMENT if params is NULL or struct_size too small.
 * Since 0.1.
 */
leafx_status leafx_model_params_init(leafx_model_params *params, size_t struct_size);
#define LEAFX_MODEL_PARAMS_INIT(p) leafx_model_params_init((p), sizeof *(p))

/** Check a filled params struct. Returns LEAFX_OK or LEAFX_ERR_INVALID_ARGUMENT. Since 0.1. */
leafx_status leafx_model_params_validate(const leafx_model_params *params);

/**
 * Constructor: load a Whisper model.
 * path: a CTranslate2 or Hugging Face model directory, a ggml file, or a model name
 * ("tiny.en", "base") looked up in $LEAFX_MODELS (default ~/.cache/leafx/models). The
 * files are memory-mapped, every header field, shape, dtype and offset is validated before
 * data is read, and weights are widened to float32.
 * params: NULL for defaults. out: receives the model.
 * Errors: LEAFX_ERR_IO (missing or unreadable files), LEAFX_ERR_FORMAT (malformed files:
 * the message names the file, tensor and byte offset), LEAFX_ERR_UNSUPPORTED (e.g. an
 * unknown quantisation type), LEAFX_ERR_INVALID_ARGUMENT.
 * Ownership: free *out with leafx_model_free. Since 0.1.
 */
leafx_status leafx_model_load(const char *path, const leafx_model_params *params, leafx_model **out);

/** Destructor. Accepts NULL. A freed or foreign pointer gives LEAFX_ERR_MISUSE. Since 0.1. */
leafx_status leafx_model_free(leafx_model *model);

/** A model's hyper-parameters. Set struct_size, then call leafx_model_info. */
typedef struct leafx_model_description {
    size_t struct_size;          /**< sizeof(leafx_model_description) as the caller compiled it */
    const char *name;            /**< base name of the path ("tiny.en"); owned by the model */
    const char *format;          /**< "ctranslate2", "ggml" or "safetensors"; static */
    int32_t n_mels;              /**< 80, or 128 for large-v3 and turbo */
    int32_t n_vocab;             /**< 51864 (English-only), 51865, 51866 (large-v3) */
    int32_t n_audio_ctx;         /**< encoder positions (1500 = 30 s) */
    int32_t n_audio_state;       /**< encoder width */
    int32_t n_audio_head;
    int32_t n_audio_layer;
    int32_t n_text_ctx;          /**< decoder positions (448) */
    int32_t n_text_state;        /**< decoder width */
    int32_t n_text_head;
    int32_t n_text_layer;
    int32_t is_multilingual;     /**< 1 for multilingual vocabularies, else 0 */
} leafx_model_description;

/**
 * Accessor: fill `info` (at most info->struct_size bytes) with the model's hyper-parameters.
 * Errors: LEAFX_ERR_MISUSE (bad handle), LEAFX_ERR_INVALID_ARGUMENT (NULL info or
 * struct_size too small). Since 0.1.
 */
leafx_status leafx_model_info(const leafx_model *model, leafx_model_description *info);

/* ------------------------------------------------------------------------- */
/* Transcription                                                              */
/* ------------------------------------------------------------------------- */

/** A transcription (and, later, its explanation). Used by one thread at a time. Opaque. */
typedef struct leafx_result leafx_result;

/** Whisper's task (leafx_transcribe_params.task). */
typedef enum leafx_task {
    LEAFX_TASK_TRANSCRIBE = 0,  /**< write the speech in its own language */
    LEAFX_TASK_TRANSLATE = 1    /**< write it in English */
} leafx_task;

/**
 * Progress callback: `fraction` of the recording processed in [0, 1], never lower than the
 * previous call's; `stage` a static name of what runs: "features" (the front end's pass
 * over the recording), "transcribe" (encoding and decoding a 30 s window), "explain"
 * (explaining a decoded window; leafx_explain alternates it with "transcribe" window by
 * window). Called at least once per window. Runs on the calling thread.
 */
typedef void (*leafx_progress_callback)(float fraction, const char *stage, void *user_data);

/**
 * Abort callback: return non-zero to stop; the call then returns LEAFX_CANCELLED, frees
 * what it allocated and sets no result. Polled before every decoder step (each decoded
 * token), encoder pass (masked inputs: each batch of at most 4, for specmask, lime,
 * kernelshap and verify), teacher-forced pass and backward pass, so a call stops within one
 * such step (tens of milliseconds on small models). Runs on the calling thread.
 */
typedef int (*leafx_abort_callback)(void *user_data);

/**
 * How audio is transcribed. Fill with leafx_transcribe_params_init; the defaults are
 * faster-whisper's `transcribe()` defaults
 * (https://github.com/SYSTRAN/faster-whisper/blob/v1.2.1/faster_whisper/transcribe.py).
 */
typedef struct leafx_transcribe_params {
    size_t struct_size;                 /**< set by _init */
    /** Language code ("en", "de", ...) or NULL (default) to detect it on the first 30 s. */
    const char *language;
    int32_t task;                       /**< a leafx_task; default LEAFX_TASK_TRANSCRIBE */
    int32_t beam_size;                  /**< 1..64; default 5 (1 = greedy) */
    float patience;                     /**< beam patience, (0, 16]; default 1 */
    int32_t best_of;                    /**< samples per temperature > 0, 1..64; default 5 */
    float length_penalty;               /**< beam score = sum log p / length^penalty; default 1 */
    /** Fallback temperatures tried in order (borrowed); NULL: 0, 0.2, 0.4, 0.6, 0.8, 1.0. */
    const float *temperatures;
    size_t n_temperatures;              /**< 1..32 when temperatures is not NULL */
    float compression_ratio_threshold;  /**< default 2.4; NAN disables the check */
    float log_prob_threshold;           /**< default -1.0; NAN disables the check */
    float no_speech_threshold;          /**< default 0.6; NAN disables silence skipping */
    int32_t condition_on_previous_text; /**< 0 or 1; default 1 */
    int32_t without_timestamps;         /**< 0 or 1; default 0 (timestamps delimit segments) */
    float max_initial_timestamp_s;      /**< latest first timestamp, seconds; default 1.0 */
    int32_t suppress_blank;             /**< 0 or 1; default 1 */
    /** Text that primes the first window (openai-whisper's initial_prompt) or NULL. */
    const char *initial_prompt;
    uint64_t seed;                      /**< sampler seed for temperatures > 0; default 0 */
    leafx_progress_callback progress;   /**< NULL (default) or a callback */
    void *progress_user_data;
    leafx_abort_callback abort;         /**< NULL (default) or a callback */
    void *abort_user_data;
    /**
     * 0 (default) or 1: time every word (since 0.3). The transcript is the same; one
     * teacher-forced pass per window over what was decoded gives the default `leafx`
     * attributions, from which each word's start and end are segmented (contiguous, in
     * order, not overlapping). Read them with leafx_result_n_timed_words and
     * leafx_result_timed_word; the result also answers the explanation accessors (tokens'
     * and words' attributions, method leafx).
     */
    int32_t word_timestamps;
} leafx_transcribe_params;

/**
 * Fill `params` with faster-whisper's defaults.
 * Returns LEAFX_OK; LEAFX_ERR_INVALID_ARGUMENT if params is NULL or struct_size too small.
 * Since 0.1.
 */
leafx_status leafx_transcribe_params_init(leafx_transcribe_params *params, size_t struct_size);
#define LEAFX_TRANSCRIBE_PARAMS_INIT(p) leafx_transcribe_params_init((p), sizeof *(p))

/** Check a filled params struct. Returns LEAFX_OK or LEAFX_ERR_INVALID_ARGUMENT naming the
    field. Since 0.1. */
leafx_status leafx_transcribe_params_validate(const leafx_transcribe_params *params);

/**
 * Constructor: transcribe 16 kHz mono PCM with Whisper's long-form algorithm (30 s windows,
 * temperature fallback, no-speech skipping, conditioning on previous text).
 * model: a loaded model. pcm: n_samples floats at 16 kHz (borrowed), e.g. from
 * leafx_audio_samples. params: NULL for defaults. out: receives the result.
 * Errors: LEAFX_ERR_MISUSE (bad model handle), LEAFX_ERR_INVALID_ARGUMENT (NULL pcm with
 * n_samples > 0, NaN/Inf samples, bad params, unknown language), LEAFX_CANCELLED.
 * Ownership: free *out with leafx_result_free.
 * Thread-safety: many threads may transcribe with one model at once. Since 0.1.
 */
leafx_status leafx_transcribe(const leafx_model *model, const float *pcm, size_t n_samples,
                              const leafx_transcribe_params *params, leafx_result **out);

/**
 * Accessor: the whole text (UTF-8, owned by the result).
 * Errors: LEAFX_ERR_MISUSE, LEAFX_ERR_INVALID_ARGUMENT. Since 0.1.
 */
leafx_status leafx_result_text(const leafx_result *result, const char **text);

/**
 * Accessor: the language code ("en"; owned by the result) and its detection probability
 * (1 when the language was given or the model is English-only).
 * probability may be NULL. Errors: LEAFX_ERR_MISUSE, LEAFX_ERR_INVALID_ARGUMENT. Since 0.1.
 */
leafx_status leafx_result_language(const leafx_result *result, const char **code, float *probability);

/** Accessor: number of segments. Since 0.1. */
leafx_status leafx_result_n_segments(const leafx_result *result, size_t *n_segments);

/** One segment of a result. Set struct_size, then call leafx_result_segment. */
typedef struct leafx_segment {
    size_t struct_size;       /**< sizeof(leafx_segment) as the caller compiled it */
    double start_s;           /**< start, seconds from the start of the audio */
    double end_s;             /**< end, seconds */
    const char *text;         /**< UTF-8, owned by the result */
    size_t i_first_token;     /**< index of its first token in leafx_result_token's numbering */
    size_t n_tokens;          /**< its tokens (text tokens; timestamp tokens are not listed) */
    float avg_logprob;        /**< mean log-probability of the window it was decoded in */
    float no_speech_prob;     /**< P(no speech) of that window */
    float temperature;        /**< temperature the window was decoded at */
    float compression_ratio;  /**< gzip compression ratio of the window's text */
} leafx_segment;

/**
 * Accessor: segment `i_segment` (< n_segments) into `segment`.
 * Errors: LEAFX_ERR_MISUSE, LEAFX_ERR_INVALID_ARGUMENT (index out of range, NULL or too
 * small struct). Since 0.1.
 */
leafx_status leafx_result_segment(const leafx_result *result, size_t i_segment, leafx_segment *segment);

/** Accessor: number of text tokens (timestamp and other special tokens excluded). Since 0.1. */
leafx_status leafx_result_n_tokens(const leafx_result *result, size_t *n_tokens);

/** One token of a result. Set struct_size, then call leafx_result_token. */
typedef struct leafx_token {
    size_t struct_size;   /**< sizeof(leafx_token) as the caller compiled it */
    int32_t id;           /**< vocabulary id */
    const char *text;     /**< its text (UTF-8; a token may hold part of a character), owned by the result */
    float probability;    /**< probability the decoder gave it */
    size_t i_segment;     /**< the segment it belongs to */
    /* Explanation figures (explained results and transcriptions with word_timestamps;
       NAN / 0 for a plain transcription). */
    double peak_s;        /**< centre of the heaviest frame of its attribution, seconds */
    double start_s;       /**< smallest contiguous span holding half the attribution: start, seconds */
    double end_s;         /**< ... and end, seconds */
    float entropy;        /**< normalised entropy of the attribution, 0 (one frame) .. 1 (uniform) */
    float padding_mass;   /**< share of the raw last-layer cross-attention on padding frames */
    uint32_t flags;       /**< LEAFX_FLAG_* audit warnings (warnings, not verdicts) */
} leafx_token;

/** leafx_token.flags / leafx_word.flags: the attribution is spread out (normalised entropy > 0.85). */
#define LEAFX_FLAG_DIFFUSE 1u
/** The attribution peaks > 2 s from both neighbours', or the attention sat mostly on padding. */
#define LEAFX_FLAG_WEAK_SUPPORT 2u
/** leafx_word.flags, with params->verify only: silencing the span its attribution points at
    did not halve the word's probability (silence_drop < ln 2). Since 0.2. */
#define LEAFX_FLAG_UNCONFIRMED 4u

/**
 * Accessor: token `i_token` (< n_tokens) into `token`.
 * Errors: LEAFX_ERR_MISUSE, LEAFX_ERR_INVALID_ARGUMENT. Since 0.1.
 */
leafx_status leafx_result_token(const leafx_result *result, size_t i_token, leafx_token *token);

/**
 * Render the result as JSON (the schema of `leafx transcribe --format json`).
 * No absolute path of the machine goes into it: "model": {"path"} is the name of the model's
 * directory or file ("tiny.en"), as leafx writes it without --full-paths, and
 * "audio": {"path"} is null (the library is given samples, not a file). There is no switch
 * for full paths; a caller that wants them has them (it gave leafx_model_load the path).
 * json: receives a NUL-terminated UTF-8 string the caller frees with leafx_string_free.
 * Errors: LEAFX_ERR_MISUSE, LEAFX_ERR_INVALID_ARGUMENT. Since 0.1.
 */
leafx_status leafx_result_to_json(const leafx_result *result, char **json);

/**
 * Free a string returned by leafx (leafx_result_to_json, leafx_result_to_html). Accepts NULL.
 * A pointer leafx did not return (or already freed) gives LEAFX_ERR_MISUSE and is not
 * touched. Since 0.1.
 */
leafx_status leafx_string_free(char *string);

/** Destructor. Accepts NULL. A freed or foreign pointer gives LEAFX_ERR_MISUSE. Since 0.1. */
leafx_status leafx_result_free(leafx_result *result);

/* ------------------------------------------------------------------------- */
/* Explanations                                                               */
/* ------------------------------------------------------------------------- */

/** Rollout depth (leafx_explain_params.depth). */
typedef enum leafx_depth {
    LEAFX_DEPTH_FULL = 0,         /**< every decoder layer */
    LEAFX_DEPTH_LAST_HALF = 1,    /**< layers L/2 .. L-1 */
    LEAFX_DEPTH_MIDDLE_HALF = 2,  /**< layers L/4 .. L/4 + L/2 - 1 */
    LEAFX_DEPTH_ONE = 3,          /**< the last layer only */
    /** The method's own default (params default): the last third for "leafx", "leafx-grad",
        "leafx-causal" and its ablations except "leafx-causal-one-layer" (the last layer);
        every layer for the "leafx-paper*" methods, "rollout", "grad-rollout". */
    LEAFX_DEPTH_DEFAULT = 4,
    LEAFX_DEPTH_LAST_THIRD = 5    /**< the last ceil(L/3) layers */
} leafx_depth;

/** How tokens are explained. Fill with leafx_explain_params_init. */
typedef struct leafx_explain_params {
    size_t struct_size;               /**< set by _init */
    /**
     * Method name (static or caller-owned for the call): "leafx" (default), "leafx-grad",
     * "leafx-causal", "leafx-paper", "leafx-paper-grad", "leafx-paper-causal", "raa",
     * "raa-mean", "rollout", "grad-rollout", "random", "ig" (integrated gradients on the
     * log-mel), "ta" (Transformer Attribution, adapted), "specmask", "lime", "kernelshap";
     * the ablations of "leafx-causal": "leafx-causal-mean-heads", "leafx-causal-one-layer",
     * "leafx-causal-no-grad", "leafx-causal-no-footprint". "ig", "ta", "specmask", "lime" and "kernelshap" need leafx's
     * own model (leafx_explain_attention refuses them with LEAFX_ERR_UNSUPPORTED).
     */
    const char *method;
    /** A transcript to explain instead of decoding (forced mode; audio <= 30 s), or NULL. */
    const char *text;
    float tau;                        /**< entropy temperature, > 0; default 1 */
    float epsilon;                    /**< entropy/causal-weight epsilon, (0, 1); default 1e-8 */
    int32_t depth;                    /**< a leafx_depth; default LEAFX_DEPTH_DEFAULT */
    uint64_t seed;                    /**< seed of the "random" method; default 0 */
    /**
     * How audio is decoded before it is explained, or NULL (default) for greedy decoding
     * without timestamps (beam_size 1, without_timestamps 1), the reference convention.
     * In forced mode only its language and task are used.
     */
    const leafx_transcribe_params *transcribe;
    leafx_progress_callback progress; /**< NULL or a callback (stages "features", "transcribe", "explain") */
    void *progress_user_data;
    leafx_abort_callback abort;       /**< NULL or a callback */
    void *abort_user_data;
    /**
     * Quadrature nodes of the "ig" method (Gauss–Legendre on [0, 1]; each node costs one
     * encoder forward plus one decoder and one encoder backward per token); 1...1024;
     * default 32. Ignored by other methods. Since 0.2: a 0.1-sized struct gets 32.
     */
    int32_t ig_steps;
    /* Perturbation methods ("specmask", "lime", "kernelshap"), since 0.2; a struct_size
       without them takes the defaults. */
    /** "specmask": frames (20 ms) silenced per occluding window, 1..1500; default 10 (200 ms). */
    int32_t window_frames;
    /** "specmask": frames between window starts, 1..window_frames; default 5. */
    int32_t stride_frames;
    /** "lime", "kernelshap": masked inputs scored per 30 s window, 2..100000; default 200.
        Also seeded by `seed`. */
    int32_t n_samples;
    /** "lime", "kernelshap": frames per feature segment, 1..1500; default 5 (100 ms). */
    int32_t segment_frames;
    /**
     * Nonzero: check each word by silencing the audio its attribution points at (the
     * half-mass span widened by 100 ms), scoring the word again with the text held fixed:
     * one masked encoder pass per word. Fills leafx_word's silenced_* fields and sets
     * LEAFX_FLAG_UNCONFIRMED on words whose probability is not halved. Default 0.
     * leafx_explain_attention refuses it (LEAFX_ERR_UNSUPPORTED). Since 0.2.
     */
    int32_t verify;
} leafx_explain_params;

/**
 * Fill `params` with defaults (method "leafx", tau 1, epsilon 1e-8, the method's own depth
 * LEAFX_DEPTH_DEFAULT; window 10, stride 5, 200 samples, segments of 5 frames).
 * Returns LEAFX_OK; LEAFX_ERR_INVALID_ARGUMENT if params is NULL or struct_size too small.
 * Since 0.1.
 */
leafx_status leafx_explain_params_init(leafx_explain_params *params, size_t struct_size);
#define LEAFX_EXPLAIN_PARAMS_INIT(p) leafx_explain_params_init((p), sizeof *(p))

/** Check a filled params struct (method name, tau, epsilon, depth, nested transcribe
    params, window_frames, stride_frames, n_samples, segment_frames). Returns LEAFX_OK or LEAFX_ERR_INVALID_ARGUMENT naming the field. Since 0.1. */
leafx_status leafx_explain_params_validate(const leafx_explain_params *params);

/**
 * Constructor: decode 16 kHz mono PCM (or take params->text) and attribute every written
 * token and word to the audio's 20 ms frames, with the method params->method names.
 * The result has the transcription accessors plus leafx_result_token_attribution,
 * leafx_result_n_words, leafx_result_word and leafx_result_word_attribution.
 * Errors: LEAFX_ERR_MISUSE, LEAFX_ERR_INVALID_ARGUMENT (bad params, unknown method, tau <= 0,
 * empty forced text, a forced text longer than the decoder context), LEAFX_ERR_UNSUPPORTED
 * (forced mode on audio longer than 30 s), LEAFX_CANCELLED.
 * Ownership: free *out with leafx_result_free.
 * Thread-safety: many threads may explain with one model at once. Since 0.1.
 */
leafx_status leafx_explain(const leafx_model *model, const float *pcm, size_t n_samples,
                           const leafx_explain_params *params, leafx_result **out);

/**
 * Accessor: the attribution of token `i_token` of an explained result.
 * values: receives n_frames non-negative floats summing to 1, owned by the result; value i
 * is the share of frame first_frame + i, which covers [(first_frame + i) * frame_s,
 * (first_frame + i + 1) * frame_s) seconds of the whole recording.
 * first_frame, frame_s may be NULL.
 * Errors: LEAFX_ERR_MISUSE (bad handle, or a result that was not explained),
 * LEAFX_ERR_INVALID_ARGUMENT (index out of range, NULL values/n_frames). Since 0.1.
 */
leafx_status leafx_result_token_attribution(const leafx_result *result, size_t i_token, const float **values,
                                            size_t *n_frames, size_t *first_frame, double *frame_s);

/** Accessor: number of words of an explained result, or of a transcription with
    word_timestamps (0 for a plain transcription). Since 0.1. */
leafx_status leafx_result_n_words(const leafx_result *result, size_t *n_words);

/** One word of an explained result: tokens grouped as Whisper groups them. */
typedef struct leafx_word {
    size_t struct_size;     /**< sizeof(leafx_word) as the caller compiled it */
    const char *text;       /**< the word without its leading space, owned by the result */
    size_t i_first_token;   /**< its first token */
    size_t n_tokens;
    float probability;      /**< mean of its tokens' probabilities */
    double peak_s;          /**< as leafx_token */
    double start_s;
    double end_s;
    float entropy;
    uint32_t flags;         /**< LEAFX_FLAG_* */
    /* With leafx_explain_params.verify (since 0.2; NAN when the word was not
       checked): the span silenced, seconds, and the word's log-probability (sum over its
       tokens) with all the audio and with the span silenced; silence_drop is their
       difference, in nats. */
    double silenced_start_s;
    double silenced_end_s;
    float log_probability;
    float silenced_log_probability;
    float silence_drop;
    /* Since 0.3: where the word starts and ends in the audio, seconds, segmented from the
       attributions of its window (contiguous, in order, not overlapping other words; equal
       for punctuation, which has no sound of its own). start_s/end_s above are the half-mass
       span of its attribution, which may overlap its neighbours'. */
    double boundary_start_s;
    double boundary_end_s;
} leafx_word;

/** Accessor: word `i_word` into `word` (set word->struct_size first). Since 0.1. */
leafx_status leafx_result_word(const leafx_result *result, size_t i_word, leafx_word *word);

/** A word with its time, as a transcription with word timestamps lists it (faster-whisper's
    Word): punctuation joined to the word it closes or opens. Since 0.3. */
typedef struct leafx_timed_word {
    size_t struct_size;     /**< sizeof(leafx_timed_word) as the caller compiled it */
    const char *text;       /**< with its leading space (" Americans,"), owned by the result */
    double start_s;         /**< where it starts and ends, seconds from the recording's start */
    double end_s;
    float probability;      /**< mean of its tokens' probabilities */
    size_t i_segment;       /**< the segment of its first token */
    size_t i_first_token;   /**< its tokens: i_first_token ... + n_tokens - 1 */
    size_t n_tokens;
} leafx_timed_word;

/** Accessor: number of timed words: those of leafx_transcribe_params.word_timestamps, or of
    any leafx_explain result (timed from its method's attributions); 0 for a plain
    transcription. Since 0.3. */
leafx_status leafx_result_n_timed_words(const leafx_result *result, size_t *n_words);

/** Accessor: timed word `i_word` into `word` (set word->struct_size first). Errors:
    LEAFX_ERR_INVALID_ARGUMENT (index out of range, NULL word). Since 0.3. */
leafx_status leafx_result_timed_word(const leafx_result *result, size_t i_timed_word, leafx_timed_word *word);

/** Accessor: the attribution of word `i_word` (the renormalised sum of its tokens'), as
    leafx_result_token_attribution. Since 0.1. */
leafx_status leafx_result_word_attribution(const leafx_result *result, size_t i_word, const float **values,
                                           size_t *n_frames, size_t *first_frame, double *frame_s);

/**
 * Render an explained result as the HTML report of `leafx explain --format html`: one
 * self-contained page (the spectrogram, the transcript shaded by how well each word is
 * grounded, the tokens x time heatmap, the audit flags, and the audio embedded as WAV), about
 * 45 kB per second of audio plus the attributions.
 * pcm, n_samples: the audio that was explained, exactly as given to leafx_explain (borrowed;
 * the result does not keep it). audio_path: its file, shown as the page's title and stored in
 * the page's JSON by its file name, or NULL ("audio").
 * html: receives a NUL-terminated UTF-8 string the caller frees with leafx_string_free.
 * Errors: LEAFX_ERR_MISUSE (bad handle, or a result that leafx_explain did not make),
 * LEAFX_ERR_INVALID_ARGUMENT (NULL html, NULL pcm with n_samples > 0, n_samples other than
 * the explained count, NaN/Inf samples). Since 0.2.
 */
leafx_status leafx_result_to_html(const leafx_result *result, const float *pcm, size_t n_samples,
                                  const char *audio_path, char **html);

/**
 * Attention captured by another engine, for leafx_explain_attention: how a stack that runs its
 * own model (whisper.cpp, ONNX, a decoder-only speech LLM) gets attributions without leafx
 * running the model. Arrays are row-major float32, borrowed for the call. Set struct_size to
 * sizeof(leafx_attention_input) and fill every field (zero the optional ones).
 */
typedef struct leafx_attention_input {
    size_t struct_size;
    int32_t n_layers;               /**< L decoder layers */
    int32_t n_heads;                /**< H heads per layer */
    size_t n_queries;               /**< T decoder positions (the query axis) */
    size_t n_keys;                  /**< K: length of the cross-attention key axis */
    /** [L][H][T][K] attention probabilities of the queries over the key axis (required). */
    const float *cross_attention;
    /** [L][H][T][T] decoder self-attention probabilities, or NULL (treated as identity:
        no mixing between positions, so rollout reduces to a sum over layers). */
    const float *self_attention;
    /** Keys [audio_begin, audio_end) are the audio frames (for a decoder-only speech LLM,
        the audio pseudo-tokens); audio_end 0 means K. The rest counts as padding. */
    size_t audio_begin;
    size_t audio_end;
    /** Explained rows: the query positions whose logits predicted each explained token. */
    const size_t *rows;
    size_t n_rows;
    /** Optional [n_rows] ids of the explained tokens (for output); NULL gives -1. */
    const int32_t *token_ids;
    /** Optional gradients of each explained token's log-probability with respect to the
        attention: [n_rows][L][H][T][K] and [n_rows][L][H][T][T] (self may be NULL when
        cross is given). Required by the -grad and -causal methods and grad-rollout. */
    const float *cross_gradients;
    const float *self_gradients;
    /** Optional [L][n_rows] increases of each token's NLL when layer l's cross-attention is
        knocked out, the other layers kept. Required by the -causal methods, each with its
        own ablation: "leafx-paper-causal" zeroes the layer's cross-attention output, the
        residual path kept; "leafx-causal" and its ablations replace, per head, row t of the
        layer's cross-attention probabilities by the mean of rows 0..t. */
    const float *ablation_deltas;
    /** Duration of one key frame in seconds (0.02 for Whisper). */
    double frame_s;
    /** Index of the first audio frame on the caller's timeline (for first_frame). */
    size_t first_frame;
} leafx_attention_input;

/**
 * Constructor: LEAF-X, or any other method of leafx_explain_params.method, on attention
 * captured in another engine (forced mode needs leafx's own engine: params->text must be
 * NULL). The
 * result's tokens are the explained rows, with the attribution accessors; it has no text,
 * segments or words. params: only method, tau, epsilon, depth and seed are used.
 * Errors: LEAFX_ERR_INVALID_ARGUMENT naming the field (NULL arrays, zero or inconsistent
 * sizes, rows out of range, an audio range outside the key axis, missing gradients or
 * ablation deltas for the method, non-finite values), LEAFX_ERR_MISUSE.
 * Ownership: free *out with leafx_result_free. Thread-safe. Since 0.1.
 */
leafx_status leafx_explain_attention(const leafx_attention_input *input, const leafx_explain_params *params,
                                     leafx_result **out);

#ifdef __cplusplus
}
#endif

#endif /* LEAFX_H */
