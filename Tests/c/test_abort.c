/* Progress and abort driver (docs/design.md, "Callbacks"): a long leafx_explain (the WAV repeated
   to about a minute, leafx-causal by default) is aborted DELAY_MS after it starts; the call
   must return LEAFX_CANCELLED with no result. Progress reports must be monotone, in [0, 1],
   with known stage names. Prints the abort latency (time from the abort callback first
   returning non-zero to the call returning), which is measured, not asserted.
   Then a short full run checks that progress ends at 1, and leafx_transcribe is aborted the
   same way.

   usage: test_abort MODEL WAV DELAY_MS [METHOD] */
#include <leafx.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

static double clock_s(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

/* CPU time of the whole process (all threads): on a shared machine this, not wall time,
   tells how much work runs between two polls. */
static double cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

typedef struct watch {
    double deadline_s; /* abort once now_s() passes this (0: never) */
    double aborted_at_s, aborted_at_cpu_s;
    double last_poll_s, last_poll_cpu_s, max_gap_s, max_gap_cpu_s; /* between consecutive polls */
    long polls;
    long reports;
    float last_fraction;
    int monotone, in_range, known_stages;
    char last_stage[32];
} watch;

static void watch_init(watch *w, double delay_s) {
    memset(w, 0, sizeof *w);
    w->deadline_s = delay_s > 0 ? now_s() + delay_s : 0;
    w->monotone = w->in_range = w->known_stages = 1;
    w->last_poll_s = now_s();
    w->last_poll_cpu_s = cpu_s();
}

static int on_abort(void *user_data) {
    watch *w = user_data;
    double wall = now_s(), cpu = cpu_s();
    w->polls++;
    if (wall - w->last_poll_s > w->max_gap_s) w->max_gap_s = wall - w->last_poll_s;
    if (cpu - w->last_poll_cpu_s > w->max_gap_cpu_s) w->max_gap_cpu_s = cpu - w->last_poll_cpu_s;
    w->last_poll_s = wall;
    w->last_poll_cpu_s = cpu;
    if (w->deadline_s > 0 && wall >= w->deadline_s) {
        if (w->aborted_at_s == 0) {
            w->aborted_at_s = wall;
            w->aborted_at_cpu_s = cpu;
        }
        return 1;
    }
    return 0;
}

static void on_progress(float fraction, const char *stage, void *user_data) {
    watch *w = user_data;
    if (w->reports > 0 && fraction < w->last_fraction) w->monotone = 0;
    if (!(fraction >= 0 && fraction <= 1)) w->in_range = 0;
    if (!stage || (strcmp(stage, "features") && strcmp(stage, "transcribe") && strcmp(stage, "explain")))
        w->known_stages = 0;
    snprintf(w->last_stage, sizeof w->last_stage, "%s", stage ? stage : "(null)");
    w->last_fraction = fraction;
    w->reports++;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s MODEL WAV DELAY_MS [METHOD]\n", argv[0]);
        return 2;
    }
    double delay_s = atof(argv[3]) / 1000;
    const char *method = argc > 4 ? argv[4] : "leafx-causal";
    leafx_model *model = NULL;
    CHECK(leafx_model_load(argv[1], NULL, &model) == LEAFX_OK, "load model [%s]", leafx_last_error());
    leafx_audio *audio = NULL;
    CHECK(leafx_audio_load(argv[2], NULL, &audio) == LEAFX_OK, "load audio [%s]", leafx_last_error());
    if (!model || !audio) return check_summary();
    const float *clip;
    size_t n_clip;
    leafx_audio_samples(audio, &clip, &n_clip);

    /* About a minute: the clip repeated. */
    size_t copies = n_clip ? (60 * 16000 + n_clip - 1) / n_clip : 1;
    size_t n_long = copies * n_clip;
    float *long_pcm = malloc(n_long * sizeof *long_pcm);
    for (size_t c = 0; c < copies; c++) memcpy(long_pcm + c * n_clip, clip, n_clip * sizeof *clip);

    /* 1. Abort a long explanation. */
    watch w;
    leafx_explain_params p;
    LEAFX_EXPLAIN_PARAMS_INIT(&p);
    p.method = method;
    p.abort = on_abort;
    p.abort_user_data = &w;
    p.progress = on_progress;
    p.progress_user_data = &w;
    leafx_result *result = (leafx_result *)&w; /* must be reset to NULL */
    watch_init(&w, delay_s);
    double start = now_s();
    leafx_status status = leafx_explain(model, long_pcm, n_long, &p, &result);
    double end = now_s();
    CHECK(status == LEAFX_CANCELLED && result == NULL, "explain of %.0f s with %s aborted after %.0f ms -> %s",
          n_long / 16000.0, method, delay_s * 1000, leafx_status_string(status));
    const char *message = leafx_last_error();
    CHECK(message && strstr(message, "cancel"), "the message says it was cancelled [%s]", message ? message : "(null)");
    CHECK(w.monotone && w.in_range && w.known_stages, "progress before the abort monotone, in [0,1], known stages (%ld reports, last %.3f %s)",
          w.reports, w.last_fraction, w.last_stage);
    if (w.aborted_at_s > 0)
        printf("# abort latency (%s, %.0f s of audio, abort at %.0f ms): %.1f ms wall, %.1f ms CPU after the callback "
               "first returned non-zero; %ld polls in %.2f s, largest gap between polls %.1f ms wall, %.1f ms CPU\n",
               method, n_long / 16000.0, delay_s * 1000, (end - w.aborted_at_s) * 1000,
               (cpu_s() - w.aborted_at_cpu_s) * 1000, w.polls, end - start, w.max_gap_s * 1000, w.max_gap_cpu_s * 1000);
    leafx_result_free(result);

    /* 2. A full run of the clip: progress ends at 1 with stage "explain". */
    watch_init(&w, 0);
    p.method = "leafx";
    status = leafx_explain(model, clip, n_clip, &p, &result);
    CHECK(status == LEAFX_OK && result != NULL, "a run that is not aborted succeeds [%s]", status ? leafx_last_error() : "");
    CHECK(w.monotone && w.in_range && w.known_stages && w.reports >= 2 && w.last_fraction == 1 &&
              strcmp(w.last_stage, "explain") == 0,
          "progress monotone, in [0,1], ends at 1 with \"explain\" (%ld reports, last %.3f %s)", w.reports,
          w.last_fraction, w.last_stage);
    CHECK(w.polls > 10, "abort polled often (%ld times; largest gap %.1f ms wall, %.1f ms CPU)", w.polls,
          w.max_gap_s * 1000, w.max_gap_cpu_s * 1000);
    leafx_result_free(result);

    /* 3. Abort a transcription (beam 5: the beam's steps are polled too). */
    leafx_transcribe_params tp;
    LEAFX_TRANSCRIBE_PARAMS_INIT(&tp);
    tp.abort = on_abort;
    tp.abort_user_data = &w;
    tp.progress = on_progress;
    tp.progress_user_data = &w;
    watch_init(&w, delay_s);
    result = NULL;
    start = now_s();
    status = leafx_transcribe(model, long_pcm, n_long, &tp, &result);
    end = now_s();
    CHECK(status == LEAFX_CANCELLED && result == NULL, "transcription aborted -> %s", leafx_status_string(status));
    CHECK(w.monotone && w.in_range && w.known_stages, "transcription progress monotone with known stages");
    if (w.aborted_at_s > 0)
        printf("# abort latency (transcribe beam 5, abort at %.0f ms): %.1f ms wall, %.1f ms CPU; largest gap between "
               "polls %.1f ms wall, %.1f ms CPU\n", delay_s * 1000, (end - w.aborted_at_s) * 1000,
               (cpu_s() - w.aborted_at_cpu_s) * 1000, w.max_gap_s * 1000, w.max_gap_cpu_s * 1000);

    free(long_pcm);
    leafx_audio_free(audio);
    leafx_model_free(model);
    return check_summary();
}
