/* Concurrency driver (docs/design.md, "Reliability"): leafx_explain and leafx_transcribe from many
 * threads on
   one shared model give exactly the results of serial runs.

   Each job is (audio clip, method). The driver first runs every job serially and keeps its
   result, then starts one thread per job, all released at once, and compares each thread's
   result with the serial one bit for bit (text, token ids, every attribution value).
   Prints the serial and concurrent wall times (not asserted: the machine may be shared).

   usage: test_threads MODEL WAV N_THREADS [METHOD...]
   With no METHOD, threads cycle through leafx, leafx-causal, raa, leafx-grad and a plain
   transcription. The second half of the threads explain the WAV's first half, so that
   different inputs run side by side. */
#include <leafx.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

static const leafx_model *model;
static const float *pcm;
static size_t n_pcm;

typedef struct job {
    const char *method; /* NULL: leafx_transcribe */
    size_t n_samples;
    leafx_status status;
    leafx_result *result;
    char error[256];
} job;

static pthread_barrier_t start_line;

static void run_job(job *j) {
    j->result = NULL;
    if (j->method) {
        leafx_explain_params p;
        LEAFX_EXPLAIN_PARAMS_INIT(&p);
        p.method = j->method;
        j->status = leafx_explain(model, pcm, j->n_samples, &p, &j->result);
    } else {
        leafx_transcribe_params p;
        LEAFX_TRANSCRIBE_PARAMS_INIT(&p);
        p.beam_size = 1;
        j->status = leafx_transcribe(model, pcm, j->n_samples, &p, &j->result);
    }
    /* leafx_last_error is thread-local: read it on the thread that failed. */
    snprintf(j->error, sizeof j->error, "%s", j->status == LEAFX_OK ? "" : leafx_last_error());
}

static void *thread_main(void *arg) {
    pthread_barrier_wait(&start_line);
    run_job(arg);
    return NULL;
}

static double clock_s(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

/* CPU time of the process (all threads): on a busy machine wall times mislead. */
static double cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

/* 1 when both results hold the same text, tokens and attributions, bit for bit. */
static int same_result(const leafx_result *a, const leafx_result *b, int explained, char *why, size_t why_size) {
    const char *ta, *tb;
    if (leafx_result_text(a, &ta) != LEAFX_OK || leafx_result_text(b, &tb) != LEAFX_OK || strcmp(ta, tb) != 0) {
        snprintf(why, why_size, "texts differ");
        return 0;
    }
    size_t na = 0, nb = 0;
    leafx_result_n_tokens(a, &na);
    leafx_result_n_tokens(b, &nb);
    if (na != nb || na == 0) {
        snprintf(why, why_size, "%zu vs %zu tokens", na, nb);
        return 0;
    }
    for (size_t i = 0; i < na; i++) {
        leafx_token x, y;
        x.struct_size = sizeof x;
        y.struct_size = sizeof y;
        leafx_result_token(a, i, &x);
        leafx_result_token(b, i, &y);
        if (x.id != y.id || x.probability != y.probability) {
            snprintf(why, why_size, "token %zu differs", i);
            return 0;
        }
        if (!explained) continue;
        const float *va, *vb;
        size_t fa, fb, oa, ob;
        if (leafx_result_token_attribution(a, i, &va, &fa, &oa, NULL) != LEAFX_OK ||
            leafx_result_token_attribution(b, i, &vb, &fb, &ob, NULL) != LEAFX_OK || fa != fb || oa != ob ||
            memcmp(va, vb, fa * sizeof *va) != 0) {
            snprintf(why, why_size, "attribution of token %zu differs", i);
            return 0;
        }
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s MODEL WAV N_THREADS [METHOD...]\n", argv[0]);
        return 2;
    }
    int n_threads = atoi(argv[3]);
    if (n_threads < 1 || n_threads > 64) {
        fprintf(stderr, "N_THREADS must be 1..64\n");
        return 2;
    }
    leafx_model *loaded = NULL;
    CHECK(leafx_model_load(argv[1], NULL, &loaded) == LEAFX_OK, "load model [%s]", leafx_last_error());
    model = loaded;
    leafx_audio *audio = NULL;
    CHECK(leafx_audio_load(argv[2], NULL, &audio) == LEAFX_OK, "load audio [%s]", leafx_last_error());
    leafx_audio_samples(audio, &pcm, &n_pcm);
    if (!model || !audio) return check_summary();

    static const char *default_methods[] = {"leafx", "leafx-causal", "raa", "leafx-grad", NULL};
    int n_methods = argc > 4 ? argc - 4 : 5;
    job *serial = calloc(n_threads, sizeof *serial);
    job *concurrent = calloc(n_threads, sizeof *concurrent);
    for (int i = 0; i < n_threads; i++) {
        serial[i].method = argc > 4 ? argv[4 + i % n_methods] : default_methods[i % n_methods];
        serial[i].n_samples = i < (n_threads + 1) / 2 ? n_pcm : n_pcm / 2;
        concurrent[i] = serial[i];
    }

    double t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < n_threads; i++) run_job(&serial[i]);
    double serial_s = now_s() - t0, serial_cpu_s = cpu_s() - c0;

    pthread_t *threads = calloc(n_threads, sizeof *threads);
    pthread_barrier_init(&start_line, NULL, (unsigned)n_threads + 1);
    for (int i = 0; i < n_threads; i++) pthread_create(&threads[i], NULL, thread_main, &concurrent[i]);
    t0 = now_s();
    c0 = cpu_s();
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < n_threads; i++) pthread_join(threads[i], NULL);
    double concurrent_s = now_s() - t0, concurrent_cpu_s = cpu_s() - c0;
    pthread_barrier_destroy(&start_line);

    for (int i = 0; i < n_threads; i++) {
        const char *what = serial[i].method ? serial[i].method : "transcribe";
        CHECK(serial[i].status == LEAFX_OK && concurrent[i].status == LEAFX_OK, "job %d (%s, %zu samples) succeeds [%s%s]",
              i, what, serial[i].n_samples, serial[i].error, concurrent[i].error);
        char why[128] = "";
        int same = serial[i].result && concurrent[i].result &&
                   same_result(serial[i].result, concurrent[i].result, serial[i].method != NULL, why, sizeof why);
        CHECK(same, "job %d (%s): concurrent result identical to the serial one %s", i, what, why);
        leafx_result_free(serial[i].result);
        leafx_result_free(concurrent[i].result);
    }
    printf("# threads %d: serial %.3f s wall (%.3f s CPU), concurrent %.3f s wall (%.3f s CPU), wall speed-up %.2fx\n",
           n_threads, serial_s, serial_cpu_s, concurrent_s, concurrent_cpu_s, serial_s / concurrent_s);

    free(threads);
    free(serial);
    free(concurrent);
    leafx_audio_free(audio);
    leafx_model_free(loaded);
    return check_summary();
}
