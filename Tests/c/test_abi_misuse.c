/* C driver of ABI misuse (complements test_abi.c, which covers the audio and log-mel calls):
   every handle-taking call with NULL, foreign, wrong-kind and freed handles; calls on the NULL
   left by a failed load; NULL out-pointers; params and out structs of wrong sizes; indices
   out of range; hostile strings. Each must return a status and a message, never crash.

   usage: test_abi_misuse MODEL_DIR   (any loadable model; the bad-input suite passes a tiny
                                      synthetic one so this also runs quickly under ASan) */
#include <leafx.h>

#include <stddef.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static float pcm[16000];

/* The handle-taking calls on `model` and `result`, which must all report misuse naming
   `needle` (each call's out-parameters must be cleared). */
static void expect_model_misuse(const leafx_model *model, const char *needle, const char *what) {
    leafx_result *result = (leafx_result *)0x1;
    printf("# %s\n", what);
    CHECK_ERROR(leafx_transcribe(model, pcm, 16000, NULL, &result), LEAFX_ERR_MISUSE, needle);
    CHECK(result == NULL, "transcribe cleared *out");
    result = (leafx_result *)0x1;
    CHECK_ERROR(leafx_explain(model, pcm, 16000, NULL, &result), LEAFX_ERR_MISUSE, needle);
    CHECK(result == NULL, "explain cleared *out");
    leafx_model_description info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    CHECK_ERROR(leafx_model_info(model, &info), LEAFX_ERR_MISUSE, needle);
}

static void expect_result_misuse(const leafx_result *result, const char *needle, const char *what) {
    printf("# %s\n", what);
    const char *text = "x";
    size_t n = 9;
    float probability = 1;
    CHECK_ERROR(leafx_result_text(result, &text), LEAFX_ERR_MISUSE, needle);
    CHECK(text == NULL, "text cleared");
    CHECK_ERROR(leafx_result_language(result, &text, &probability), LEAFX_ERR_MISUSE, needle);
    CHECK_ERROR(leafx_result_n_segments(result, &n), LEAFX_ERR_MISUSE, needle);
    CHECK(n == 0, "count cleared");
    leafx_segment segment = {.struct_size = sizeof segment};
    CHECK_ERROR(leafx_result_segment(result, 0, &segment), LEAFX_ERR_MISUSE, needle);
    CHECK_ERROR(leafx_result_n_tokens(result, &n), LEAFX_ERR_MISUSE, needle);
    leafx_token token = {.struct_size = sizeof token};
    CHECK_ERROR(leafx_result_token(result, 0, &token), LEAFX_ERR_MISUSE, needle);
    char *json = (char *)0x1;
    CHECK_ERROR(leafx_result_to_json(result, &json), LEAFX_ERR_MISUSE, needle);
    CHECK(json == NULL, "json cleared");
    const float *values = (const float *)0x1;
    size_t n_frames = 3;
    CHECK_ERROR(leafx_result_token_attribution(result, 0, &values, &n_frames, NULL, NULL), LEAFX_ERR_MISUSE, needle);
    CHECK(values == NULL && n_frames == 0, "attribution outputs cleared");
    CHECK_ERROR(leafx_result_n_words(result, &n), LEAFX_ERR_MISUSE, needle);
    leafx_word word = {.struct_size = sizeof word};
    CHECK_ERROR(leafx_result_word(result, 0, &word), LEAFX_ERR_MISUSE, needle);
    CHECK_ERROR(leafx_result_word_attribution(result, 0, &values, &n_frames, NULL, NULL), LEAFX_ERR_MISUSE, needle);
    CHECK_ERROR(leafx_result_n_timed_words(result, &n), LEAFX_ERR_MISUSE, needle);
    CHECK(n == 0, "count cleared");
    leafx_timed_word timed = {.struct_size = sizeof timed};
    CHECK_ERROR(leafx_result_timed_word(result, 0, &timed), LEAFX_ERR_MISUSE, needle);
    char *html = (char *)0x1;
    CHECK_ERROR(leafx_result_to_html(result, pcm, 16000, NULL, &html), LEAFX_ERR_MISUSE, needle);
    CHECK(html == NULL, "html cleared");
}

