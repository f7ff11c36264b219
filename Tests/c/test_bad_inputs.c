/* C driver of the bad-input suite (Tests/python/test_bad_inputs.py writes the inputs and the
   manifest, and checks this driver's table against what each input must give).

   usage: test_bad_inputs MANIFEST

   Each manifest line is tab-separated: KIND NAME ARG...
     model   NAME PATH            leafx_model_load; when it loads, leafx_transcribe on 1 s of
                                  tone and leafx_explain ("leafx") must return a status too
     use     NAME PATH            load the model later cases run on (prints nothing)
     audio   NAME PATH            leafx_audio_load; when it loads, transcribe and explain it
     pcm     NAME SPEC            leafx_audio_from_pcm / leafx_transcribe / leafx_explain on
                                  1 s of PCM with one bad value (SPEC nan, inf, -inf), every
                                  sample 1e30 (huge), or 0 samples (empty)
     explain NAME METHOD TAU TEXT leafx_explain on 2 s of tone; TEXT "-" is NULL, "@N" is
                                  N repetitions of " yes"; METHOD or TEXT '' is ""
   For every case one line is printed:
     case NAME STATUS DETAIL
   where STATUS is leafx_status_string's text and DETAIL is leafx_last_error() on failure, or a
   summary of the result (samples, text, token count, attribution check). A crash, hang or
   sanitizer report is the failure this driver exists to expose. */
#include <leafx.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static leafx_model *model = NULL;

static void print_case(const char *name, leafx_status status, const char *detail) {
    printf("case\t%s\t%s\t", name, leafx_status_string(status));
    for (const char *p = detail; p && *p; p++) putchar(*p == '\n' || *p == '\t' ? ' ' : *p);
    putchar('\n');
    fflush(stdout);
}

static void print_error(const char *name, leafx_status status) {
    print_case(name, status, leafx_last_error());
}

static float *tone(size_t n, double amplitude) {
    float *pcm = malloc(n * sizeof *pcm);
    for (size_t i = 0; i < n; i++) pcm[i] = (float)(amplitude * sin(2 * M_PI * 220.0 * (double)i / 16000.0));
    return pcm;
}

/* Checks every token attribution of an explained result: finite, non-negative, sums to 1.
   Returns the number of tokens whose attribution breaks that, or -1 on an accessor error. */
static long bad_attributions(const leafx_result *result, size_t n_tokens) {
    long bad = 0;
    for (size_t i = 0; i < n_tokens; i++) {
        const float *values = NULL;
        size_t n = 0;
        if (leafx_result_token_attribution(result, i, &values, &n, NULL, NULL) != LEAFX_OK) return -1;
        double sum = 0;
        int finite = n > 0;
        for (size_t k = 0; k < n; k++) {
            if (!isfinite(values[k]) || values[k] < 0) finite = 0;
            sum += values[k];
        }
        if (!finite || fabs(sum - 1.0) > 1e-3) bad++;
    }
    return bad;
}

/* Summarises a result: its text (first 60 bytes), token count and, if explained, how many
   attributions are broken. */
static void describe_result(const leafx_result *result, int explained, char *out, size_t size) {
    const char *text = NULL;
    size_t n_tokens = 0;
    if (leafx_result_text(result, &text) != LEAFX_OK || leafx_result_n_tokens(result, &n_tokens) != LEAFX_OK) {
        snprintf(out, size, "accessor failed: %s", leafx_last_error());
        return;
    }
    long bad = explained ? bad_attributions(result, n_tokens) : 0;
    snprintf(out, size, "tokens=%zu bad_attributions=%ld text=%.60s", n_tokens, bad, text);
}

/* Greedy decoding at temperature 0 only. A corrupt model's (or noise's) transcript never
   passes the fallback thresholds, and 5 more temperatures x best_of 5 would only cost time. */
static const float greedy_temperature[1] = {0.0f};

