/* C driver of the explanation ABI: leafx_explain on a WAV (attribution invariants,
   accessors, forced mode, errors) and leafx_explain_attention on a synthetic decoder-only
   attention with an audio span in the middle of the key axis, against hand-computed values.

   usage: test_explain MODEL WAV */
#include <leafx.h>

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static int attribution_ok(const float *v, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] >= 0) || !isfinite(v[i])) return 0;
        sum += v[i];
    }
    return fabs(sum - 1) < 1e-4;
}

static void test_engine(const char *model_path, const char *wav) {
    leafx_model *model = NULL;
    CHECK(leafx_model_load(model_path, NULL, &model) == LEAFX_OK, "load model [%s]", leafx_last_error());
    leafx_audio *audio = NULL;
    const float *pcm;
    size_t n_pcm;
    CHECK(leafx_audio_load(wav, NULL, &audio) == LEAFX_OK, "load audio");
    leafx_audio_samples(audio, &pcm, &n_pcm);

    const char *methods[] = {"leafx", "raa", "leafx-paper-grad", "random"};
    for (size_t m = 0; m < sizeof methods / sizeof *methods; m++) {
        leafx_explain_params p;
        LEAFX_EXPLAIN_PARAMS_INIT(&p);
        p.method = methods[m];
        leafx_result *result = NULL;
        CHECK(leafx_explain(model, pcm, n_pcm, &p, &result) == LEAFX_OK, "explain with %s [%s]", methods[m], leafx_last_error());
        size_t n_tokens = 0, n_words = 0;
        leafx_result_n_tokens(result, &n_tokens);
        leafx_result_n_words(result, &n_words);
        int ok = n_tokens >= 10 && n_words >= 5 && n_words <= n_tokens;
        double expected_frames = ceil(n_pcm / 320.0);
        for (size_t i = 0; i < n_tokens; i++) {
            const float *values;
            size_t n_frames, first_frame;
            double frame_s;
            leafx_token t;
            t.struct_size = sizeof t;
            if (leafx_result_token_attribution(result, i, &values, &n_frames, &first_frame, &frame_s) != LEAFX_OK ||
                leafx_result_token(result, i, &t) != LEAFX_OK || !attribution_ok(values, n_frames) ||
                n_frames != (size_t)expected_frames || first_frame != 0 || frame_s != 0.02 || !(t.peak_s > 0 && t.peak_s < n_frames * 0.02) ||
                !(t.start_s < t.end_s) || !(t.entropy >= 0 && t.entropy <= 1))
                ok = 0;
        }
        for (size_t i = 0; i < n_words; i++) {
            const float *values;
            size_t n_frames;
            leafx_word w;
            w.struct_size = sizeof w;
            if (leafx_result_word_attribution(result, i, &values, &n_frames, NULL, NULL) != LEAFX_OK ||
                leafx_result_word(result, i, &w) != LEAFX_OK || !attribution_ok(values, n_frames) || !w.text || !*w.text ||
                w.i_first_token + w.n_tokens > n_tokens)
                ok = 0;
        }
        CHECK(ok, "%s: %zu tokens, %zu words, every attribution non-negative and summing to 1 over %g frames",
              methods[m], n_tokens, n_words, expected_frames);
        const float *values;
        size_t n_frames;
        CHECK_ERROR(leafx_result_token_attribution(result, n_tokens, &values, &n_frames, NULL, NULL),
                    LEAFX_ERR_INVALID_ARGUMENT, "i_token");
        char *json = NULL;
        CHECK(leafx_result_to_json(result, &json) == LEAFX_OK && strstr(json, "\"attribution\"") && strstr(json, methods[m]),
              "%s JSON", methods[m]);
        leafx_string_free(json);
        leafx_result_free(result);
    }

    /* Forced mode: a transcript the model did not write is explained token by token. */
    leafx_explain_params p;
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    p.text = "ask not what your country can do for you";
    leafx_result *result = NULL;
    size_t n_tokens = 0;
    const char *text = NULL;
    CHECK(leafx_explain(model, pcm, n_pcm, &p, &result) == LEAFX_OK && leafx_result_n_tokens(result, &n_tokens) == LEAFX_OK &&
          n_tokens == 9 && leafx_result_text(result, &text) == LEAFX_OK && strcmp(text, " ask not what your country can do for you") == 0,
          "forced mode: %zu tokens, \"%s\"", n_tokens, text ? text : "");
    leafx_result_free(result);

    /* A plain transcription has no attributions. */
    leafx_transcribe_params tp;
    LEAFX_TRANSCRIBE_PARAMS_INIT(&tp);
    tp.beam_size = 1;
    CHECK(leafx_transcribe(model, pcm, n_pcm, &tp, &result) == LEAFX_OK, "transcribe");
    const float *values;
    size_t n_frames;
    CHECK_ERROR(leafx_result_token_attribution(result, 0, &values, &n_frames, NULL, NULL), LEAFX_ERR_MISUSE, "no attributions");
    leafx_result_free(result);

    /* Bad requests. */
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    p.method = "magic";
    CHECK_ERROR(leafx_explain(model, pcm, n_pcm, &p, &result), LEAFX_ERR_INVALID_ARGUMENT, "unknown method");
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    p.tau = 0;
    CHECK_ERROR(leafx_explain(model, pcm, n_pcm, &p, &result), LEAFX_ERR_INVALID_ARGUMENT, "tau");
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    p.depth = 9;
    CHECK_ERROR(leafx_explain_params_validate(&p), LEAFX_ERR_INVALID_ARGUMENT, "depth");
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    p.text = "   ";
    CHECK_ERROR(leafx_explain(model, pcm, n_pcm, &p, &result), LEAFX_ERR_INVALID_ARGUMENT, "empty");
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    CHECK(p.ig_steps == 32, "ig_steps default %d", (int)p.ig_steps);
    p.method = "ig";
    p.ig_steps = 0;
    CHECK_ERROR(leafx_explain_params_validate(&p), LEAFX_ERR_INVALID_ARGUMENT, "ig_steps");
    p.ig_steps = 2000;
    CHECK_ERROR(leafx_explain(model, pcm, n_pcm, &p, &result), LEAFX_ERR_INVALID_ARGUMENT, "ig_steps");
    /* A struct of leafx 0.1 (without ig_steps) is still accepted, with the default. */
    CHECK(leafx_explain_params_init(&p, offsetof(leafx_explain_params, ig_steps)) == LEAFX_OK &&
          leafx_explain_params_validate(&p) == LEAFX_OK, "0.1-sized params [%s]", leafx_last_error());
    CHECK(result == NULL, "no result after failures");

    /* Perturbation methods: defaults, range checks naming the field, and a caller compiled
       before the fields existed (its struct_size ends before them: defaults apply). */
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    CHECK(p.window_frames == 10 && p.stride_frames == 5 && p.n_samples == 200 && p.segment_frames == 5,
          "perturbation defaults %d %d %d %d", p.window_frames, p.stride_frames, p.n_samples, p.segment_frames);
    p.window_frames = 0;
    CHECK_ERROR(leafx_explain_params_validate(&p), LEAFX_ERR_INVALID_ARGUMENT, "params->window_frames");
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    p.stride_frames = 11;
    CHECK_ERROR(leafx_explain_params_validate(&p), LEAFX_ERR_INVALID_ARGUMENT, "params->stride_frames");
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    p.n_samples = 1;
    CHECK_ERROR(leafx_explain(model, pcm, n_pcm, &p, &result), LEAFX_ERR_INVALID_ARGUMENT, "params->n_samples");
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    p.segment_frames = -5;
    CHECK_ERROR(leafx_explain_params_validate(&p), LEAFX_ERR_INVALID_ARGUMENT, "params->segment_frames");
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    p.window_frames = 0; /* beyond the older caller's struct: not read */
    p.struct_size = offsetof(leafx_explain_params, window_frames);
    CHECK(leafx_explain_params_validate(&p) == LEAFX_OK, "params of the size before the perturbation fields [%s]",
          leafx_last_error());
    CHECK(result == NULL, "no result after failures");

    /* verify: every word checked by silencing its span (one masked pass per word); a caller
       compiled before the check's fields gets the 0.1 fields and its tail is left alone. */
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    p.text = "ask not what your country can do for you";
    p.verify = 1;
    CHECK(leafx_explain(model, pcm, n_pcm, &p, &result) == LEAFX_OK, "verify [%s]", leafx_last_error());
    size_t n_words = 0;
    leafx_result_n_words(result, &n_words);
    int verify_ok = n_words == 9, confirmed = 0;
    for (size_t i = 0; verify_ok && i < n_words; i++) {
        leafx_word w;
        w.struct_size = sizeof w;
        verify_ok &= leafx_result_word(result, i, &w) == LEAFX_OK && isfinite(w.silence_drop) &&
                     w.silenced_start_s <= w.start_s && w.silenced_end_s >= w.end_s &&
                     fabsf(w.silence_drop - (w.log_probability - w.silenced_log_probability)) < 1e-5f &&
                     ((w.flags & LEAFX_FLAG_UNCONFIRMED) != 0) == (w.silence_drop < logf(2));
        confirmed += !(w.flags & LEAFX_FLAG_UNCONFIRMED);
    }
    CHECK(verify_ok && confirmed >= 5, "verify: %zu words checked, %d confirmed", n_words, confirmed);
    struct { leafx_word base; double tail; } old_word;
    memset(&old_word, 0, sizeof old_word);
    old_word.base.struct_size = offsetof(leafx_word, silenced_start_s);
    old_word.base.silenced_start_s = -7;
    CHECK(leafx_result_word(result, 0, &old_word.base) == LEAFX_OK && old_word.base.silenced_start_s == -7 &&
          old_word.base.text && old_word.base.n_tokens >= 1, "a 0.1-sized leafx_word gets the 0.1 fields only [%s]",
          leafx_last_error());
    old_word.base.struct_size = offsetof(leafx_word, silenced_start_s) - 8;
    CHECK_ERROR(leafx_result_word(result, 0, &old_word.base), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    leafx_result_free(result);
    result = NULL;
    p.verify = 0;
    CHECK(leafx_explain(model, pcm, n_pcm, &p, &result) == LEAFX_OK, "without verify [%s]", leafx_last_error());
    leafx_word unchecked;
    unchecked.struct_size = sizeof unchecked;
    CHECK(leafx_result_word(result, 0, &unchecked) == LEAFX_OK && isnan(unchecked.silence_drop) &&
          isnan(unchecked.silenced_start_s) && !(unchecked.flags & LEAFX_FLAG_UNCONFIRMED),
          "without verify the check's fields are NAN");
    leafx_result_free(result);
    result = NULL;

    leafx_transcribe_params wtp;
    /* Word timestamps (since 0.3): the timed words of a transcription are in order, inside the
       audio, and cover its tokens once; an index past them is refused by name; a caller of the
       0.2 struct size (which ends before word_timestamps) gets a plain transcription. */
    LEAFX_TRANSCRIBE_PARAMS_INIT(&wtp);
    CHECK(wtp.word_timestamps == 0, "word_timestamps defaults to 0");
    wtp.beam_size = 1;
    wtp.word_timestamps = 1;
    CHECK(leafx_transcribe(model, pcm, n_pcm, &wtp, &result) == LEAFX_OK, "word timestamps [%s]", leafx_last_error());
    size_t n_timed = 0, n_text_tokens = 0, next_token = 0;
    leafx_result_n_timed_words(result, &n_timed);
    leafx_result_n_tokens(result, &n_text_tokens);
    int timed_ok = n_timed >= 5;
    double last_end = 0;
    for (size_t i = 0; timed_ok && i < n_timed; i++) {
        leafx_timed_word tw;
        tw.struct_size = sizeof tw;
        timed_ok &= leafx_result_timed_word(result, i, &tw) == LEAFX_OK && tw.text && *tw.text &&
                    tw.start_s >= last_end - 1e-9 && tw.end_s > tw.start_s &&
                    tw.end_s <= (double)n_pcm / 16000 + 0.02 && tw.i_first_token == next_token && tw.n_tokens >= 1 &&
                    tw.probability > 0 && tw.probability <= 1;
        next_token += tw.n_tokens;
        last_end = tw.end_s;
    }
    CHECK(timed_ok && next_token == n_text_tokens, "timed words: %zu words over %zu of %zu tokens", n_timed, next_token,
          n_text_tokens);
    leafx_timed_word past;
    past.struct_size = sizeof past;
    CHECK_ERROR(leafx_result_timed_word(result, n_timed, &past), LEAFX_ERR_INVALID_ARGUMENT, "i_timed_word");
    leafx_result_free(result);
    result = NULL;
    wtp.struct_size = offsetof(leafx_transcribe_params, word_timestamps);
    CHECK(leafx_transcribe(model, pcm, n_pcm, &wtp, &result) == LEAFX_OK, "0.2-sized params [%s]", leafx_last_error());
    n_timed = 1;
    leafx_result_n_timed_words(result, &n_timed);
    CHECK(n_timed == 0, "a 0.2-sized params struct does not ask for word timestamps");
    leafx_result_free(result);
    result = NULL;
    LEAFX_TRANSCRIBE_PARAMS_INIT(&wtp);
    wtp.word_timestamps = 2;
    CHECK_ERROR(leafx_transcribe_params_validate(&wtp), LEAFX_ERR_INVALID_ARGUMENT, "params->word_timestamps");

    /* specmask with 5 windows of 2.2 s over the 11 s clip (6 encoder passes). */
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    p.method = "specmask";
    p.text = "ask not what your country can do for you";
    p.window_frames = 110;
    p.stride_frames = 110;
    CHECK(leafx_explain(model, pcm, n_pcm, &p, &result) == LEAFX_OK, "specmask [%s]", leafx_last_error());
    n_tokens = 0;
    leafx_result_n_tokens(result, &n_tokens);
    int specmask_ok = n_tokens == 9;
    for (size_t i = 0; i < n_tokens; i++) {
        const float *v;
        size_t n;
        specmask_ok &= leafx_result_token_attribution(result, i, &v, &n, NULL, NULL) == LEAFX_OK && attribution_ok(v, n);
    }
    CHECK(specmask_ok, "specmask: %zu tokens with valid attributions", n_tokens);
    leafx_result_free(result);
    result = NULL;

    leafx_audio_free(audio);
    leafx_model_free(model);
}

/* A decoder-only speech LLM: 1 layer, 2 heads, 3 query positions, 6 keys of which keys 2..4
   are the audio pseudo-tokens. Expected outputs computed here from the definitions. */
static void test_bolt_on(void) {
    enum { L = 1, H = 2, T = 3, K = 6 };
    static const float row[H][K] = {{0.10f, 0.10f, 0.50f, 0.20f, 0.05f, 0.05f},
                                    {0.00f, 0.20f, 0.10f, 0.10f, 0.40f, 0.20f}};
    float cross[L * H * T * K];
    for (int h = 0; h < H; h++)
        for (int t = 0; t < T; t++)
            for (int k = 0; k < K; k++) cross[(h * T + t) * K + k] = row[h][k];
    size_t rows[1] = {2};
    int32_t ids[1] = {1234};
    leafx_attention_input input = {0};
    input.struct_size = sizeof input;
    input.n_layers = L;
    input.n_heads = H;
    input.n_queries = T;
    input.n_keys = K;
    input.cross_attention = cross;
    input.audio_begin = 2;
    input.audio_end = 5;
    input.rows = rows;
    input.n_rows = 1;
    input.token_ids = ids;
    input.frame_s = 0.04;
    input.first_frame = 100;

    /* raa: mean over heads of the raw audio columns, renormalised. */
    double raa[3], total = 0;
    for (int f = 0; f < 3; f++) total += raa[f] = (row[0][2 + f] + row[1][2 + f]) / 2.0;
    for (int f = 0; f < 3; f++) raa[f] /= total;
    /* leafx-paper with one layer and no self-attention: rollout gives 2·Ā, i.e. Ā after
       normalisation, with Ā the entropy-weighted (τ = 1) mix of the renormalised heads. */
    double head[H][3], entropy[H], weight[H], mix[3] = {0, 0, 0};
    for (int h = 0; h < H; h++) {
        double mass = row[h][2] + row[h][3] + row[h][4];
        entropy[h] = 0;
        for (int f = 0; f < 3; f++) {
            head[h][f] = row[h][2 + f] / mass;
            entropy[h] -= head[h][f] * log(head[h][f] + 1e-8);
        }
    }
    double z = exp(-entropy[0]) + exp(-entropy[1]);
    for (int h = 0; h < H; h++) weight[h] = exp(-entropy[h]) / z;
    for (int f = 0; f < 3; f++) mix[f] = weight[0] * head[0][f] + weight[1] * head[1][f];

    const char *methods[2] = {"raa", "leafx-paper"};
    const double *expected[2] = {raa, mix};
    for (int m = 0; m < 2; m++) {
        leafx_explain_params p;
        LEAFX_EXPLAIN_PARAMS_INIT(&p);
        p.method = methods[m];
        leafx_result *result = NULL;
        const float *values = NULL;
        size_t n_frames = 0, first_frame = 0, n_tokens = 0;
        double frame_s = 0, error = 0;
        leafx_token t;
        t.struct_size = sizeof t;
        int ok = leafx_explain_attention(&input, &p, &result) == LEAFX_OK &&
                 leafx_result_n_tokens(result, &n_tokens) == LEAFX_OK && n_tokens == 1 &&
                 leafx_result_token_attribution(result, 0, &values, &n_frames, &first_frame, &frame_s) == LEAFX_OK &&
                 n_frames == 3 && first_frame == 100 && frame_s == 0.04 && leafx_result_token(result, 0, &t) == LEAFX_OK &&
                 t.id == 1234;
        for (int f = 0; ok && f < 3; f++) error = fmax(error, fabs(values[f] - expected[m][f]));
        CHECK(ok && error < 1e-6, "bolt-on %s: [%.5f %.5f %.5f] vs hand-computed [%.5f %.5f %.5f] (max error %.2g) [%s]",
              methods[m], ok ? values[0] : 0, ok ? values[1] : 0, ok ? values[2] : 0, expected[m][0], expected[m][1],
              expected[m][2], error, leafx_last_error());
        CHECK(ok && fabs(t.padding_mass - (1 - ((0.5 + 0.2 + 0.05) + (0.1 + 0.1 + 0.4)) / 2)) < 1e-6 &&
              fabs(t.peak_s - (100 + 0.5) * 0.04) < 1e-9, "padding mass %.4f and peak %.3f s", t.padding_mass, t.peak_s);
        leafx_result_free(result);
    }

    leafx_explain_params p;
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    leafx_result *result = NULL;
    input.audio_end = 9;
    CHECK_ERROR(leafx_explain_attention(&input, &p, &result), LEAFX_ERR_INVALID_ARGUMENT, "audio_begin/audio_end");
    input.audio_end = 5;
    rows[0] = 3;
    CHECK_ERROR(leafx_explain_attention(&input, &p, &result), LEAFX_ERR_INVALID_ARGUMENT, "rows");
    rows[0] = 2;
    p.method = "leafx-paper-grad";
    CHECK_ERROR(leafx_explain_attention(&input, &p, &result), LEAFX_ERR_INVALID_ARGUMENT, "gradients");
    p.method = "ig";
    CHECK_ERROR(leafx_explain_attention(&input, &p, &result), LEAFX_ERR_UNSUPPORTED, "ig");
    p.method = "ta";
    CHECK_ERROR(leafx_explain_attention(&input, &p, &result), LEAFX_ERR_UNSUPPORTED, "ta");
    p.method = "kernelshap";
    CHECK_ERROR(leafx_explain_attention(&input, &p, &result), LEAFX_ERR_UNSUPPORTED, "perturbation");
    p.method = "leafx-paper";
    p.verify = 1;
    CHECK_ERROR(leafx_explain_attention(&input, &p, &result), LEAFX_ERR_UNSUPPORTED, "verify");
    p.verify = 0;
    p.method = "leafx-paper";
    cross[3] = NAN;
    CHECK_ERROR(leafx_explain_attention(&input, &p, &result), LEAFX_ERR_INVALID_ARGUMENT, "cross_attention");
    cross[3] = 0.2f;
    input.struct_size = 8;
    CHECK_ERROR(leafx_explain_attention(&input, &p, &result), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    input.struct_size = sizeof input;
    input.n_keys = (size_t)-1;
    CHECK_ERROR(leafx_explain_attention(&input, &p, &result), LEAFX_ERR_INVALID_ARGUMENT, "n_keys");
    CHECK(result == NULL, "no result after failures");
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL WAV\n", argv[0]);
        return 2;
    }
    test_bolt_on();
    test_engine(argv[1], argv[2]);
    return check_summary();
}