static void test_failed_load(void) {
    leafx_model *model = (leafx_model *)0x1;
    CHECK_ERROR(leafx_model_load("/nonexistent/model-dir", NULL, &model), LEAFX_ERR_IO, "model-dir");
    CHECK(model == NULL, "a failed load leaves *out NULL");
    /* The caller forgets to check the status and carries on with the NULL. */
    expect_model_misuse(model, "NULL", "calls after a failed load");
    CHECK(leafx_model_free(model) == LEAFX_OK, "leafx_model_free(NULL) is a no-op");
    CHECK_ERROR(leafx_model_load(NULL, NULL, &model), LEAFX_ERR_INVALID_ARGUMENT, "path");
    CHECK_ERROR(leafx_model_load("/nonexistent", NULL, NULL), LEAFX_ERR_INVALID_ARGUMENT, "out");
    CHECK_ERROR(leafx_model_load("", NULL, &model), LEAFX_ERR_INVALID_ARGUMENT, "path");
}

static void test_foreign_handles(const leafx_model *model, leafx_audio *audio) {
    int on_stack = 7;
    void *on_heap = malloc(64);
    memset(on_heap, 0xAB, 64);
    expect_model_misuse((const leafx_model *)&on_stack, "leafx_model", "a stack address as a model");
    expect_model_misuse((const leafx_model *)on_heap, "leafx_model", "a heap block as a model");
    expect_model_misuse((const leafx_model *)(uintptr_t)1, "leafx_model", "(leafx_model *)1");
    expect_model_misuse((const leafx_model *)((const char *)model + 1), "leafx_model", "a misaligned model pointer");
    expect_model_misuse((const leafx_model *)audio, "leafx_model", "an audio handle as a model");
    expect_result_misuse(NULL, "NULL", "NULL result");
    expect_result_misuse((const leafx_result *)on_heap, "leafx_result", "a heap block as a result");
    expect_result_misuse((const leafx_result *)model, "leafx_result", "a model as a result");
    expect_result_misuse((const leafx_result *)(uintptr_t)UINTPTR_MAX, "leafx_result", "(leafx_result *)-1");
    CHECK_ERROR(leafx_model_free((leafx_model *)on_heap), LEAFX_ERR_MISUSE, "leafx_model");
    CHECK_ERROR(leafx_result_free((leafx_result *)model), LEAFX_ERR_MISUSE, "leafx_result");
    CHECK_ERROR(leafx_model_free((leafx_model *)audio), LEAFX_ERR_MISUSE, "leafx_model");
    CHECK_ERROR(leafx_audio_free((leafx_audio *)model), LEAFX_ERR_MISUSE, "leafx_audio");
    CHECK_ERROR(leafx_mel_free((leafx_mel *)model), LEAFX_ERR_MISUSE, "leafx_mel");
    CHECK_ERROR(leafx_string_free((char *)on_heap), LEAFX_ERR_MISUSE, "string");
    free(on_heap);
}

static void test_freed_handles(const char *model_dir) {
    leafx_model *model = NULL;
    CHECK(leafx_model_load(model_dir, NULL, &model) == LEAFX_OK, "second model loads [%s]", leafx_last_error());
    leafx_result *result = NULL;
    CHECK(leafx_explain(model, pcm, 16000, NULL, &result) == LEAFX_OK, "explain [%s]", leafx_last_error());
    char *json = NULL;
    CHECK(leafx_result_to_json(result, &json) == LEAFX_OK && json, "json");
    CHECK(leafx_string_free(json) == LEAFX_OK, "string free");
    CHECK_ERROR(leafx_string_free(json), LEAFX_ERR_MISUSE, "string");
    /* The report needs the audio that was explained: the same number of samples. */
    char *html = NULL;
    CHECK_ERROR(leafx_result_to_html(result, pcm, 8000, "a.wav", &html), LEAFX_ERR_INVALID_ARGUMENT, "n_samples");
    CHECK(html == NULL, "html cleared");
    CHECK_ERROR(leafx_result_to_html(result, NULL, 16000, "a.wav", &html), LEAFX_ERR_INVALID_ARGUMENT, "pcm");
    CHECK_ERROR(leafx_result_to_html(result, pcm, 16000, "a.wav", NULL), LEAFX_ERR_INVALID_ARGUMENT, "html");
    CHECK(leafx_result_to_html(result, pcm, 16000, "a.wav", &html) == LEAFX_OK && html &&
              strstr(html, "<!DOCTYPE html>") && strstr(html, "a.wav"),
          "html [%s]", leafx_last_error());
    CHECK(leafx_string_free(html) == LEAFX_OK, "html free");
    CHECK(leafx_result_free(result) == LEAFX_OK, "result free");
    expect_result_misuse(result, "leafx_result", "a freed result");
    CHECK_ERROR(leafx_result_free(result), LEAFX_ERR_MISUSE, "double free");
    CHECK(leafx_model_free(model) == LEAFX_OK, "model free");
    expect_model_misuse(model, "leafx_model", "a freed model");
    CHECK_ERROR(leafx_model_free(model), LEAFX_ERR_MISUSE, "double free");
}