static void greedy_params(leafx_transcribe_params *tp, leafx_explain_params *ep) {
    LEAFX_TRANSCRIBE_PARAMS_INIT(tp);
    tp->beam_size = 1;
    tp->temperatures = greedy_temperature;
    tp->n_temperatures = 1;
    if (ep) {
        LEAFX_EXPLAIN_PARAMS_INIT(ep);
        ep->transcribe = tp;
    }
}

/* Transcribes and explains `pcm` with `m`; prints NAME/transcribe and NAME/explain lines. */
static void run_model(const char *name, const leafx_model *m, const float *pcm, size_t n) {
    char label[512], detail[1024];
    leafx_result *result = NULL;
    leafx_transcribe_params tp;
    leafx_explain_params ep;
    greedy_params(&tp, &ep);
    snprintf(label, sizeof label, "%s/transcribe", name);
    leafx_status s = leafx_transcribe(m, pcm, n, &tp, &result);
    if (s == LEAFX_OK) {
        describe_result(result, 0, detail, sizeof detail);
        print_case(label, s, detail);
    } else {
        print_error(label, s);
    }
    leafx_result_free(result);

    result = NULL;
    snprintf(label, sizeof label, "%s/explain", name);
    s = leafx_explain(m, pcm, n, &ep, &result);
    if (s == LEAFX_OK) {
        describe_result(result, 1, detail, sizeof detail);
        print_case(label, s, detail);
    } else {
        print_error(label, s);
    }
    leafx_result_free(result);
}

static void case_model(const char *name, const char *path) {
    leafx_model *m = NULL;
    leafx_status s = leafx_model_load(path, NULL, &m);
    if (s != LEAFX_OK) {
        print_error(name, s);
        if (m != NULL) print_case(name, LEAFX_ERR_INTERNAL, "out-parameter not cleared on failure");
        return;
    }
    leafx_model_description info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    char detail[256];
    leafx_status si = leafx_model_info(m, &info);
    snprintf(detail, sizeof detail, "info=%s n_mels=%d n_vocab=%d width=%d", leafx_status_string(si), info.n_mels,
             info.n_vocab, info.n_text_state);
    print_case(name, s, detail);
    float *pcm = tone(16000, 0.3);
    run_model(name, m, pcm, 16000);
    free(pcm);
    leafx_model_free(m);
}

static void case_audio(const char *name, const char *path) {
    leafx_audio *audio = NULL;
    leafx_status s = leafx_audio_load(path, NULL, &audio);
    if (s != LEAFX_OK) {
        print_error(name, s);
        return;
    }
    const float *samples = NULL;
    size_t n = 0;
    int32_t rate = 0, channels = 0;
    leafx_audio_samples(audio, &samples, &n);
    leafx_audio_source_format(audio, &rate, &channels);
    float peak = 0;
    for (size_t i = 0; i < n; i++) peak = fmaxf(peak, fabsf(samples[i]));
    char detail[256];
    snprintf(detail, sizeof detail, "samples=%zu source_rate_hz=%d channels=%d peak=%.3f", n, rate, channels, peak);
    print_case(name, s, detail);
    if (model) run_model(name, model, samples, n);
    leafx_audio_free(audio);
}

