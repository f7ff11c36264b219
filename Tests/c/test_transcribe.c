/* C driver of the model and transcription ABI: loading, info, greedy transcription of a
   WAV, result accessors and JSON, misuse, progress and abort callbacks, and one model shared
   by several threads.

   usage: test_transcribe MODEL WAV EXPECTED_TEXT */
#include <leafx.h>

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const float *pcm;
static size_t n_pcm;
static const char *expected_text;

static void greedy(leafx_transcribe_params *p) {
    static const float zero = 0.0f;
    LEAFX_TRANSCRIBE_PARAMS_INIT(p);
    p->beam_size = 1;
    p->temperatures = &zero;
    p->n_temperatures = 1;
}

struct progress_log { int calls; float last; int monotone; int aborted_after; };

static void on_progress(float fraction, const char *stage, void *user_data) {
    struct progress_log *log = user_data;
    /* leafx_transcribe's stages: the front end's pass, then the windows (leafx.h). */
    int known = strcmp(stage, "features") == 0 || strcmp(stage, "transcribe") == 0;
    if (fraction < log->last || fraction < 0 || fraction > 1 || !known) log->monotone = 0;
    log->last = fraction;
    log->calls++;
}

static int abort_now(void *user_data) { (void)user_data; return 1; }

static void *transcribe_thread(void *arg) {
    const leafx_model *model = arg;
    leafx_transcribe_params p;
    greedy(&p);
    leafx_result *result = NULL;
    const char *text = NULL;
    int ok = leafx_transcribe(model, pcm, n_pcm, &p, &result) == LEAFX_OK &&
             leafx_result_text(result, &text) == LEAFX_OK && strcmp(text, expected_text) == 0;
    leafx_result_free(result);
    return ok ? (void *)1 : NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s MODEL WAV EXPECTED_TEXT\n", argv[0]);
        return 2;
    }
    expected_text = argv[3];
    leafx_model *model = NULL;
    CHECK(leafx_model_load(argv[1], NULL, &model) == LEAFX_OK, "load %s [%s]", argv[1], leafx_last_error());
    if (!model) return check_summary();

    leafx_model_description info;
    info.struct_size = sizeof info;
    CHECK(leafx_model_info(model, &info) == LEAFX_OK && info.n_mels == 80 && info.n_text_layer >= 4 &&
          strcmp(info.format, "ctranslate2") == 0 && info.name && info.struct_size == sizeof info,
          "info: %s %s, %d mels, %d text layers, vocab %d", info.name, info.format, info.n_mels,
          info.n_text_layer, info.n_vocab);
    info.struct_size = 8;
    CHECK_ERROR(leafx_model_info(model, &info), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");

    leafx_audio *audio = NULL;
    CHECK(leafx_audio_load(argv[2], NULL, &audio) == LEAFX_OK, "load audio");
    leafx_audio_samples(audio, &pcm, &n_pcm);

    leafx_transcribe_params p;
    greedy(&p);
    struct progress_log log = {0, 0, 1, 0};
    p.progress = on_progress;
    p.progress_user_data = &log;
    leafx_result *result = NULL;
    CHECK(leafx_transcribe(model, pcm, n_pcm, &p, &result) == LEAFX_OK, "transcribe [%s]", leafx_last_error());
    CHECK(log.calls >= 1 && log.monotone && log.last == 1.0f, "progress: %d calls, monotone, ends at %.2f", log.calls, log.last);

    const char *text = NULL, *language = NULL;
    float probability = 0;
    CHECK(leafx_result_text(result, &text) == LEAFX_OK && strcmp(text, expected_text) == 0,
          "text: \"%s\"", text ? text : "(null)");
    CHECK(leafx_result_language(result, &language, &probability) == LEAFX_OK && strcmp(language, "en") == 0,
          "language %s (%.2f)", language, probability);

    size_t n_segments = 0, n_tokens = 0, covered = 0;
    CHECK(leafx_result_n_segments(result, &n_segments) == LEAFX_OK && n_segments >= 1, "%zu segments", n_segments);
    CHECK(leafx_result_n_tokens(result, &n_tokens) == LEAFX_OK && n_tokens >= 10, "%zu tokens", n_tokens);
    double previous_end = 0;
    int segments_ok = 1;
    for (size_t i = 0; i < n_segments; i++) {
        leafx_segment s;
        s.struct_size = sizeof s;
        if (leafx_result_segment(result, i, &s) != LEAFX_OK || s.start_s < previous_end - 1e-9 || s.end_s < s.start_s ||
            s.i_first_token != covered || !s.text)
            segments_ok = 0;
        covered += s.n_tokens;
        previous_end = s.end_s;
    }
    CHECK(segments_ok && covered == n_tokens, "segments are ordered and partition the tokens");
    leafx_segment s;
    s.struct_size = sizeof s;
    CHECK_ERROR(leafx_result_segment(result, n_segments, &s), LEAFX_ERR_INVALID_ARGUMENT, "i_segment");

    size_t text_length = 0;
    int tokens_ok = 1;
    for (size_t i = 0; i < n_tokens; i++) {
        leafx_token t;
        t.struct_size = sizeof t;
        if (leafx_result_token(result, i, &t) != LEAFX_OK || t.id < 0 || t.id >= info.n_vocab || !(t.probability > 0) ||
            t.probability > 1 || t.i_segment >= n_segments)
            tokens_ok = 0;
        else
            text_length += strlen(t.text);
    }
    CHECK(tokens_ok && text_length == strlen(text), "token texts make up the text (%zu bytes)", text_length);
    leafx_token t;
    t.struct_size = sizeof t;
    CHECK_ERROR(leafx_result_token(result, (size_t)-1, &t), LEAFX_ERR_INVALID_ARGUMENT, "i_token");

    char *json = NULL;
    CHECK(leafx_result_to_json(result, &json) == LEAFX_OK && json && strstr(json, "\"segments\"") &&
          strstr(json, "\"language\": \"en\""), "JSON rendered");
    CHECK(leafx_string_free(json) == LEAFX_OK, "JSON freed");
    CHECK_ERROR(leafx_string_free(json), LEAFX_ERR_MISUSE, "string");
    char not_ours[4] = "abc";
    CHECK_ERROR(leafx_string_free(not_ours), LEAFX_ERR_MISUSE, "string");

    /* Misuse: a model handle where a result is expected, freed results, bad params. */
    CHECK_ERROR(leafx_result_text((leafx_result *)model, &text), LEAFX_ERR_MISUSE, "leafx_result");
    CHECK(leafx_result_free(result) == LEAFX_OK, "result freed");
    CHECK_ERROR(leafx_result_n_tokens(result, &n_tokens), LEAFX_ERR_MISUSE, "leafx_result");
    CHECK_ERROR(leafx_result_free(result), LEAFX_ERR_MISUSE, "double free");
    CHECK_ERROR(leafx_transcribe((leafx_model *)audio, pcm, n_pcm, NULL, &result), LEAFX_ERR_MISUSE, "leafx_model");
    greedy(&p);
    p.beam_size = 0;
    CHECK_ERROR(leafx_transcribe(model, pcm, n_pcm, &p, &result), LEAFX_ERR_INVALID_ARGUMENT, "beam_size");
    greedy(&p);
    p.language = "xx";
    CHECK_ERROR(leafx_transcribe(model, pcm, n_pcm, &p, &result), LEAFX_ERR_INVALID_ARGUMENT, "language");
    greedy(&p);
    p.task = 7;
    CHECK_ERROR(leafx_transcribe_params_validate(&p), LEAFX_ERR_INVALID_ARGUMENT, "task");
    greedy(&p);
    p.n_temperatures = 0;
    CHECK_ERROR(leafx_transcribe_params_validate(&p), LEAFX_ERR_INVALID_ARGUMENT, "n_temperatures");
    CHECK_ERROR(leafx_transcribe(model, NULL, 10, NULL, &result), LEAFX_ERR_INVALID_ARGUMENT, "pcm");
    CHECK(result == NULL, "no result after failures");

    /* Abort: the first progress poll stops the call. */
    greedy(&p);
    p.abort = abort_now;
    CHECK_ERROR(leafx_transcribe(model, pcm, n_pcm, &p, &result), LEAFX_CANCELLED, "cancelled");

    /* Silence and empty input give an empty transcript, not an error. */
    float *silence = calloc(16000, sizeof *silence);
    greedy(&p);
    CHECK(leafx_transcribe(model, silence, 16000, &p, &result) == LEAFX_OK &&
          leafx_result_n_tokens(result, &n_tokens) == LEAFX_OK, "1 s of silence: %zu tokens", n_tokens);
    leafx_result_free(result);
    CHECK(leafx_transcribe(model, silence, 0, &p, &result) == LEAFX_OK && leafx_result_n_segments(result, &n_segments) == LEAFX_OK &&
          n_segments == 0, "0 samples: no segments");
    leafx_result_free(result);
    free(silence);

    /* One model, four threads at once: each gets the serial text. */
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, transcribe_thread, model);
    int agreeing = 0;
    for (int i = 0; i < 4; i++) {
        void *ok = NULL;
        pthread_join(threads[i], &ok);
        agreeing += ok != NULL;
    }
    CHECK(agreeing == 4, "4 concurrent transcriptions on one model agree with the serial one (%d/4)", agreeing);

    leafx_audio_free(audio);
    CHECK(leafx_model_free(model) == LEAFX_OK, "model freed");
    CHECK_ERROR(leafx_model_free(model), LEAFX_ERR_MISUSE, "leafx_model");
    return check_summary();
}