static void test_struct_sizes(const leafx_model *model) {
    /* Params structs: too small, absurd, and the newer-caller case. */
    leafx_model_params mp;
    CHECK_ERROR(leafx_model_params_init(&mp, 0), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    CHECK_ERROR(leafx_model_params_init(NULL, sizeof mp), LEAFX_ERR_INVALID_ARGUMENT, "params");
    LEAFX_MODEL_PARAMS_INIT(&mp);
    mp.struct_size = 1;
    leafx_model *loaded = (leafx_model *)0x1;
    CHECK_ERROR(leafx_model_load("/nonexistent", &mp, &loaded), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    CHECK(loaded == NULL, "*out cleared");
    mp.struct_size = (size_t)1 << 40;
    CHECK_ERROR(leafx_model_params_validate(&mp), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    LEAFX_MODEL_PARAMS_INIT(&mp);
    mp.n_threads = -3;
    CHECK_ERROR(leafx_model_params_validate(&mp), LEAFX_ERR_INVALID_ARGUMENT, "n_threads");
    mp.n_threads = 0;
    mp.format = 77;
    CHECK_ERROR(leafx_model_params_validate(&mp), LEAFX_ERR_INVALID_ARGUMENT, "format");

    leafx_transcribe_params tp;
    /* One byte short of the smallest struct a caller can have compiled (0.1's and 0.2's, which
       end before word_timestamps). */
    CHECK_ERROR(leafx_transcribe_params_init(&tp, offsetof(leafx_transcribe_params, word_timestamps) - 1),
                LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    LEAFX_TRANSCRIBE_PARAMS_INIT(&tp);
    tp.struct_size = sizeof(size_t);
    leafx_result *result = (leafx_result *)0x1;
    CHECK_ERROR(leafx_transcribe(model, pcm, 16000, &tp, &result), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    CHECK(result == NULL, "*out cleared");

    leafx_explain_params ep;
    CHECK_ERROR(leafx_explain_params_init(&ep, 0), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    LEAFX_EXPLAIN_PARAMS_INIT(&ep);
    ep.struct_size = 0;
    CHECK_ERROR(leafx_explain(model, pcm, 16000, &ep, &result), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    /* A nested transcribe params struct of the wrong size is named as such. */
    LEAFX_EXPLAIN_PARAMS_INIT(&ep);
    LEAFX_TRANSCRIBE_PARAMS_INIT(&tp);
    tp.struct_size = 2;
    ep.transcribe = &tp;
    CHECK_ERROR(leafx_explain(model, pcm, 16000, &ep, &result), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");

    /* Out structs: the caller's struct_size decides how much is written. */
    leafx_model_description info;
    memset(&info, 0, sizeof info);
    CHECK_ERROR(leafx_model_info(model, &info), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    info.struct_size = sizeof info - 4;
    CHECK_ERROR(leafx_model_info(model, &info), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    info.struct_size = (size_t)1 << 32;
    CHECK_ERROR(leafx_model_info(model, &info), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    CHECK_ERROR(leafx_model_info(model, NULL), LEAFX_ERR_INVALID_ARGUMENT, "info");
    /* A newer caller's larger struct: our fields are written, its tail is left alone. */
    struct { leafx_model_description base; uint64_t future; } newer;
    memset(&newer, 0, sizeof newer);
    newer.base.struct_size = sizeof newer;
    newer.future = 0x1234;
    CHECK(leafx_model_info(model, &newer.base) == LEAFX_OK && newer.base.struct_size == sizeof newer &&
          newer.future == 0x1234 && newer.base.n_mels > 0, "larger description struct accepted");

    CHECK(leafx_transcribe(model, pcm, 16000, NULL, &result) == LEAFX_OK, "transcribe [%s]", leafx_last_error());
    leafx_token token;
    memset(&token, 0, sizeof token);
    size_t n_tokens = 0;
    leafx_result_n_tokens(result, &n_tokens);
    CHECK_ERROR(leafx_result_token(result, 0, &token), LEAFX_ERR_INVALID_ARGUMENT, n_tokens ? "struct_size" : "i_token");
    leafx_segment segment;
    memset(&segment, 0, sizeof segment);
    segment.struct_size = 3;
    size_t n_segments = 0;
    leafx_result_n_segments(result, &n_segments);
    CHECK_ERROR(leafx_result_segment(result, 0, &segment), LEAFX_ERR_INVALID_ARGUMENT,
                n_segments ? "struct_size" : "i_segment");
    CHECK_ERROR(leafx_result_segment(result, 0, NULL), LEAFX_ERR_INVALID_ARGUMENT, "segment");
    CHECK_ERROR(leafx_result_token(result, SIZE_MAX, &token), LEAFX_ERR_INVALID_ARGUMENT, "i_token");
    CHECK_ERROR(leafx_result_text(result, NULL), LEAFX_ERR_INVALID_ARGUMENT, "text");
    CHECK_ERROR(leafx_result_n_tokens(result, NULL), LEAFX_ERR_INVALID_ARGUMENT, "n_tokens");
    CHECK_ERROR(leafx_result_to_json(result, NULL), LEAFX_ERR_INVALID_ARGUMENT, "json");
    /* A transcription is not an explanation: attribution accessors say so. */
    const float *values = NULL;
    size_t n_frames = 0;
    CHECK_ERROR(leafx_result_token_attribution(result, 0, &values, &n_frames, NULL, NULL), LEAFX_ERR_MISUSE,
                "no attributions");
    char *html = NULL;
    CHECK_ERROR(leafx_result_to_html(result, pcm, 16000, NULL, &html), LEAFX_ERR_MISUSE, "not an explanation");
    leafx_result_free(result);
}

static void test_hostile_arguments(const leafx_model *model) {
    leafx_result *result = NULL;
    CHECK_ERROR(leafx_transcribe(model, NULL, 16000, NULL, &result), LEAFX_ERR_INVALID_ARGUMENT, "pcm");
    CHECK_ERROR(leafx_explain(model, NULL, 16000, NULL, &result), LEAFX_ERR_INVALID_ARGUMENT, "pcm");
    CHECK_ERROR(leafx_transcribe(model, pcm, 16000, NULL, NULL), LEAFX_ERR_INVALID_ARGUMENT, "out");
    CHECK_ERROR(leafx_explain(model, pcm, 16000, NULL, NULL), LEAFX_ERR_INVALID_ARGUMENT, "out");
    CHECK_ERROR(leafx_transcribe(model, pcm, SIZE_MAX, NULL, &result), LEAFX_ERR_INVALID_ARGUMENT, "n_samples");
    CHECK_ERROR(leafx_explain(model, pcm, SIZE_MAX / 4, NULL, &result), LEAFX_ERR_INVALID_ARGUMENT, "n_samples");

    leafx_explain_params ep;
    LEAFX_EXPLAIN_PARAMS_INIT(&ep);
    ep.method = NULL;
    CHECK_ERROR(leafx_explain_params_validate(&ep), LEAFX_ERR_INVALID_ARGUMENT, "method");
    ep.method = "leafx\xff\xfe";
    CHECK_ERROR(leafx_explain(model, pcm, 16000, &ep, &result), LEAFX_ERR_INVALID_ARGUMENT, "method");
    LEAFX_EXPLAIN_PARAMS_INIT(&ep);
    ep.epsilon = 0;
    CHECK_ERROR(leafx_explain_params_validate(&ep), LEAFX_ERR_INVALID_ARGUMENT, "epsilon");
    ep.epsilon = 1e-8f;
    ep.depth = 99;
    CHECK_ERROR(leafx_explain_params_validate(&ep), LEAFX_ERR_INVALID_ARGUMENT, "depth");
    LEAFX_EXPLAIN_PARAMS_INIT(&ep);
    ep.text = "\xff\xfe invalid UTF-8 \xc3";
    leafx_status s = leafx_explain(model, pcm, 16000, &ep, &result);
    CHECK(s == LEAFX_OK || (s == LEAFX_ERR_INVALID_ARGUMENT && strstr(leafx_last_error(), "text")),
          "forced text with invalid UTF-8: %s [%s]", leafx_status_string(s), leafx_last_error());
    leafx_result_free(result);
    result = NULL;

    leafx_transcribe_params tp;
    LEAFX_TRANSCRIBE_PARAMS_INIT(&tp);
    tp.language = "xx-not-a-language";
    CHECK_ERROR(leafx_transcribe(model, pcm, 16000, &tp, &result), LEAFX_ERR_INVALID_ARGUMENT, "language");
    LEAFX_TRANSCRIBE_PARAMS_INIT(&tp);
    tp.temperatures = NULL;
    tp.n_temperatures = 5;
    s = leafx_transcribe(model, pcm, 16000, &tp, &result);
    CHECK(s == LEAFX_OK || s == LEAFX_ERR_INVALID_ARGUMENT, "NULL temperatures with a count: %s [%s]",
          leafx_status_string(s), leafx_last_error());
    leafx_result_free(result);
    result = NULL;
    float temperatures[2] = {NAN, 0.5f};
    LEAFX_TRANSCRIBE_PARAMS_INIT(&tp);
    tp.temperatures = temperatures;
    tp.n_temperatures = 2;
    CHECK_ERROR(leafx_transcribe(model, pcm, 16000, &tp, &result), LEAFX_ERR_INVALID_ARGUMENT, "temperature");
    tp.n_temperatures = (size_t)1 << 40;
    CHECK_ERROR(leafx_transcribe(model, pcm, 16000, &tp, &result), LEAFX_ERR_INVALID_ARGUMENT, "n_temperatures");
    LEAFX_TRANSCRIBE_PARAMS_INIT(&tp);
    tp.beam_size = 0;
    CHECK_ERROR(leafx_transcribe(model, pcm, 16000, &tp, &result), LEAFX_ERR_INVALID_ARGUMENT, "beam_size");
    tp.beam_size = 1 << 30;
    CHECK_ERROR(leafx_transcribe(model, pcm, 16000, &tp, &result), LEAFX_ERR_INVALID_ARGUMENT, "beam_size");

    /* The bolt-on call: NULL input, a zero struct, sizes that would overflow. */
    CHECK_ERROR(leafx_explain_attention(NULL, NULL, &result), LEAFX_ERR_INVALID_ARGUMENT, "input");
    leafx_attention_input input;
    memset(&input, 0, sizeof input);
    CHECK_ERROR(leafx_explain_attention(&input, NULL, &result), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    input.struct_size = sizeof input;
    CHECK(leafx_explain_attention(&input, NULL, &result) == LEAFX_ERR_INVALID_ARGUMENT && result == NULL,
          "an all-zero attention input is refused [%s]", leafx_last_error());
    float one = 1.0f;
    size_t row = 0;
    input.n_layers = 1;
    input.n_heads = 1;
    input.n_queries = SIZE_MAX / 2;
    input.n_keys = SIZE_MAX / 2;
    input.cross_attention = &one;
    input.rows = &row;
    input.n_rows = 1;
    input.frame_s = 0.02;
    CHECK(leafx_explain_attention(&input, NULL, &result) == LEAFX_ERR_INVALID_ARGUMENT && result == NULL,
          "overflowing attention sizes are refused [%s]", leafx_last_error());
    input.n_queries = 1;
    input.n_keys = 1;
    input.n_layers = -1;
    CHECK_ERROR(leafx_explain_attention(&input, NULL, &result), LEAFX_ERR_INVALID_ARGUMENT, "n_layers");
}

static void test_messages(void) {
    for (int s = -3; s < 20; s++) CHECK(leafx_status_string((leafx_status)s) != NULL, "status string %d", s);
    CHECK(leafx_last_error() != NULL, "leafx_last_error is never NULL");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL_DIR\n", argv[0]);
        return 2;
    }
    for (int i = 0; i < 16000; i++) pcm[i] = 0.3f * sinf(2 * (float)M_PI * 220.0f * (float)i / 16000.0f);
    test_messages();
    test_failed_load();
    leafx_model *model = NULL;
    CHECK(leafx_model_load(argv[1], NULL, &model) == LEAFX_OK, "load %s [%s]", argv[1], leafx_last_error());
    if (!model) return check_summary();
    leafx_audio *audio = NULL;
    CHECK(leafx_audio_from_pcm(pcm, 16000, 1, 16000, NULL, &audio) == LEAFX_OK, "audio");
    test_foreign_handles(model, audio);
    test_struct_sizes(model);
    test_hostile_arguments(model);
    test_freed_handles(argv[1]);
    leafx_audio_free(audio);
    leafx_model_free(model);
    return check_summary();
}