/* SPEC: nan, inf, -inf (one bad sample), huge (finite samples of 1e30), empty (0 samples). */
static void case_pcm(const char *name, const char *spec) {
    size_t n = strcmp(spec, "empty") == 0 ? 0 : 16000;
    float *pcm = tone(16000, 0.3);
    if (strcmp(spec, "huge") == 0) {
        for (size_t i = 0; i < n; i++) pcm[i] *= 1e30f;
    } else if (n > 0) {
        pcm[1234] = strcmp(spec, "nan") == 0 ? NAN : strcmp(spec, "inf") == 0 ? INFINITY : -INFINITY;
    }
    char label[512], detail[1024];
    leafx_audio *audio = NULL;
    snprintf(label, sizeof label, "%s/from_pcm", name);
    leafx_status s = leafx_audio_from_pcm(pcm, n, 1, 16000, NULL, &audio);
    if (s == LEAFX_OK) print_case(label, s, "accepted"); else print_error(label, s);
    leafx_audio_free(audio);
    if (model) {
        leafx_result *result = NULL;
        leafx_transcribe_params tp;
        leafx_explain_params ep;
        greedy_params(&tp, &ep);
        snprintf(label, sizeof label, "%s/transcribe", name);
        s = leafx_transcribe(model, pcm, n, &tp, &result);
        if (s == LEAFX_OK) { describe_result(result, 0, detail, sizeof detail); print_case(label, s, detail); }
        else print_error(label, s);
        leafx_result_free(result);
        result = NULL;
        snprintf(label, sizeof label, "%s/explain", name);
        s = leafx_explain(model, pcm, n, &ep, &result);
        if (s == LEAFX_OK) { describe_result(result, 1, detail, sizeof detail); print_case(label, s, detail); }
        else print_error(label, s);
        leafx_result_free(result);
    }
    free(pcm);
}

static void case_explain(const char *name, const char *method, const char *tau, const char *text) {
    leafx_transcribe_params tp;
    leafx_explain_params p;
    greedy_params(&tp, &p);
    char *owned = NULL;
    if (strcmp(method, "''") == 0) p.method = "";
    else if (strcmp(method, "-") != 0) p.method = method;
    p.tau = strcmp(tau, "nan") == 0 ? NAN : (float)atof(tau);
    if (text[0] == '@') {
        size_t repeats = strtoul(text + 1, NULL, 10);
        owned = malloc(repeats * 4 + 1);
        for (size_t i = 0; i < repeats; i++) memcpy(owned + 4 * i, " yes", 4);
        owned[repeats * 4] = 0;
        p.text = owned;
    } else if (strcmp(text, "''") == 0) {
        p.text = "";
    } else if (strcmp(text, "-") != 0) {
        p.text = text;
    }
    float *pcm = tone(32000, 0.3);
    leafx_result *result = NULL;
    leafx_status s = leafx_explain(model, pcm, 32000, &p, &result);
    if (s == LEAFX_OK) {
        char detail[1024];
        describe_result(result, 1, detail, sizeof detail);
        print_case(name, s, detail);
    } else {
        print_error(name, s);
    }
    leafx_result_free(result);
    free(pcm);
    free(owned);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s MANIFEST\n", argv[0]);
        return 2;
    }
    FILE *manifest = fopen(argv[1], "r");
    if (!manifest) { perror(argv[1]); return 2; }
    char line[8192];
    while (fgets(line, sizeof line, manifest)) {
        line[strcspn(line, "\n")] = 0;
        char *fields[6] = {0};
        int n = 0;
        for (char *tok = strtok(line, "\t"); tok && n < 6; tok = strtok(NULL, "\t")) fields[n++] = tok;
        if (n < 3) continue;
        const char *kind = fields[0], *name = fields[1];
        if (strcmp(kind, "model") == 0) {
            case_model(name, fields[2]);
        } else if (strcmp(kind, "use") == 0) {
            leafx_model_free(model);
            model = NULL;
            if (leafx_model_load(fields[2], NULL, &model) != LEAFX_OK) {
                fprintf(stderr, "cannot load %s: %s\n", fields[2], leafx_last_error());
                return 2;
            }
        } else if (strcmp(kind, "audio") == 0) {
            case_audio(name, fields[2]);
        } else if (strcmp(kind, "pcm") == 0) {
            case_pcm(name, fields[2]);
        } else if (strcmp(kind, "explain") == 0 && n == 5) {
            case_explain(name, fields[2], fields[3], fields[4]);
        } else {
            fprintf(stderr, "bad manifest line: %s\n", kind);
            return 2;
        }
    }
    fclose(manifest);
    leafx_model_free(model);
    printf("done\n");
    return 0;
}
